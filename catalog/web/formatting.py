"""One Korean style for every page: money, dates, particles, labels, system memos.

* Money is exact (``₩450,000,000``) wherever there is room; where space is short (charts,
  badges, table cells of totals) the short form is ``4억 5,000만 원`` in Korean and
  ``₩450M`` in English, produced only by ``krw_short``.
* Dates and times are in Korea Standard Time with a four-digit year, in one format:
  ``2026-12-03 15:11`` (``2026-12-03`` for a day). The auditor's views wrap them in
  ``<time>`` with the UTC instant on hover (``dt_utc``).
* Korean particles follow the final consonant of the word before them (``josa``):
  ``#2를``, ``lgai가``, ``데이터셋을``.
* Statuses, roles and the memos the system writes in English are translated here
  (``status_label``, ``role_label``, ``memo``); audit details are pretty-printed JSON with
  Hangul left readable (``pretty_json``).

Every function is a Jinja filter or global (``register``); the pure ones take the locale
as an argument so that unit tests need no request.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from flask import Flask
from flask_babel import get_locale
from flask_babel import gettext as _
from jinja2 import pass_context
from markupsafe import Markup, escape

KST = timezone(timedelta(hours=9), "KST")
BRAND = "K-Data Catalog"


def lang() -> str:
    try:
        return str(get_locale() or "ko")[:2]
    except (RuntimeError, AttributeError):  # outside a request: the default language
        return "ko"


# --------------------------------------------------------------------------- money


def krw(value: int | None) -> str:
    """Exact won: ``₩450,000,000``."""
    if value is None:
        return "—"
    return f"₩{int(value):,}"


def krw_short(value: int | None, locale: str | None = None) -> str:
    """Short won where space is short: ``4억 5,000만 원`` / ``160억 원`` in Korean, ``₩450M`` /
    ``₩16B`` in English. Exact below 10,000 won; never rounds up a unit it drops."""
    if value is None:
        return "—"
    value = int(value)
    sign = "−" if value < 0 else ""
    n = abs(value)
    if (locale or lang()) == "ko":
        eok, rest = divmod(n, 10**8)
        man = rest // 10**4
        if n < 10**4:
            return f"{sign}{n:,}원"
        parts = []
        if eok:
            parts.append(f"{eok:,}억")
        if man:
            parts.append(f"{man:,}만")
        return f"{sign}{' '.join(parts)} 원"
    for size, unit in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if n >= size:
            amount = f"{n / size:,.2f}".rstrip("0").rstrip(".")
            return f"{sign}₩{amount}{unit}"
    return f"{sign}₩{n:,}"


# --------------------------------------------------------------------------- dates


def _as_kst(value: datetime) -> datetime:
    if value.tzinfo is None:  # stored times are UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(KST)


def _parse(value: Any) -> Any:
    """ISO strings (as the auditor's exports carry them) become datetimes."""
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def dt(value: datetime | date | str | None, fmt: str = "datetime") -> str:
    """``2026-12-03 15:11`` in KST (``fmt="date"``: ``2026-12-03``). Any other ``fmt`` of the
    old filter (``short``, ``medium``, ``full``) gives the same one format."""
    value = _parse(value)
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        local = _as_kst(value)
        if fmt == "date":
            return f"{local:%Y-%m-%d}"
        return f"{local:%Y-%m-%d %H:%M}"
    return f"{value:%Y-%m-%d}"


def day(value: datetime | date | None) -> str:
    return dt(value, "date")


def utc(value: datetime | str | None) -> str:
    value = _parse(value)
    if not isinstance(value, datetime):
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def dt_utc(value: datetime | str | None, fmt: str = "datetime") -> Markup:
    """For the auditor's views: the KST time, with the exact UTC instant on hover."""
    value = _parse(value)
    if value is None or not isinstance(value, datetime):
        return escape(dt(value, fmt))
    iso = value.replace(tzinfo=value.tzinfo or UTC).isoformat()
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        iso, utc(value), dt(value, fmt)
    )


# --------------------------------------------------------------------------- particles

# Final sounds of digits and Latin letters as Koreans read them: 일(1), 삼(3), 육(6), 칠(7),
# 팔(8), 십(10), 영(0); 엘(L), 엠(M), 엔(N), 알(R) and -ng endings.
_DIGIT_BATCHIM = {"0": "ㅇ", "1": "ㄹ", "3": "ㅁ", "6": "ㄱ", "7": "ㄹ", "8": "ㄹ"}
_LETTER_BATCHIM = {"l": "ㄹ", "m": "ㅁ", "n": "ㄴ", "r": "ㄹ"}
_PAIRS = {
    "을/를": ("을", "를"),
    "이/가": ("이", "가"),
    "은/는": ("은", "는"),
    "과/와": ("과", "와"),
    "아/야": ("아", "야"),
    "으로/로": ("으로", "로"),
    "이에요/예요": ("이에요", "예요"),
}


