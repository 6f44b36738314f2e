"""The server-rendered web UI: sessions, CSRF, locale, security headers and the page blueprints.

Pages are thin: they parse a form, call one service, and render. CSRF protects every
form (Flask-WTF); sessions come from Flask-Login.
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from catalog.db import get_session
from catalog.error_handlers import API_PREFIX
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


def init_web(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "ko")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Seoul")
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    from catalog.web import (
        admin,
        auditor,
        filters,
        licences,
        notifications,
        provider,
        purchases,
        team,
        views,
    )

    filters.register(app)
    for module in (views, purchases, team, provider, admin, auditor, notifications, licences):
        app.register_blueprint(module.bp)
    # The API authenticates with bearer tokens only, so cookies cannot forge its POSTs.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False

    @app.before_request
    def _csrf_protect_pages():
        if (
            request.method in ("POST", "PUT", "PATCH", "DELETE")
            and not request.path.startswith((API_PREFIX + "/", "/storage/"))
            and app.config.get("WTF_CSRF_ENABLED", True)
        ):
            csrf.protect()

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

    from catalog.web.guards import may, may_everywhere

    @app.context_processor
    def _globals():
        return {
            "current_user": current_user,
            "locale": select_locale(),
            "may": may,
            "may_everywhere": may_everywhere,
            "unread_notifications": _unread_notifications,
        }


def _unread_notifications() -> int | None:
    """The signed-in user's unread count for the bell; None if the database cannot say
    (an error page about the database must still render)."""
    from sqlalchemy.exc import SQLAlchemyError

    from catalog.services.notices import unread_count

    if not current_user.is_authenticated:
        return None
    try:
        return unread_count(get_session(), current_user.id)
    except SQLAlchemyError:
        return None
