"""Rate limits on token creation and web sign-in: fixed windows counted in the database.

Every worker on every host increments the same row (an atomic ``INSERT … ON CONFLICT DO
UPDATE … RETURNING``, which both SQLite and PostgreSQL support), so the limit holds for
a cluster, not per process. The counter commits in its own short transaction before
the password is checked (``catalog.services.ratelimits``), so it stands even when the
request then fails, which is the point (a failed login counts).

Limits are ``(requests, window seconds)`` from the app config and can be tuned there:

- ``RATE_LIMIT_TOKEN_CREATE``: tokens a user may create per window, through the API and
  the web tokens page together (one counter);
- ``RATE_LIMIT_LOGIN_ADDR``: sign-in attempts per client address (behind a reverse proxy
  the address comes from ``X-Forwarded-For``, trusting ``KDC_TRUSTED_PROXIES`` hops);
- ``RATE_LIMIT_LOGIN_ACCOUNT``: sign-in attempts at one account from one client address;
- ``RATE_LIMIT_LOGIN_SLOWDOWN``: sign-in attempts at one account from anywhere. Beyond it
  every attempt waits (``LOGIN_SLOWDOWN_DELAY``: seconds for the first attempt over the
  limit, doubling up to ``LOGIN_SLOWDOWN_MAX_DELAY``) and is then judged as usual, so a
  stranger guessing from elsewhere slows the owner's sign-in down but cannot lock it.

Only sign-in attempts that carry a valid CSRF token and a complete form are counted (the
login page counts them after validating the form), so requests that could never sign
anyone in do not use up anyone's allowance. A refusal is HTTP 429 with ``Retry-After``
(seconds until the window ends): a problem with code ``rate_limited`` on the API, the HTML
error page on the web UI.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from werkzeug.exceptions import TooManyRequests

from catalog.db import get_session
from catalog.errors import DomainError
from catalog.services import ratelimits

DEFAULTS = {
    "RATE_LIMIT_TOKEN_CREATE": (20, 3600),
    "RATE_LIMIT_LOGIN_ADDR": (30, 300),
    "RATE_LIMIT_LOGIN_ACCOUNT": (10, 300),
    "RATE_LIMIT_LOGIN_SLOWDOWN": (10, 300),
}
DELAY_DEFAULTS = {"LOGIN_SLOWDOWN_DELAY": 1.0, "LOGIN_SLOWDOWN_MAX_DELAY": 8.0}


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


def client_address() -> str:
    """The client's address (the real one behind trusted proxies, see ``catalog.proxies``)."""
    return request.remote_addr or "unknown"


def check_token_creation(user_id: int) -> None:
    """Raise ``RateLimited`` (429) when ``user_id`` created too many tokens this window,
    through the API or the web page: both count against one limit."""
    limit, window = _limit("RATE_LIMIT_TOKEN_CREATE")
    result = hit("token-create", f"user:{user_id}", limit, window)
    headers = ratelimit_headers("token-create", result, window)
    if result.exceeded:
        raise RateLimited(
            f"Too many tokens created: at most {limit} per {window} seconds. "
            f"Retry in {result.retry_after} seconds.",
            headers={"Retry-After": str(result.retry_after), **headers},
        )
    g.ratelimit_headers = headers


def ratelimit_headers(name: str, result: Hit, window: int) -> dict[str, str]:
    """``RateLimit-Policy`` and ``RateLimit`` (IETF httpapi draft): the quota and what is
    left of it, so a script slows down before it meets a 429."""
    remaining = max(0, result.limit - result.count)
    return {
        "RateLimit-Policy": f'"{name}";q={result.limit};w={window}',
        "RateLimit": f'"{name}";r={remaining};t={result.retry_after}',
    }


def _add_ratelimit_headers(resp):
    for key, value in (g.pop("ratelimit_headers", None) or {}).items():
        resp.headers.setdefault(key, value)
    return resp


def slowdown_delay(over: int) -> float:
    """Seconds to wait for the ``over``-th attempt beyond the slow-down limit (from 1)."""
    base = float(current_app.config.get("LOGIN_SLOWDOWN_DELAY", 1.0))
    cap = float(current_app.config.get("LOGIN_SLOWDOWN_MAX_DELAY", 8.0))
    return min(cap, base * 2 ** min(over - 1, 16))


def pause(seconds: float) -> None:
    time.sleep(seconds)


def check_login_attempt(email: str) -> None:
    """Count a sign-in attempt (a valid form: CSRF token, e-mail and password) per client
    address, per account from this address, and per account from anywhere.

    The first two refuse with 429 beyond their limits; the last only slows the attempt
    down, so that nobody can lock another person out of their account.
    """
    addr = client_address()
    account = (email or "").strip().lower()[:254]
    checks = [("login-addr", addr, "RATE_LIMIT_LOGIN_ADDR")]
    if account:
        checks.append(("login-account", f"{account}|{addr}", "RATE_LIMIT_LOGIN_ACCOUNT"))
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
    if account:
        limit, window = _limit("RATE_LIMIT_LOGIN_SLOWDOWN")
        result = hit("login-slowdown", account, limit, window)
        if result.exceeded:
            pause(slowdown_delay(result.count - result.limit))


def init_app(app: Flask) -> None:
    for setting, value in DEFAULTS.items():
        app.config.setdefault(setting, value)
    for setting, delay in DELAY_DEFAULTS.items():
        app.config.setdefault(setting, delay)
    app.after_request(_add_ratelimit_headers)
