"""A response cache for the catalogue's public reads, dropped by every commit.

The catalogue's anonymous pages and public API reads (the endpoints of ``CACHED``) are the
same for everyone who asks the same URL in the same language, and they change only when
something commits. So a worker keeps each such 200 response (body, ``ETag``) in memory and
serves it again while the *generation* has not moved and the copy is younger than
``RESPONSE_CACHE_TTL`` seconds (default 10; 0 turns the cache off).

The generation is a file in the instance folder that every commit (any session of this
app, the CLI's too) replaces, so a commit in one gunicorn worker invalidates the copies of
every worker on the host with one ``stat`` per request. The age limit bounds what a commit
on another host, or the passing of time alone (a licence reaching its end), can leave stale.

What is never cached: signed-in sessions, requests with an ``Authorization`` header,
sessions holding flashed messages, anything but GET/HEAD 200s. A page's CSRF token is
personal: it is cut out of the stored body and each request gets its own put back.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, current_app, g, request, session
from sqlalchemy import event

log = logging.getLogger(__name__)

# Endpoints whose anonymous 200 responses depend only on the URL and the language.
CACHED = frozenset(
    {
        "datasets.DatasetList",
        "datasets.DatasetDetail",
        "institutions.InstitutionList",
        "web.index",
        "web.dataset",
    }
)
# Stands in the stored body for the requester's CSRF token.
CSRF_PLACEHOLDER = "\x00kdc-csrf\x00"
MAX_ENTRIES = 2048
_KEPT_HEADERS = ("Content-Type", "ETag", "Cache-Control")


@dataclass(frozen=True)
class Entry:
    generation: tuple[int, int]
    stored_at: float
    body: bytes
    headers: tuple[tuple[str, str], ...]
    has_csrf: bool


class ResponseCache:
    def __init__(self, path: Path, ttl: float) -> None:
        self.path = path
        self.ttl = ttl
        self.entries: dict[tuple[str, str], Entry] = {}

    def generation(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def bump(self) -> None:
        """A new generation: a fresh file (a new inode) moved over the old one."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".cache-generation-")
            os.close(fd)
            os.replace(tmp, self.path)
        except OSError:
            # Without a generation file nothing is served from the cache (see generation).
            log.warning("cannot renew %s; the response cache is off", self.path)
            try:
                os.unlink(self.path)
            except OSError:
                pass
        self.entries.clear()

    def get(self, key: tuple[str, str], generation: tuple[int, int] | None) -> Entry | None:
        """The entry stored under the current ``generation`` (the caller's one ``stat``)."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry.generation != generation or time.monotonic() - entry.stored_at > self.ttl:
            self.entries.pop(key, None)
            return None
        return entry

    def put(self, key: tuple[str, str], entry: Entry) -> None:
        if len(self.entries) >= MAX_ENTRIES:
            self.entries.clear()
        self.entries[key] = entry


def _cache() -> ResponseCache | None:
    return current_app.extensions.get("kdc_response_cache")


def _key() -> tuple[str, str] | None:
    if (
        request.method not in ("GET", "HEAD")
        or request.endpoint not in CACHED
        or "Authorization" in request.headers
        or "_user_id" in session
        or "_flashes" in session
    ):
        return None
    return (request.full_path, str(session.get("lang") or ""))


def _serve_cached() -> Response | None:
    cache = _cache()
    key = _key()
    if cache is None or key is None:
        return None
    generation = cache.generation()
    entry = cache.get(key, generation)
    if entry is None:
        g.kdc_cache_key = key
        g.kdc_cache_generation = generation
        return None
    body = entry.body
    if entry.has_csrf:
        from flask_wtf.csrf import generate_csrf

        body = body.replace(CSRF_PLACEHOLDER.encode(), generate_csrf().encode())
    resp = current_app.response_class(body)
    for name, value in entry.headers:
        resp.headers[name] = value
    return resp


def _store(resp: Response) -> Response:
    key = g.pop("kdc_cache_key", None)
    generation = g.pop("kdc_cache_generation", None)
    cache = _cache()
    if (
        key is None
        or generation is None
        or cache is None
        or resp.status_code != 200
        or resp.direct_passthrough
        or resp.is_streamed
        or "_flashes" in session
        or "_user_id" in session
    ):
        return resp
    body = resp.get_data()
    # flask_wtf keeps the request's signed token in g once a template asked for it.
    token = g.get("csrf_token")
    has_csrf = bool(token) and token.encode() in body
    if has_csrf:
        body = body.replace(token.encode(), CSRF_PLACEHOLDER.encode())
    headers = tuple((h, resp.headers[h]) for h in _KEPT_HEADERS if h in resp.headers)
    cache.put(key, Entry(generation, time.monotonic(), body, headers, has_csrf))
    return resp


def init_app(app: Flask) -> None:
    """Install the cache (after every other ``before_request``: it only short-cuts the view)."""
    ttl = float(app.config.get("RESPONSE_CACHE_TTL", 10))
    if ttl <= 0:
        return
    path = Path(app.instance_path) / "cache-generation"
    cache = ResponseCache(path, ttl)
    app.extensions["kdc_response_cache"] = cache
    cache.bump()
    event.listen(app.extensions["kdc_sessionmaker"], "after_commit", lambda _s: cache.bump())
    app.before_request(_serve_cached)
    # after_request hooks run last-registered first: at index 0 it runs after the others,
    # so the stored copy has the ETag; the per-request headers are added again on a hit.
    app.after_request_funcs.setdefault(None, []).insert(0, _store)
