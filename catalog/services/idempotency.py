"""Idempotency keys: a retried POST returns its first response and changes nothing.

The record of a key is inserted *in the same transaction as the change* it guards
(``reserve`` flushes it before the service commits), so either both commit or neither
does, and a concurrent request with the same key waits on the unique index and then
fails to insert — it never performs the change a second time. The response body is
stored right after the commit (``complete``). Only successful (2xx) responses are kept:
a request that failed changed nothing, so retrying it with the same key runs it again.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import transaction
from catalog.errors import Conflict, InvalidInput
from catalog.models.idempotency import IdempotencyRecord

MAX_KEY = 255
IN_PROGRESS = 0  # response_status of a record whose response is not stored yet


class KeyReused(InvalidInput):
    code = "idempotency_key_reused"


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 over the method, path and body (JSON canonicalised when it parses)."""
    try:
        canonical = json.dumps(
            json.loads(body or b"null"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body or b""
    h = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), canonical):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


# Printable ASCII without surrounding spaces, as the OpenAPI document declares it.
KEY_PATTERN = r"^[!-~](?:[ -~]*[!-~])?$"


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY or not re.fullmatch(KEY_PATTERN, key):
        raise InvalidInput(
            f"Idempotency-Key must be 1–{MAX_KEY} printable characters without surrounding spaces.",
            code="invalid_idempotency_key",
        )
    return key


@dataclass
class Replay:
    status: int
    body: dict[str, Any]


def lookup(session: Session, user_id: int, key: str, fingerprint: str) -> Replay | None:
    """The stored response for this key, or None if the key is new.

    Raises ``KeyReused`` (422) when the key was used for a different request, and
    ``Conflict`` (409, ``idempotency_in_progress``) while the first request is running.
    """
    rec = session.scalar(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
        .execution_options(populate_existing=True)
    )
    if rec is None:
        return None
    if rec.request_hash != fingerprint:
        raise KeyReused(
            "This Idempotency-Key was already used for a different request "
            f"({rec.method} {rec.path}); use a new key."
        )
    if rec.response_status == IN_PROGRESS:
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            code="idempotency_in_progress",
            headers={"Retry-After": "1"},
        )
    return Replay(rec.response_status, rec.response_body)


def reserve(
    session: Session, user_id: int, key: str, fingerprint: str, method: str, path: str
) -> IdempotencyRecord:
    """Insert the key's record into the open transaction (committed with the change)."""
    rec = IdempotencyRecord(
        user_id=user_id,
        key=key,
        method=method.upper(),
        path=path[:1024],
        request_hash=fingerprint,
        response_status=IN_PROGRESS,
        response_body={},
    )
    session.add(rec)
    session.flush()
    return rec


def complete(session: Session, record_id: int, status: int, body: dict[str, Any]) -> None:
    """Store the first response of a key (its own small transaction, after the change)."""
    with transaction(session):
        rec = session.get(IdempotencyRecord, record_id)
        if rec is not None:
            rec.response_status = status
            rec.response_body = body
