"""The server-rendered web UI: login, catalog pages, and HTML error pages.

Pages are thin: they parse a form, call one service, and render. CSRF protects every
form (Flask-WTF); sessions come from Flask-Login.
"""

from __future__ import annotations

from flask import Flask, render_template, request, session
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from catalog.db import get_session
from catalog.errors import DomainError
from catalog.models.users import User

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
LOCALES = ("ko", "en")


def select_locale() -> str:
    lang = session.get("lang")
    if lang in LOCALES:
        return lang
    return "ko"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        user = get_session().get(User, int(user_id))
    except ValueError:
        return None
    return user if user and user.active else None


def passthrough_headers(error) -> dict:
    """Headers an HTTP error carries for the client (Allow, Content-Range, Retry-After …)."""
    try:
        headers = error.get_headers()
    except Exception:  # noqa: BLE001 - a custom exception without a request environment
        return {}
    return {k: v for k, v in headers if k.lower() != "content-type"}


def render_http_error(error):
    code = error.code or 500
    return (
        render_template("error.html", status=code, title=error.name, detail=error.description),
        code,
        passthrough_headers(error),
    )


def render_domain_error(exc: DomainError):
    from catalog.web.guards import MESSAGES

    hint = MESSAGES.get(exc.code)
    return (
        render_template(
            "error.html", status=exc.status, title=exc.title, detail=exc.detail, hint=hint
        ),
        exc.status,
        exc.headers,
    )


def init_web(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "ko")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Seoul")
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    from catalog.web import filters, views

    filters.register(app)
    app.register_blueprint(views.bp)
    from catalog.web import admin, provider, purchases, team  # issue 7: every role's pages

    for module in (purchases, team, provider, admin):  # issue 7
        app.register_blueprint(module.bp)  # issue 7
    from catalog.web import auditor  # issue 5: the auditor's console

    app.register_blueprint(auditor.bp)  # issue 5
    # The API authenticates with bearer tokens only, so cookies cannot forge its POSTs.
    from catalog.api import API_PREFIX

    app.config["WTF_CSRF_CHECK_DEFAULT"] = False

    @app.before_request
    def _csrf_protect_pages():
        if (
            request.method in ("POST", "PUT", "PATCH", "DELETE")
            and not request.path.startswith((API_PREFIX + "/", "/storage/"))
            and app.config.get("WTF_CSRF_ENABLED", True)
        ):
            csrf.protect()

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        from flask_babel import gettext as _

        return render_template(
            "error.html",
            status=400,
            title=_("Form expired"),
            detail=_(
                "The form has expired or was not sent from this site; "
                "reload the page and try again."
            ),
        ), 400

    @app.after_request
    def _security_headers(resp):
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        # Pages show download and upload URLs and tokens: never leak them in a Referer.
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        return resp

    @app.context_processor
    def _globals():
        return {"current_user": current_user, "locale": select_locale()}
