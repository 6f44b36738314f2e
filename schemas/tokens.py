"""API token schemas: what a user sends to create a token, and a token as its owner sees it.

The raw token appears once, in the response to its creation (``TokenCreatedSchema``);
afterwards only its ``prefix`` identifies it.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from catalog.services.tokens import ALL_SCOPES, MAX_DAYS, token_status
from schemas.common import computed, string_enum
from schemas.paging import cursor_field


class TokenCreateSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = ma.fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "A label to recognise the token by"},
    )
    scopes = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(ALL_SCOPES)),
        load_default=None,
        validate=validate.Length(min=1, max=len(ALL_SCOPES)),
        metadata={
            "description": "Default: every scope of the token making the request "
            "that your role allows. A token cannot grant more than it "
            "holds."
        },
    )
    days = ma.fields.Integer(
        load_default=90,
        strict=True,
        validate=validate.Range(min=1, max=MAX_DAYS),
        metadata={"description": "Days until the token expires"},
    )


class TokenSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    prefix = ma.fields.String(metadata={"description": "The token's first characters"})
    scopes = ma.fields.List(string_enum("Scope", list(ALL_SCOPES)))
    created_at = ma.fields.DateTime()
    expires_at = ma.fields.DateTime(allow_none=True)
    last_used_at = ma.fields.DateTime(
        allow_none=True,
        metadata={"description": "Last authenticated request (updated at most once a minute)"},
    )
    revoked_at = ma.fields.DateTime(allow_none=True)
    status = computed(string_enum("TokenStatus", ["active", "expired", "revoked"]), token_status)


class TokenCreatedSchema(TokenSchema):
    token = ma.fields.String(
        attribute="raw_token",
        metadata={"description": "The token itself. Shown only in this response: store it now."},
    )


class TokenListArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    limit = ma.fields.Integer(load_default=100, validate=validate.Range(min=1, max=100))
    cursor = cursor_field()


class TokenListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TokenSchema))
    next = ma.fields.String(
        allow_none=True,
        metadata={"description": "The next (older) page, or null: a keyset cursor link"},
    )
