"""The server-rendered web UI: sessions, CSRF, locale, security headers and the page blueprints.

Pages are thin: they parse a form, call one service, and render. CSRF protects every
form (Flask-WTF); sessions come from Flask-Login.

A session ends (the user loader refuses it) when the user's ``session_version`` moved on
(sign-out, a new password, a new role, deactivation), after ``SESSION_IDLE`` seconds
without a request, or ``SESSION_MAX`` seconds after sign-in, whichever comes first.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, g, request, session
from flask_babel import Babel
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user
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


# Session keys of a signed-in session: the user's session version, and when it began and
# was last used (whole seconds since the epoch).
VERSION, SIGNED_IN_AT, SEEN_AT = "_kdc_ver", "_kdc_login_at", "_kdc_seen_at"
# The last-use time is rewritten at most this often (each rewrite sends a new cookie).
SEEN_RESOLUTION = 60


def clear_session() -> None:
    """Forget everything in the session but the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang in LOCALES:
        session["lang"] = lang
    g.pop("csrf_token", None)


def start_session(user: User) -> None:
    """Sign ``user`` in on a fresh session: nothing from before survives (a planted session
    id or CSRF token included; a new CSRF token is made for the next form)."""
    clear_session()
    login_user(user)
    now = int(time.time())
    session[VERSION] = user.session_version
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def renew_session(user: User) -> None:
    """Keep the current session valid after the user's own session version moved on."""
    session[VERSION] = user.session_version


def _session_is_current(user: User) -> bool:
    now = int(time.time())
    started, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if session.get(VERSION) != user.session_version or not started or not seen:
        return False
    config = current_app.config
    if now - int(started) > config["SESSION_MAX"] or now - int(seen) > config["SESSION_IDLE"]:
        return False
    if now - int(seen) >= SEEN_RESOLUTION:
        session[SEEN_AT] = now
    return True


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        user = get_session().get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.active or not _session_is_current(user):
        clear_session()
        flash(_("Your session has ended. Please sign in again."), "info")
        return None
    return user


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
        previews,
        problems,
        provider,
        purchases,
        team,
        todo,
        views,
    )

    filters.register(app)
    for module in (
        views,
        todo,
        purchases,
        team,
        provider,
        admin,
        auditor,
        notifications,
        licences,
        previews,
        problems,
    ):
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

    @app.before_request
    def _check_session():
        # Judge the session before the page runs (after the CSRF check, which needs the
        # session's token), so that an ended session says so at once.
        if "_user_id" in session and not request.path.startswith(
            (API_PREFIX + "/", "/static/", "/storage/")
        ):
            _ = current_user.is_authenticated

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
            "todo_counts": _todo_counts,
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


def _todo_counts():
    """The signed-in user's to-do list for the navigation's badges, read once per request;
    None if the database cannot say."""
    from sqlalchemy.exc import SQLAlchemyError

    from catalog.errors import DomainError
    from catalog.services.todo import todo_for
    from catalog.web.guards import web_actor

    if not current_user.is_authenticated:
        return None
    if "kdc_todo" not in g:
        try:
            g.kdc_todo = todo_for(get_session(), web_actor())
        except (SQLAlchemyError, DomainError):
            g.kdc_todo = None
    return g.kdc_todo
