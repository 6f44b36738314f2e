"""Opaque keyset cursors for the API's lists (``cursor`` in, ``next`` out).

A cursor is URL-safe base64 of a small JSON document: which list it belongs to and the
sort key of the last item of the page read (for id-ordered lists, its id). Clients treat
it as opaque and only pass back what a ``next`` link carried; anything else is a 422
``invalid_cursor``. ``next`` also carries the request's filters, so following it keeps
them; ``page`` still works for jumping to a page, but only ``next`` is stable under
inserts.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask import request, url_for

from catalog.db import MAX_ID
from catalog.errors import InvalidInput


def encode(kind: str, key: list[Any]) -> str:
    raw = json.dumps({"l": kind, "k": key}, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _bad(kind: str) -> InvalidInput:
    return InvalidInput(
        f"cursor is not one a `next` link of this {kind} list gave",
        code="invalid_cursor",
        errors={"cursor": ["not a cursor of this list"]},
    )


def decode(kind: str, cursor: str | None) -> list[Any] | None:
    """The key inside a cursor of list ``kind`` (None without a cursor)."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        doc = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _bad(kind) from None
    if not isinstance(doc, dict) or doc.get("l") != kind or not isinstance(doc.get("k"), list):
        raise _bad(kind)
    return doc["k"]


def decode_id(kind: str, cursor: str | None) -> int | None:
    """The id inside a cursor of an id-ordered list ``kind``."""
    key = decode(kind, cursor)
    if key is None:
        return None
    if len(key) != 1 or type(key[0]) is not int or not 0 < key[0] <= MAX_ID + 1:
        raise _bad(kind)
    return key[0]


def links(
    endpoint: str, kind: str, page: int, pages: int, next_key: list[Any] | None
) -> tuple[str | None, str | None]:
    """``next`` (a cursor link, the request's filters kept) and ``prev`` (a page link, when
    the request asked by page)."""
    args = {k: v for k, v in request.args.lists() if k not in ("page", "cursor")}
    nxt = url_for(endpoint, cursor=encode(kind, next_key), **args) if next_key else None
    prev = (
        url_for(endpoint, page=page - 1, **args)
        if page > 1 and "cursor" not in request.args
        else None
    )
    return nxt, prev
