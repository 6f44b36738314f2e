"""Configuration: built-in defaults overridden by ``KDC_*`` environment variables.

Every value is checked once at start-up so that a typo gives one clear sentence,
not a traceback from deep inside a request.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_URL_TTL = 900
MAX_URL_TTL = 3600
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


def _operations_config(env: os._Environ[str] | dict, overrides: dict) -> dict:
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
        "METRICS_TOKEN": token,
        "LOG_FORMAT": log_format,
        "REQUEST_ID_HEADER": header,
    }


def load_config(instance_path: str | os.PathLike, overrides: dict | None = None) -> dict:
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
    config = {
        "DATABASE_URL": env.get("KDC_DATABASE_URL", db_default),
        "STORAGE_URL": env.get("KDC_STORAGE_URL", storage_default),
        "URL_TTL": ttl,
        "AUDIT_KEY": env.get("KDC_AUDIT_KEY", str(instance / "audit_ed25519.pem")),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_PAGE_SIZE": 1000,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("KDC_SECURE_COOKIES", "0") == "1",
        "CHECK_DB_AT_START": True,
    }
    config.update(_operations_config(env, overrides))
    config.update(overrides)
    config["DATABASE_URL"] = normalise_database_url(config["DATABASE_URL"])
    config["STORAGE_URL"] = check_storage_url(config["STORAGE_URL"])
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _secret_key(instance)
    return config
