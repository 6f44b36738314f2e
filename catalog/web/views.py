"""Pages of the web UI: login, catalogue search and dataset detail."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from catalog.db import get_session
from catalog.services import catalog as catalog_service
from catalog.services.search import SearchFilters, search_datasets
from catalog.services.users import authenticate
from catalog.web import LOCALES
from schemas.catalog import DatasetSearchArgsSchema

bp = Blueprint("web", __name__)


class LoginForm(FlaskForm):
    # No wtforms Email(): it needs the email_validator package, which also refuses the
    # demo accounts' reserved ".test" domain. An unknown address fails like a wrong password.
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("web.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(get_session(), form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong e-mail or password."))
        else:
            login_user(user)
            flash(_("Signed in as %(email)s.", email=user.email), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", form=form), 200 if request.method == "GET" else 400 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("Signed out."), "success")
    return redirect(url_for("web.index"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code in LOCALES:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/")
def index():
    schema = DatasetSearchArgsSchema()
    raw = {k: v for k, v in request.args.lists() if v != [""]}
    raw = {k: (v if k in ("institution", "modality", "use", "sensitivity", "price") else v[0])
           for k, v in raw.items()}
    errors = {}
    try:
        args = schema.load(raw)
    except ValidationError as exc:
        errors = exc.messages
        # Ignore only the parameters that were not understood; keep the query and the rest.
        try:
            args = schema.load({k: v for k, v in raw.items() if k not in errors})
        except ValidationError:  # an error across fields: fall back to no filters
            args = schema.load({})
    page, limit = args.pop("page"), args.pop("limit")
    result = search_datasets(get_session(), SearchFilters(**args), page=page, limit=limit)
    return render_template("catalog.html", result=result, args=args, errors=errors,
                           institutions=catalog_service.list_institutions(get_session()))


@bp.route("/datasets/<slug>")
def dataset(slug: str):
    session_ = get_session()
    ds = catalog_service.get_published_dataset(session_, slug)
    licensed_by = catalog_service.licensed_team_codes(session_, ds)
    return render_template("dataset.html", ds=ds, licensed_by=licensed_by)
