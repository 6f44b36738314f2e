"""``Idempotency-Key`` for POSTs that create purchases or move money.

Put ``@idempotent(Schema, status)`` innermost (below ``@policy_required``). With the header,
a retry with the same key and the same request returns the first response (with
``Idempotent-Replayed: true``) and changes nothing; the same key with another request is
a 422 ``idempotency_key_reused``. See ``catalog.services.idempotency`` for how the key's
record commits together with the change.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, json, request
from sqlalchemy.exc import IntegrityError

from catalog.api.auth import current_user
from catalog.db import get_session, transaction
from catalog.errors import Conflict
from catalog.services import idempotency as service

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
DOC = {
    "parameters": [
        {
            "in": "header",
            "name": HEADER,
            "required": False,
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": service.MAX_KEY,
                "pattern": service.KEY_PATTERN,
            },
            "description": "Make a retry safe: the same key and request return the first "
            "response and change nothing; the same key with another request is "
            "a 422 `idempotency_key_reused`.",
        }
    ]
}


def _replay(replay: service.Replay):
    resp = current_app.response_class(
        json.dumps(replay.body, ensure_ascii=False),
        status=replay.status,
        mimetype="application/json",
    )
    resp.headers[REPLAY_HEADER] = "true"
    return resp


def idempotent(schema_cls, status: int = 200):
    """Honour ``Idempotency-Key``; ``schema_cls`` dumps the view's result as the response does."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            key = request.headers.get(HEADER)
            if key is None:
                return view(*args, **kwargs)
            key = service.check_key(key)
            session = get_session()
            user_id = current_user().id
            fingerprint = service.request_fingerprint(
                request.method, request.path, request.get_data(cache=True)
            )
            replay = service.lookup(session, user_id, key, fingerprint)
            if replay is not None:
                return _replay(replay)
            reserved = False
            try:
                # The key's record and the change commit together, in one unit of work.
                with transaction(session):
                    record = service.reserve(
                        session, user_id, key, fingerprint, request.method, request.path
                    )
                    record_id, reserved = record.id, True
                    result = view(*args, **kwargs)
            except IntegrityError:
                if reserved:
                    raise
                # A concurrent request with this key committed first.
                replay = service.lookup(session, user_id, key, fingerprint)
                if replay is not None:
                    return _replay(replay)
                raise Conflict(
                    "A request with this Idempotency-Key is being processed.",
                    code="idempotency_in_progress",
                ) from None
            body = schema_cls().dump(result)
            service.complete(session, record_id, status, body)
            return result

        return wrapper

    return decorator