def final_consonant(word: str) -> str | None:
    """The final consonant (받침) of how ``word`` is read, or None after a vowel."""
    text = re.sub(r"[\s\)\]\}\"'’”»>.,!?…·]+$", "", word or "")
    if not text:
        return None
    ch = text[-1]
    code = ord(ch) - 0xAC00
    if 0 <= code < 11172:
        tail = code % 28
        if not tail:
            return None
        return "ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"[tail - 1]
    if ch.isdigit():
        digits = re.search(r"[\d,]+$", text)
        number = digits[0].replace(",", "") if digits else ch
        zeros = len(number) - len(number.rstrip("0"))
        if zeros and number.strip("0"):  # read as 십, 백, 천, 만
            return {1: "ㅂ", 2: "ㄱ", 3: "ㄴ"}.get(zeros, "ㄴ")
        return _DIGIT_BATCHIM.get(ch)
    low = text.lower()
    if low.endswith("ng"):
        return "ㅇ"
    if ch.isascii() and ch.isalpha():
        word_end = re.search(r"[A-Za-z]+$", text)
        letters = word_end[0] if word_end else ch
        if letters.isupper() or len(letters) == 1:  # read letter by letter: 엘, 엠, 엔, 알
            return _LETTER_BATCHIM.get(low[-1])
        return {"l": "ㄹ", "m": "ㅁ", "n": "ㄴ"}.get(low[-1])  # words: -r, -er are vowels
    return None


def josa(word: Any, pair: str) -> str:
    """``word`` followed by the particle the final consonant calls for: ``josa("#2", "을/를")``
    → ``#2를``; ``josa("데이터셋", "이/가")`` → ``데이터셋이``. ``으로/로`` takes 로 after ㄹ."""
    word = str(word)
    with_c, without = _PAIRS.get(pair) or tuple(pair.split("/", 1))  # type: ignore[assignment]
    tail = final_consonant(word)
    if pair == "으로/로" and tail == "ㄹ":
        return word + without
    return word + (with_c if tail else without)


# Korean texts written before the word was known spell both particles: "%(id)s을(를)".
_BOTH = re.compile(
    r"(을\(를\)|를\(을\)|이\(가\)|가\(이\)|은\(는\)|는\(은\)|과\(와\)|와\(과\)|\(으\)로)"
)
_BOTH_PAIR = {
    "을(를)": "을/를",
    "를(을)": "을/를",
    "이(가)": "이/가",
    "가(이)": "이/가",
    "은(는)": "은/는",
    "는(은)": "은/는",
    "과(와)": "과/와",
    "와(과)": "과/와",
    "(으)로": "으로/로",
}


def particles(text: Any) -> Any:
    """Resolve every ``을(를)``-style pair in ``text`` by the word before it (markup-safe:
    a ``Markup`` stays ``Markup``; tags and entities before the pair are looked through)."""
    if not isinstance(text, str) or "(" not in text:
        return text

    def pick(match: re.Match[str]) -> str:
        before = text[max(0, match.start() - 120) : match.start()]
        before = html.unescape(re.sub(r"<[^>]*>", "", before))
        if not before.strip() or before[-1].isspace():
            return match[0]  # nothing to attach to: leave the text as written
        return josa(before, _BOTH_PAIR[match[0]])[len(before) :]

    out = _BOTH.sub(pick, str(text))
    return Markup(out) if isinstance(text, Markup) else out  # noqa: S704 (only particles replaced in markup)


def _install_gettext(app: Flask) -> None:
    """Jinja's gettext, with particle pairs resolved after the variables are filled in."""
    from flask_babel import get_translations

    @pass_context
    def gettext(context: Any, string: str, **variables: Any) -> Any:
        rv: Any = get_translations().ugettext(string)
        if context.eval_ctx.autoescape:
            rv = Markup(rv)  # noqa: S704 (our own catalogue, as Jinja does)
        return particles(rv % variables if variables else rv)

    @pass_context
    def ngettext(context: Any, singular: str, plural: str, num: int, **variables: Any) -> Any:
        rv: Any = get_translations().ungettext(singular, plural, num)
        variables.setdefault("num", num)
        if context.eval_ctx.autoescape:
            rv = Markup(rv)  # noqa: S704 (our own catalogue, as Jinja does)
        return particles(rv % variables)

    app.jinja_env.globals.update(gettext=gettext, ngettext=ngettext)


# --------------------------------------------------------------------------- labels


