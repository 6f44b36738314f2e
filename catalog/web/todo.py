"""The to-do page ("할 일"): the landing page after sign-in, for every role."""

from __future__ import annotations

from flask import Blueprint, render_template

from catalog.db import get_session
from catalog.services.todo import todo_for
from catalog.web.guards import policy_required, web_actor

bp = Blueprint("todo", __name__)


@bp.route("/todo")
@policy_required("todo.view")
def index():
    return render_template("todo/index.html", todo=todo_for(get_session(), web_actor()))
