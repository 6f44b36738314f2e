"""The ``cursor`` query parameter of the keyset-paged lists (``catalog.api.paging``)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

MAX_CURSOR = 1000


def cursor_field() -> ma.fields.String:
    return ma.fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=MAX_CURSOR),
        metadata={
            "description": "Opaque keyset cursor from a `next` link: the page after it, "
            "stable under inserts (takes precedence over `page`)"
        },
    )
