"""``/problems/{code}``: the page each API problem's ``type`` URI names (public)."""

from __future__ import annotations

from flask import Blueprint, render_template

from catalog import policy, problems
from catalog.errors import NotFound
from catalog.messages import MESSAGES

bp = Blueprint("problems", __name__)


@bp.route("/problems/<code>")
@policy.public("the API's problem reference is public, like its OpenAPI document")
def problem(code: str):
    entry = problems.find(code)
    if entry is None:
        raise NotFound(f"No problem is called {code!r}.")
    return render_template(
        "problem.html", code=code, entry=entry, hint=MESSAGES.get(code), table=problems.PROBLEMS
    )
