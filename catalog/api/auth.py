"""Bearer-token authentication for the API and the acting ``Actor`` of a request."""

from __future__ import annotations

from functools import wraps

from flask import g, request

from catalog import policy
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


def policy_required(action: str, *, gate: bool = True):
    """Bind an API operation to a policy action: a valid bearer token that holds the
    action's scope (``policy.scope_of``), and — with ``gate`` — a role the policy lets do
    the action to something. The service then applies the rule to the resource itself.
    ``gate=False`` where the service must speak first (e.g. ``not_participant`` before
    ``lead_required``)."""
    scope = policy.scope_of(action)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            _authenticate()
            if scope is not None and scope not in g.api_token.scopes:
                raise Forbidden(f"This token lacks the scope {scope}.", code="insufficient_scope")
            if gate:
                policy.require(g.actor, action)
            return view(*args, **kwargs)

        return policy.bind(wrapper, (action,))

    return decorator


def current_actor() -> Actor:
    return g.actor


def current_user():
    return g.api_user
