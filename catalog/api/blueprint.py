"""The API's blueprint class: flask-smorest's, with unknown parameters refused.

webargs ignores unknown query parameters by default; a script that misspells a filter
would silently get unfiltered results. With ``unknown=None`` each schema's own
``Meta.unknown`` (RAISE for ours) decides, so a typo is a 422 naming the parameter.
"""

from __future__ import annotations

import flask_smorest
from webargs.flaskparser import FlaskParser


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = FlaskParser(unknown=None)
