"""Configuration: built-in defaults overridden by ``KDC_*`` environment variables.

Every value is checked once at start-up so that a typo gives one clear sentence,
not a traceback from deep inside a request.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_URL_TTL = 900
MAX_URL_TTL = 3600
DEFAULT_SESSION_IDLE = 30 * 60
DEFAULT_SESSION_MAX = 12 * 3600
DEFAULT_CHECKPOINT_EVENTS = 1000
DEFAULT_CHECKPOINT_HOURS = 1
DEFAULT_PREVIEW_BYTES = 256 * 1024
LOG_FORMATS = ("text", "json")
# A request id taken from a trusted proxy's header: short, and nothing a log line could
# be forged with.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class ConfigError(click.ClickException):
    """An unusable configuration value; printed as one line by the CLI."""

    exit_code = 2

    def format_message(self) -> str:
        return f"configuration error: {self.message}"


def _secret_key(instance_path: Path) -> str:
    """Return ``KDC_SECRET_KEY`` or a key generated once and kept in ``instance/``."""
    key = os.environ.get("KDC_SECRET_KEY")
    if key:
        return key
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting at once must agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def normalise_database_url(url: str) -> str:
    """Check a database URL and pin PostgreSQL to the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"KDC_DATABASE_URL is not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
            parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise ConfigError(
            f"KDC_DATABASE_URL uses {backend!r}; supported are sqlite:/// and postgresql://"
        )
    return parsed.render_as_string(hide_password=False)


