"""Template filters: byte sizes, countdowns, shares; money, dates and labels come from
``catalog.web.formatting``."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask_babel import format_number, get_locale
from flask_babel import gettext as _

from catalog.services.shares import split_price
from catalog.web import formatting
from catalog.web.formatting import krw  # noqa: F401  (kept importable from here)


def filesize(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if size < 1024 or unit == "PB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{value} B"


def localized(obj, field: str) -> str:
    """``obj.<field>_ko`` or ``_en`` by the page's language, falling back to the other."""
    lang = str(get_locale() or "ko")[:2]
    first, second = ("en", "ko") if lang == "en" else ("ko", "en")
    return getattr(obj, f"{field}_{first}", "") or getattr(obj, f"{field}_{second}", "")


def reject_page(args: dict) -> dict:
    return {k: v for k, v in args.items() if k != "page"}


def version_sample(version, limit: int = 20) -> list:
    """The first files of a version's manifest, for the dataset page."""
    from sqlalchemy import select

    from catalog.db import get_session
    from catalog.models.datasets import DatasetObject

    return list(
        get_session().scalars(
            select(DatasetObject)
            .where(DatasetObject.version_id == version.id)
            .order_by(DatasetObject.key)
            .limit(limit)
        )
    )


def timeleft(deadline: datetime | None, now: datetime | None = None) -> str:
    """``2d 3h left`` / ``2일 3시간 남음``: the server's rendering of the JS countdown."""
    if deadline is None:
        return ""
    seconds = int((deadline - (now or datetime.now(UTC))).total_seconds())
    if seconds <= 0:
        return _("deadline passed")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days}{_('d')}")
    if days or hours:
        parts.append(f"{hours}{_('h')}")
    parts.append(f"{minutes}{_('m')}")
    return " ".join(parts) + " " + _("left")


def share_of(price: int, teams: int) -> int:
    """The largest share when ``teams`` split ``price`` (the first team's)."""
    return split_price(int(price), max(1, int(teams)))[0]


def register(app: Flask) -> None:
    app.jinja_env.filters["timeleft"] = timeleft
    app.jinja_env.filters["share_of"] = share_of
    app.jinja_env.filters["number"] = lambda v: format_number(v) if v is not None else "—"
    app.jinja_env.filters["reject_page"] = reject_page
    app.jinja_env.globals["version_sample"] = version_sample
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.globals["localized"] = localized
    formatting.register(app)
