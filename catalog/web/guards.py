"""Who is asking, and may they: the web UI's actor, policy guards, and refusals in words.

Services raise ``DomainError`` with an English detail and a stable ``code``; the UI shows
the reader a translated sentence chosen by that code (falling back to the detail).
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, flash, request
from flask_babel import gettext
from flask_login import current_user

from catalog import policy
from catalog.errors import DomainError
from catalog.messages import MESSAGES
from catalog.services.context import Actor


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
            # The service's sentences are in the catalogue (forms.SERVICE_FIELD_MESSAGES).
            field.errors = list(field.errors) + [gettext(str(m)) for m in messages]
            matched = True
    return matched


def policy_required(*actions: str, gate: bool = True, message=None):
    """Bind a page to policy actions: sign-in first (redirect to the login page), then —
    with ``gate`` — a 403 page unless the policy lets the user's role do every one of
    ``actions`` to something. With ``gate=False`` the page's service applies the rule to
    the resource itself and the page explains a refusal in its own way (a flash, a page).
    """
    for action in actions:
        policy.rule_for(action)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if gate:
                actor = web_actor()
                for action in actions:
                    error = policy.refusal(actor, action)
                    if error is not None:
                        abort(403, description=str(message or message_for(error)))
            return view(*args, **kwargs)

        return policy.bind(wrapper, actions)

    return decorate


def may(action: str, resource=None) -> bool:
    """For templates: may the signed-in user do ``action`` (to ``resource``)?"""
    return bool(current_user.is_authenticated) and policy.can(web_actor(), action, resource)


def may_everywhere(action: str) -> bool:
    """For templates: may the signed-in user do ``action`` to anything (the office)?"""
    return bool(current_user.is_authenticated) and policy.unrestricted(web_actor(), action)
