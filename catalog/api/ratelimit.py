"""Rate limits on token creation and web sign-in: fixed windows counted in the database.

Every worker on every host increments the same row (an atomic ``INSERT … ON CONFLICT DO
UPDATE … RETURNING``, which both SQLite and PostgreSQL support), so the limit holds for
a cluster, not per process. The counter commits in its own short transaction before
the view runs (``catalog.services.ratelimits``), so it stands even when the request then
fails, which is the point (a failed login counts).

Limits are ``(requests, window seconds)`` from the app config and can be tuned there:

- ``RATE_LIMIT_TOKEN_CREATE``: tokens a user may create through the API per window;
- ``RATE_LIMIT_LOGIN_ADDR``: sign-in attempts (``POST /login``) per client address;
- ``RATE_LIMIT_LOGIN_ACCOUNT``: sign-in attempts per e-mail address, from anywhere.

A refusal is HTTP 429 with ``Retry-After`` (seconds until the window ends): a problem
with code ``rate_limited`` on the API, the HTML error page on the web UI.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request
from werkzeug.exceptions import TooManyRequests

from catalog.db import get_session
from catalog.errors import DomainError
from catalog.services import ratelimits

DEFAULTS = {
    "RATE_LIMIT_TOKEN_CREATE": (20, 3600),
    "RATE_LIMIT_LOGIN_ADDR": (30, 300),
    "RATE_LIMIT_LOGIN_ACCOUNT": (10, 300),
}


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"


@dataclass(frozen=True)
class Hit:
    count: int
    limit: int
    retry_after: int

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def hit(name: str, subject: str, limit: int, window: int, now: float | None = None) -> Hit:
    """Count one request of ``subject`` against the limit ``name`` (its own short transaction)."""
    count, retry_after = ratelimits.count_hit(get_session(), name, subject, window, now)
    return Hit(count=count, limit=limit, retry_after=retry_after)


def _limit(setting: str) -> tuple[int, int]:
    limit, window = current_app.config.get(setting) or DEFAULTS[setting]
    return int(limit), int(window)


def check_token_creation(user_id: int) -> None:
    """Raise ``RateLimited`` (429) when ``user_id`` created too many tokens this window."""
    limit, window = _limit("RATE_LIMIT_TOKEN_CREATE")
    result = hit("token-create", f"user:{user_id}", limit, window)
    if result.exceeded:
        raise RateLimited(
            f"Too many tokens created: at most {limit} per {window} seconds. "
            f"Retry in {result.retry_after} seconds.",
            headers={"Retry-After": str(result.retry_after)},
        )


def check_login_attempt() -> None:
    """Before ``POST /login``: count the attempt per client address and per account."""
    addr = request.remote_addr or "unknown"
    email = (request.form.get("email") or "").strip().lower()[:254]
    checks = [("login-addr", addr, "RATE_LIMIT_LOGIN_ADDR")]
    if email:
        checks.append(("login-account", email, "RATE_LIMIT_LOGIN_ACCOUNT"))
    retry = 0
    for name, subject, setting in checks:
        limit, window = _limit(setting)
        result = hit(name, subject, limit, window)
        if result.exceeded:
            retry = max(retry, result.retry_after)
    if retry:
        raise TooManyRequests(
            "Too many sign-in attempts. Wait a few minutes and try again.", retry_after=retry
        )


def init_app(app: Flask) -> None:
    for setting, value in DEFAULTS.items():
        app.config.setdefault(setting, value)

    @app.before_request
    def _limit_login():
        if request.method == "POST" and request.endpoint == "web.login":
            check_login_attempt()