def check_storage_url(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in ("file", "s3"):
        raise ConfigError(
            f"KDC_STORAGE_URL has unknown scheme {scheme!r}; use file:///path or s3://bucket/prefix"
        )
    if scheme == "s3" and not urlsplit(url).netloc:
        raise ConfigError("KDC_STORAGE_URL s3:// needs a bucket name: s3://bucket/prefix")
    return url


SMTP_SCHEMES = ("smtp", "smtp+starttls")
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
DEFAULT_MAIL_FROM = "K-Data Catalog <noreply@kdc.test>"


def check_smtp_url(url: str | None) -> str | None:
    """``smtp://[user:password@]host[:port]`` or ``smtp+starttls://…``; empty means no e-mail."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"KDC_SMTP_URL is not a URL: {exc}") from exc
    if parts.scheme not in SMTP_SCHEMES:
        raise ConfigError(
            f"KDC_SMTP_URL has unknown scheme {parts.scheme!r}; "
            "use smtp://host:port or smtp+starttls://host:port"
        )
    if not parts.hostname:
        raise ConfigError("KDC_SMTP_URL needs a host: smtp://host:port")
    if port == 0:
        raise ConfigError("KDC_SMTP_URL port must be between 1 and 65535")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError("KDC_SMTP_URL takes no path or query: smtp://user:password@host:port")
    return url


def check_mail_from(value: str) -> str:
    """``noreply@example.kr`` or ``Name <noreply@example.kr>``."""
    from email.utils import parseaddr

    _name, addr = parseaddr(value)
    local, at, domain = addr.rpartition("@")
    if not (at and local and "." in domain) or any(c.isspace() for c in addr):
        raise ConfigError(f"KDC_MAIL_FROM is not an e-mail address: {value!r}")
    return value


def check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"KDC_BASE_URL must be an http(s) URL such as https://data.example.kr, got {url!r}"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"KDC_BASE_URL takes no query or fragment, got {url!r}")
    return url.rstrip("/")


def _whole_number(
    env_name: str, raw: object, low: int, high: int, unit: str = "", default: int = 0
) -> int:
    """``raw`` (an override, the environment or the default) as an int in ``low … high``."""
    if raw is None or raw == "":
        raw = default
    try:
        value = int(str(raw).strip())
    except ValueError as exc:
        raise ConfigError(f"{env_name} must be a whole number{unit}, got {raw!r}") from exc
    if not low <= value <= high:
        raise ConfigError(f"{env_name} must be between {low} and {high}{unit}, got {value}")
    return value


def _setting(
    overrides: dict[str, object],
    key: str,
    env_name: str,
    low: int,
    high: int,
    unit: str,
    default: int,
) -> int:
    raw = overrides.pop(key, None)
    if raw is None:
        raw = os.environ.get(env_name)
    return _whole_number(env_name, raw, low, high, unit, default)


def _number(
    name: str, raw: object, default: float, low: float, high: float, *, whole: bool = False
) -> float:
    """``raw`` (an environment string or an override) as a number within ``low … high``."""
    if raw is None or raw == "":
        return default
    try:
        value = int(str(raw)) if whole else float(str(raw))
    except ValueError as exc:
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"{name} must be {kind}, got {raw!r}") from exc
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {value:g}")
    return value


def _operations_config(
    env: os._Environ[str] | dict[str, str], overrides: dict[str, Any]
) -> dict[str, Any]:
    """Settings of the running service: object-store timeouts, metrics, request logs."""

    def pick(key: str) -> object:
        return overrides.pop(key) if key in overrides else env.get("KDC_" + key)

    log_format = str(pick("LOG_FORMAT") or "text").strip().lower()
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"KDC_LOG_FORMAT must be text or json, got {log_format!r}")
    header = str(pick("REQUEST_ID_HEADER") or "").strip()
    if header and not re.fullmatch(r"[A-Za-z0-9-]{1,64}", header):
        raise ConfigError(f"KDC_REQUEST_ID_HEADER must be an HTTP header name, got {header!r}")
    token = str(pick("METRICS_TOKEN") or "")
    if token and len(token) < 16:
        raise ConfigError("KDC_METRICS_TOKEN must be at least 16 characters long")
    return {
        "S3_TIMEOUT": _number("KDC_S3_TIMEOUT", pick("S3_TIMEOUT"), 2.0, 0.1, 30),
        "S3_READ_TIMEOUT": _number("KDC_S3_READ_TIMEOUT", pick("S3_READ_TIMEOUT"), 60.0, 1, 3600),
        "EVENTS_MAX_WAIT": _number("KDC_EVENTS_MAX_WAIT", pick("EVENTS_MAX_WAIT"), 30.0, 0, 30),
        "METRICS_TOKEN": token,
        "LOG_FORMAT": log_format,
        "REQUEST_ID_HEADER": header,
    }


def load_config(
    instance_path: str | os.PathLike[str], overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Return the app configuration: defaults, then the environment, then ``overrides``."""
    instance = Path(instance_path)
    overrides = dict(overrides or {})
    env = os.environ
    db_default = f"sqlite:///{instance / 'kdc.sqlite3'}"
    storage_default = f"file://{instance / 'storage'}"
    ttl_raw = overrides.pop("URL_TTL", None) or env.get("KDC_URL_TTL") or DEFAULT_URL_TTL
    try:
        ttl = int(ttl_raw)
    except ValueError as exc:
        raise ConfigError(
            f"KDC_URL_TTL must be a whole number of seconds, got {ttl_raw!r}"
        ) from exc
    if not 1 <= ttl <= MAX_URL_TTL:
        raise ConfigError(f"KDC_URL_TTL must be between 1 and {MAX_URL_TTL} seconds, got {ttl}")
    proxies = _setting(overrides, "TRUSTED_PROXIES", "KDC_TRUSTED_PROXIES", 0, 5, "", 0)
    idle = _setting(
        overrides,
        "SESSION_IDLE",
        "KDC_SESSION_IDLE",
        60,
        7 * 86400,
        " seconds",
        DEFAULT_SESSION_IDLE,
    )
    longest = _setting(
        overrides, "SESSION_MAX", "KDC_SESSION_MAX", 60, 30 * 86400, " seconds", DEFAULT_SESSION_MAX
    )
    if idle > longest:
        raise ConfigError(
            f"KDC_SESSION_IDLE ({idle} s) must not exceed KDC_SESSION_MAX ({longest} s)"
        )
    cp_events = _setting(
        overrides,
        "AUDIT_CHECKPOINT_EVENTS",
        "KDC_AUDIT_CHECKPOINT_EVENTS",
        1,
        10**9,
        " events",
        DEFAULT_CHECKPOINT_EVENTS,
    )
    cp_hours = _setting(
        overrides,
        "AUDIT_CHECKPOINT_HOURS",
        "KDC_AUDIT_CHECKPOINT_HOURS",
        1,
        24 * 366,
        " hours",
        DEFAULT_CHECKPOINT_HOURS,
    )
    # How much of each preview file the service reads and serves before a purchase.
    preview_bytes = _setting(
        overrides,
        "PREVIEW_BYTES",
        "KDC_PREVIEW_BYTES",
        1024,
        16 * 1024 * 1024,
        " bytes",
        DEFAULT_PREVIEW_BYTES,
    )
    config: dict[str, Any] = {
        "DATABASE_URL": env.get("KDC_DATABASE_URL", db_default),
        "PREVIEW_BYTES": preview_bytes,
        "STORAGE_URL": env.get("KDC_STORAGE_URL", storage_default),
        "URL_TTL": ttl,
        "AUDIT_KEY": env.get("KDC_AUDIT_KEY", str(instance / "audit_ed25519.pem")),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_PAGE_SIZE": 1000,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("KDC_SECURE_COOKIES", "0") == "1",
        "TRUSTED_PROXIES": proxies,
        "SESSION_IDLE": idle,
        "SESSION_MAX": longest,
        # The signed session cookie itself is refused once older than the longest session.
        "PERMANENT_SESSION_LIFETIME": longest,
        "AUDIT_CHECKPOINT_EVENTS": cp_events,
        "AUDIT_CHECKPOINT_HOURS": cp_hours,
        "CHECK_DB_AT_START": True,
        # Notices: e-mail only when an SMTP server is configured (else the inbox alone).
        "SMTP_URL": env.get("KDC_SMTP_URL") or None,
        "MAIL_FROM": env.get("KDC_MAIL_FROM") or DEFAULT_MAIL_FROM,
        # The address people reach the service at: links in e-mails and webhooks.
        "BASE_URL": env.get("KDC_BASE_URL") or DEFAULT_BASE_URL,
    }
    config.update(_operations_config(env, overrides))
    config.update(overrides)
    config["DATABASE_URL"] = normalise_database_url(config["DATABASE_URL"])
    config["STORAGE_URL"] = check_storage_url(config["STORAGE_URL"])
    config["SMTP_URL"] = check_smtp_url(config["SMTP_URL"])
    config["MAIL_FROM"] = check_mail_from(config["MAIL_FROM"])
    config["BASE_URL"] = check_base_url(config["BASE_URL"])
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _secret_key(instance)
    return config
