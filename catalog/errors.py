"""Domain errors. Services raise them; the API renders RFC 9457 problems, the UI flashes them.

``code`` is the stable machine name scripts branch on; ``status`` the HTTP status.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        if status:
            self.status = status
        self.headers = headers or {}
        self.extra = extra


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Unavailable(DomainError):
    """An outage of a part we depend on (database, object store). Retry later."""

    status = 503
    code = "unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int = 5, **kwargs: Any) -> None:
        headers = kwargs.pop("headers", None) or {}
        headers.setdefault("Retry-After", str(retry_after))
        super().__init__(detail, headers=headers, **kwargs)
