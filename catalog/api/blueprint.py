"""The API's blueprint class: flask-smorest's, with unknown parameters refused.

webargs ignores unknown query parameters by default; a script that misspells a filter
would silently get unfiltered results. With ``unknown=None`` each schema's own
``Meta.unknown`` (RAISE for ours) decides, so a typo is a 422 naming the parameter.
A JSON body is required in the document exactly when the server requires one.
"""

from __future__ import annotations

import flask_smorest
from webargs.flaskparser import FlaskParser


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = FlaskParser(unknown=None)

    def arguments(self, schema, *, location="json", required=None, **kwargs):
        """A JSON body is documented as required only when its schema has a required
        field: the server answers a missing body of an all-optional schema as ``{}``."""
        if required is None:
            required = True
            if location == "json":
                instance = schema() if isinstance(schema, type) else schema
                required = any(f.required for f in instance.fields.values())
        return super().arguments(schema, location=location, required=required, **kwargs)
