"""Who is asking, and may they: the web UI's actor, role guards, and refusals in words.

Services raise ``DomainError`` with an English detail and a stable ``code``; the UI shows
the reader a translated sentence chosen by that code (falling back to the detail).
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, flash, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from catalog.errors import DomainError
from catalog.messages import MESSAGES
from catalog.models.users import Role
from catalog.services.context import Actor

TEAM_ROLES = (Role.TEAM_MEMBER, Role.TEAM_LEAD)


def web_actor() -> Actor:
    return Actor.for_user(current_user, client_addr=request.remote_addr or "")


def message_for(exc: DomainError) -> str:
    msg = MESSAGES.get(exc.code)
    return str(msg) if msg is not None else exc.detail


def flash_error(exc: DomainError) -> None:
    flash(message_for(exc), "error")


def field_errors(exc: DomainError, form) -> bool:
    """Put a service's per-field errors next to the form's fields; True if any matched."""
    matched = False
    for name, messages in (exc.extra.get("errors") or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [str(m) for m in messages]
            matched = True
    return matched


def roles_required(*roles: Role, message=None):
    """Sign-in first (redirect to the login page), then one of ``roles`` or a 403 page."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(
                    403,
                    description=str(message or _l("Your role does not give access to this page.")),
                )
            return view(*args, **kwargs)

        return wrapper

    return decorate