def status_label(status: Any) -> str:
    """One vocabulary for purchases of both modes, licences, teams and datasets."""
    status = getattr(status, "value", status)
    return {
        "requested": _("requested"),
        "lead_pending": _("waiting for the lead"),
        "lead_confirmed": _("waiting for the provider"),
        "open": _("open"),
        "pending_approval": _("waiting for the provider"),
        "approved": _("approved"),
        "rejected": _("rejected"),
        "cancelled": _("cancelled"),
        "failed": _("failed"),
        "active": _("active"),
        "expiring": _("expiring soon"),
        "suspended": _("suspended"),
        "revoked": _("revoked"),
        "expired": _("expired"),
        "eliminated": _("eliminated"),
        "draft": _("draft"),
        "published": _("published"),
        "withdrawn": _("withdrawn"),
        "joined": _("joined"),
        "left": _("left"),
        "confirmed": _("confirmed"),
    }.get(str(status), str(status))


def purchase_status(purchase: Any) -> str:
    """The status a purchase shows: an individual request whose lead has confirmed is
    waiting for the provider, not for the lead."""
    status = str(purchase.status.value)
    if status == "requested":
        parts = [p for p in purchase.participants if p.status.value == "joined"]
        if parts and all(p.confirmed_at is not None for p in parts):
            return "lead_confirmed"
        return "lead_pending"
    return status


def role_label(role: Any) -> str:
    role = getattr(role, "value", role)
    return {
        "admin": _("Programme office"),
        "provider": _("Provider staff"),
        "team_member": _("Team member"),
        "team_lead": _("Team lead"),
        "auditor": _("Auditor"),
        "system": _("System"),
    }.get(str(role), str(role))


_MEMOS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"^demo: initial data budget$"), lambda m: _("Initial data budget (demo)")),
    (re.compile(r"^initial data budget$"), lambda m: _("Initial data budget")),
    (re.compile(r"^budget grant$"), lambda m: _("Budget grant")),
    (re.compile(r"^budget claw-back$"), lambda m: _("Budget claw-back")),
    (
        re.compile(r"^last team eliminated at phase (\d+)$"),
        lambda m: _("The last team was eliminated at phase %(phase)s", phase=m[1]),
    ),
    (
        re.compile(r"^team eliminated at phase (\d+)$"),
        lambda m: _("Team eliminated at phase %(phase)s", phase=m[1]),
    ),
    (
        re.compile(r"^fell below (\d+) teams when (\S+) was eliminated$"),
        lambda m: _(
            "Fewer than %(min)s teams were left when %(team)s was eliminated",
            min=m[1],
            team=m[2],
        ),
    ),
    (
        re.compile(r"^closed with (\d+) confirmed team\(s\); (\d+) needed$"),
        lambda m: _(
            "Closed with %(count)s confirmed teams; %(min)s were needed", count=m[1], min=m[2]
        ),
    ),
    (
        re.compile(r"^purchase (\d+): (\S+)$"),
        lambda m: _("Purchase #%(id)s: %(dataset)s", id=m[1], dataset=m[2]),
    ),
    (
        re.compile(r"^renewal (\d+): (\S+)$"),
        lambda m: _("Renewal #%(id)s: %(dataset)s", id=m[1], dataset=m[2]),
    ),
    (re.compile(r"^deadline passed$"), lambda m: _("deadline passed")),
]


def memo(text: str | None) -> str:
    """A memo or note the system wrote in English, in the reader's language; a person's own
    words are shown as written."""
    if not text:
        return ""
    for pattern, render in _MEMOS:
        match = pattern.match(text.strip())
        if match:
            return str(render(match))
    return text


def pretty_json(data: Any) -> str:
    """Event details for people: indented, keys sorted, Hangul as Hangul (no ``\\uXXXX``)."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def name_of(obj: Any, locale: str | None = None) -> str:
    """An institution's or team's name in the reader's language (English names in the
    English UI), falling back to the other one and then to the code."""
    first, second = ("en", "ko") if (locale or lang()) == "en" else ("ko", "en")
    return (
        getattr(obj, f"name_{first}", "")
        or getattr(obj, f"name_{second}", "")
        or str(getattr(obj, "code", ""))
    )


def register(app: Flask) -> None:
    env = app.jinja_env
    env.filters.update(
        krw=krw,
        krw_short=krw_short,
        dt=dt,
        date=lambda v, fmt="date": dt(v, "date"),
        day=day,
        utc=utc,
        dt_utc=dt_utc,
        josa=josa,
        status_label=status_label,
        role_label=role_label,
        memo=memo,
        pretty_json=pretty_json,
        name_of=name_of,
        particles=particles,
    )
    env.globals.update(
        josa=josa,
        purchase_status=purchase_status,
        status_label=status_label,
        name_of=name_of,
        BRAND=BRAND,
    )
    _install_gettext(app)
