"""HTTP client of the K-Data Catalog API, for the ``kdc`` command and for scripts.

Talks HTTP only and imports nothing from the server. Configuration: ``KDC_URL`` and
``KDC_TOKEN`` (or the ``url``/``token`` arguments). Every error response of the API is an
RFC 9457 problem; ``ApiError`` carries its ``status``, ``code`` and ``detail``.

Reads (and POSTs sent with an ``Idempotency-Key``) are retried on connection failures
and on 502/503/504 answers, honouring ``Retry-After``; other requests are never repeated.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

import httpx

from kdc import __version__

DEFAULT_URL = "http://127.0.0.1:5000"
RETRY_STATUSES = {502, 503, 504}
USER_AGENT = f"kdc/{__version__}"

# A JSON object the API answered with. Its members are whatever docs/api.md documents for
# the endpoint; the client reads the ones it needs and passes the rest through unchanged.
ApiObject = dict[str, Any]
# Query parameters: a repeated parameter is a list.
QueryValue = str | int | float | bool | None | list[str] | tuple[str, ...]


class ApiError(Exception):
    """A refusal or failure reported by the server (or no answer at all: ``status`` 0)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        problem: ApiObject | None = None,
        headers: httpx.Headers | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.problem = problem or {}
        self.headers = headers or httpx.Headers()

    @property
    def refused(self) -> bool:
        """The server refused on authority (no or bad token, missing scope or licence)."""
        return self.status in (401, 403)

    def __str__(self) -> str:
        if self.status:
            return f"{self.detail} ({self.status} {self.code})"
        return self.detail


def error_from_response(resp: httpx.Response) -> ApiError:
    problem: ApiObject = {}
    try:
        body = resp.json()
        if isinstance(body, dict):
            problem = body
    except ValueError:
        pass
    code = str(problem.get("code") or f"http_{resp.status_code}")
    detail = str(
        problem.get("detail")
        or problem.get("title")
        or resp.reason_phrase
        or f"HTTP {resp.status_code}"
    )
    return ApiError(resp.status_code, code, detail, problem, resp.headers)


def _retry_delay(attempt: int, resp: httpx.Response | None) -> float:
    if resp is not None:
        try:
            return min(30.0, max(0.0, float(resp.headers.get("Retry-After", ""))))
        except ValueError:
            pass
    return min(30.0, 0.5 * 2.0**attempt)


class Client:
    """A session with one catalogue server; thread-safe (one ``httpx.Client`` shared)."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 3,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = (url or os.environ.get("KDC_URL") or DEFAULT_URL).rstrip("/")
        self.token = token if token is not None else os.environ.get("KDC_TOKEN")
        self.retries = retries
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        self.http = httpx.Client(
            headers=headers,
            timeout=timeout,
            transport=transport,
            limits=limits,
            follow_redirects=False,
        )
        # Download and upload URLs are presigned: they must not carry our bearer token
        # (S3 refuses a request with two kinds of authentication, and it would leak).
        self.transfer = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(timeout, connect=15.0),
            transport=transport,
            limits=limits,
            follow_redirects=True,
        )

    def close(self) -> None:
        self.http.close()
        self.transfer.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def absolute(self, url_or_path: str) -> str:
        """An absolute URL for a path of the API or a (possibly relative) link it returned."""
        if url_or_path.startswith(("http://", "https://")):
            return url_or_path
        if url_or_path.startswith("/"):
            # Links from the server already carry any path prefix the server runs under.
            return urljoin(self.base_url + "/", url_or_path)
        return f"{self.base_url}/{url_or_path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, QueryValue] | None = None,
        json: object = None,
        headers: dict[str, str] | None = None,
        retry: bool | None = None,
    ) -> httpx.Response:
        """Send a request; return the response if 2xx/304, else raise ``ApiError``."""
        url = self.absolute(path)
        retry = method in ("GET", "HEAD") if retry is None else retry
        attempts = self.retries + 1 if retry else 1
        for attempt in range(attempts):
            resp = None
            try:
                resp = self.http.request(method, url, params=params, json=json, headers=headers)
            except httpx.TransportError as exc:
                if attempt + 1 >= attempts:
                    raise ApiError(
                        0, "connection_failed", f"cannot reach {self.base_url}: {exc}"
                    ) from exc
            else:
                if resp.status_code < 400:
                    return resp
                if resp.status_code not in RETRY_STATUSES or attempt + 1 >= attempts:
                    raise error_from_response(resp)
            time.sleep(_retry_delay(attempt, resp))
        raise AssertionError("unreachable")

    def get(self, path: str, **params: QueryValue) -> ApiObject:
        clean = {k: v for k, v in params.items() if v is not None and v != [] and v != ()}
        return json_object(self.request("GET", path, params=clean))

    def post(
        self, path: str, json: Mapping[str, object] | None = None, *, idempotent: bool = False
    ) -> ApiObject:
        """POST ``json``; with ``idempotent`` a fresh ``Idempotency-Key`` makes retries safe."""
        headers = {"Idempotency-Key": str(uuid.uuid4())} if idempotent else None
        resp = self.request(
            "POST", path, json=json if json is not None else {}, headers=headers, retry=idempotent
        )
        return json_object(resp) if resp.content else {}

    def delete(self, path: str) -> None:
        self.request("DELETE", path)

    def pages(self, path: str, **params: QueryValue) -> Iterator[ApiObject]:
        """Every page of a paged list, following each page's ``next`` link."""
        page = self.get(path, **params)
        yield page
        while page.get("next"):
            page = json_object(self.request("GET", page["next"]))
            yield page

    def items(self, path: str, **params: QueryValue) -> Iterator[ApiObject]:
        for page in self.pages(path, **params):
            yield from page.get("items", [])


def json_object(resp: httpx.Response) -> ApiObject:
    """The response's JSON object; anything else is the server breaking its contract."""
    body = resp.json()
    if not isinstance(body, dict):
        raise ApiError(
            resp.status_code,
            "unexpected_response",
            f"{resp.request.method} {resp.request.url.path} answered {type(body).__name__}, "
            "not a JSON object",
        )
    return body
