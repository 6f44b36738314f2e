"""``/api/v1/tokens``: a user's API tokens, listed, created (shown once) and revoked.

Any valid token may manage its owner's tokens, but never mint one with more scopes than
itself. Creation is rate limited per user (429 with ``Retry-After``).
"""

from __future__ import annotations

from flask import g
from flask.views import MethodView

from catalog.api import paging
from catalog.api.auth import SECURITY, current_actor, current_user, policy_required
from catalog.api.blueprint import ApiBlueprint as Blueprint
from catalog.db import get_session
from catalog.ratelimit import check_token_creation
from catalog.services import tokens as token_service
from schemas.tokens import (
    TokenCreatedSchema,
    TokenCreateSchema,
    TokenListArgsSchema,
    TokenListSchema,
)

blp = Blueprint(
    "tokens",
    __name__,
    url_prefix="/api/v1/tokens",
    description="Your API tokens: list, create (the token is shown once), revoke.",
)


@blp.route("")
class TokenList(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(TokenListArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, TokenListSchema)
    @blp.alt_response(401, schema=None, description="No valid token")
    @policy_required("token.list")
    def get(self, limit, cursor):
        """Your tokens, newest first (the raw tokens are never shown again)

        Up to `limit` (100) a page; `next` (a keyset cursor link) reads on.
        """
        part = token_service.token_page(
            get_session(), current_actor(), limit=limit, before=paging.decode_id("tokens", cursor)
        )
        nxt, _prev = paging.links(
            "tokens.TokenList", "tokens", 1, 1, [part.next_before] if part.next_before else None
        )
        return {"items": part.items, "next": nxt}

    @blp.doc(security=SECURITY)
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, TokenCreatedSchema)
    @blp.alt_response(401, schema=None, description="No valid token")
    @blp.alt_response(
        403,
        schema=None,
        description="A scope beyond this token's or your role's (`scope_not_allowed`)",
    )
    @blp.alt_response(
        429,
        schema=None,
        description="Too many tokens created lately (`rate_limited`; see `Retry-After`)",
    )
    @policy_required("token.create")
    def post(self, args):
        """Create a token for yourself; the response shows it once

        Store the `token` field at once: only its SHA-256 is kept.
        """
        user = current_user()
        check_token_creation(user.id)
        session = get_session()
        token, raw = token_service.create_token(
            session,
            current_actor(),
            user,
            scopes=args["scopes"],
            days=args["days"],
            name=args["name"],
            within=list(g.api_token.scopes),
        )
        token.raw_token = raw
        return token


@blp.route("/<int:token_id>")
class TokenDetail(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(204)
    @blp.alt_response(401, schema=None, description="No valid token")
    @blp.alt_response(404, schema=None, description="No such token of yours")
    @policy_required("token.revoke")
    def delete(self, token_id):
        """Revoke one of your tokens; it is refused (401) from the next request on"""
        token_service.revoke_token(get_session(), current_actor(), token_id)
        return None
