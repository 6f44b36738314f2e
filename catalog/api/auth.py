"""Bearer-token authentication for the API and the acting ``Actor`` of a request."""

from __future__ import annotations

from functools import wraps

from flask import g, request

from catalog.db import get_session
from catalog.errors import Forbidden
from catalog.services.context import Actor
from catalog.services.tokens import Unauthorized, authenticate_token

SECURITY = [{"bearerAuth": []}]


def client_addr() -> str:
    return request.remote_addr or ""


def _authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorized(
            "Send an API token as 'Authorization: Bearer <token>'.", code="authentication_required"
        )
    user, token = authenticate_token(get_session(), raw.strip())
    g.api_user = user
    g.api_token = token
    g.actor = Actor.for_user(user, token_id=token.id, client_addr=client_addr())


def require_token(*scopes: str):
    """Authenticate the request's bearer token and require every scope in ``scopes``."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            _authenticate()
            missing = [s for s in scopes if s not in g.api_token.scopes]
            if missing:
                raise Forbidden(
                    f"This token lacks the scope(s): {', '.join(missing)}.",
                    code="insufficient_scope",
                )
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_actor() -> Actor:
    return g.actor


def current_user():
    return g.api_user
