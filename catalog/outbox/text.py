"""The words of each notice, in the reader's language.

A notice stores language-neutral data (ids, codes, amounts, both titles of a dataset);
``render`` turns it into a title and a body in the locale in force (Flask-Babel: the page's
language, or ``force_locale`` for an e-mail). The inbox page and the e-mails use it alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalog.models.notifications import NoticeKind

KIND_LABELS = {
    NoticeKind.PURCHASE_REQUESTED: _l("Purchases waiting for a lead's confirmation"),
    NoticeKind.PURCHASE_AWAITING_APPROVAL: _l("Purchases waiting for your decision"),
    NoticeKind.PURCHASE_CONFIRMED: _l("Participation confirmed by a lead"),
    NoticeKind.PURCHASE_APPROVED: _l("Purchase approved"),
    NoticeKind.PURCHASE_REJECTED: _l("Purchase rejected"),
    NoticeKind.PURCHASE_CANCELLED: _l("Purchase cancelled"),
    NoticeKind.JOINT_OPENED: _l("Joint purchase opened"),
    NoticeKind.JOINT_INVITED: _l("Invitation to a joint purchase"),
    NoticeKind.JOINT_JOINED: _l("A team joined a joint purchase"),
    NoticeKind.JOINT_LEFT: _l("A team left a joint purchase"),
    NoticeKind.JOINT_CLOSING_SOON: _l("Joint purchase closing within 24 hours"),
    NoticeKind.JOINT_CLOSED: _l("Joint purchase closed"),
    NoticeKind.LICENSE_ACTIVATED: _l("Licence activated"),
    NoticeKind.LICENSE_SUSPENDED: _l("Licence suspended"),
    NoticeKind.LICENSE_REINSTATED: _l("Licence reinstated"),
    NoticeKind.LICENSE_REVOKED: _l("Licence revoked"),
    NoticeKind.LICENSE_EXPIRING: _l("Licence ending in 30, 7 and 1 days"),
    NoticeKind.LICENSE_QUOTA_CHANGED: _l("Licence download quota changed"),
    NoticeKind.LICENSE_ATTESTATION_DUE: _l("Destruction attestation due"),
    NoticeKind.RENEWAL_REQUESTED: _l("Renewals waiting for your confirmation"),
    NoticeKind.RENEWAL_AWAITING_APPROVAL: _l("Renewals waiting for your decision"),
    NoticeKind.RENEWAL_APPROVED: _l("Renewal approved"),
    NoticeKind.RENEWAL_DECLINED: _l("Renewal rejected, withdrawn or lapsed"),
    NoticeKind.DATASET_VERSION_PUBLISHED: _l("New version of a licensed dataset"),
    NoticeKind.TEAM_ELIMINATED: _l("Team eliminated"),
    NoticeKind.BUDGET_GRANTED: _l("Budget granted"),
    NoticeKind.BUDGET_CLAWED_BACK: _l("Budget clawed back"),
}


@dataclass(frozen=True)
class NoticeText:
    title: str
    body: str
    path: str  # where the notice leads, relative to the service's base URL


def _lang() -> str:
    return str(get_locale() or "ko")[:2]


def _dataset(data: dict) -> str:
    first, second = ("en", "ko") if _lang() == "en" else ("ko", "en")
    return data.get(f"dataset_title_{first}") or data.get(f"dataset_title_{second}") or ""


def _won(value) -> str:
    return f"{int(value or 0):,}"


def _when(value: str | None) -> str:
    if not value:
        return "—"
    from catalog.web.formatting import dt

    return dt(datetime.fromisoformat(value))


def _status(value: str) -> str:
    return {
        "pending_approval": _("waiting for the provider"),
        "failed": _("failed"),
        "cancelled": _("cancelled"),
    }.get(value, value)


def _join(*sentences: str) -> str:
    return " ".join(s for s in sentences if s)


def render(kind: str, data: dict) -> NoticeText:
    """Title and body of a notice in the locale in force."""
    d = {
        "id": data.get("renewal_id") or data.get("purchase_id") or data.get("license_id") or "",
        "dataset": _dataset(data),
        "price": _won(data.get("price_krw")),
        "team": data.get("team", ""),
        "by": data.get("by", ""),
    }
    path = data.get("path") or "/notifications"
    note = data.get("note") or ""
    note_line = _("Note: %(note)s", note=note) if note else ""
    title, body = _texts(kind, data, d, note_line)
    from catalog.web.formatting import particles

    # Particles after a code or number ("#12을(를)") follow its final consonant.
    return NoticeText(particles(title), particles(body), path)


def _texts(kind: str, data: dict, d: dict, note_line: str) -> tuple[str, str]:
    k = NoticeKind(kind) if kind in NoticeKind._value2member_map_ else None
    if k == NoticeKind.PURCHASE_REQUESTED:
        action = data.get("action")
        if action == "join":
            title = _("%(by)s joined your team to joint purchase #%(id)s of “%(dataset)s”", **d)
        elif action == "open":
            title = _("%(by)s opened a joint purchase of “%(dataset)s” for your team", **d)
        else:
            title = _("%(by)s asked to buy “%(dataset)s” for your team", **d)
        return title, _(
            "Only a team lead commits the team's money: confirm purchase #%(id)s "
            "(₩%(price)s) on its page, or withdraw it.",
            **d,
        )
    if k == NoticeKind.PURCHASE_AWAITING_APPROVAL:
        return _("Purchase #%(id)s of “%(dataset)s” waits for your decision", **d), _(
            "Teams: %(teams)s. Price: ₩%(price)s. Approve or reject it on its page.",
            teams=", ".join(data.get("teams") or []),
            price=d["price"],
        )
    if k == NoticeKind.PURCHASE_CONFIRMED:
        return _(
            "A team lead confirmed your team's part in purchase #%(id)s of “%(dataset)s”", **d
        ), _("Confirmed by %(by)s.", **d)
    if k == NoticeKind.PURCHASE_APPROVED:
        return _("Purchase #%(id)s of “%(dataset)s” is approved", **d), _join(
            _(
                "Your team was charged ₩%(share)s and its licence is active.",
                share=_won(data.get("share_krw")),
            ),
            note_line,
        )
    if k == NoticeKind.PURCHASE_REJECTED:
        return _("Purchase #%(id)s of “%(dataset)s” was rejected", **d), _join(
            _("Nobody was charged."), note_line
        )
    if k == NoticeKind.PURCHASE_CANCELLED:
        return _("Purchase #%(id)s of “%(dataset)s” was cancelled", **d), _join(
            _("Cancelled by %(by)s.", **d) if d["by"] else "", _("Nobody was charged."), note_line
        )
    if k == NoticeKind.JOINT_OPENED:
        return _(
            "Team %(team)s opened a joint purchase of “%(dataset)s”",
            **{
                **d,
                "team": data.get("opener_team", ""),
            },
        ), _(
            "₩%(price)s, shared among the teams that join. Open until %(deadline)s.",
            price=d["price"],
            deadline=_when(data.get("deadline")),
        )
    if k == NoticeKind.JOINT_INVITED:
        return _(
            "Team %(inviter)s invites your team to joint purchase #%(id)s of “%(dataset)s”",
            **{**d, "inviter": data.get("inviter_team", "")},
        ), _(
            "With your team, each of %(teams)s teams would pay about ₩%(share)s. Open until "
            "%(deadline)s.",
            teams=data.get("teams_if_joined", ""),
            share=f"{int(data.get('share_if_joined_krw') or 0):,}",
            deadline=_when(data.get("deadline")),
        )
    if k in (NoticeKind.JOINT_JOINED, NoticeKind.JOINT_LEFT):
        other = {**d, "other": data.get("other_team", "")}
        title = (
            _("Team %(other)s joined joint purchase #%(id)s of “%(dataset)s”", **other)
            if k == NoticeKind.JOINT_JOINED
            else _("Team %(other)s left joint purchase #%(id)s of “%(dataset)s”", **other)
        )
        return title, _join(
            _("The team was eliminated from the programme.")
            if data.get("reason") == "eliminated"
            else "",
            _("Teams taking part now: %(count)s.", count=data.get("teams_count", 0)),
        )
    if k == NoticeKind.JOINT_CLOSING_SOON:
        return _("Joint purchase #%(id)s of “%(dataset)s” closes within 24 hours", **d), _(
            "It closes at %(deadline)s. Participations no team lead has confirmed by then "
            "are dropped.",
            deadline=_when(data.get("deadline")),
        )
    if k == NoticeKind.JOINT_CLOSED:
        status = data.get("status", "")
        if data.get("dropped_unconfirmed"):
            body = _("Your team's participation was dropped: no team lead confirmed it.")
        elif status == "pending_approval":
            body = _("It now waits for the provider's decision.")
        else:
            body = _("Too few confirmed teams took part; nobody was charged.")
        return _(
            "Joint purchase #%(id)s of “%(dataset)s” closed: %(status)s",
            **{**d, "status": _status(status)},
        ), body
    if k in (
        NoticeKind.LICENSE_ACTIVATED,
        NoticeKind.LICENSE_REINSTATED,
        NoticeKind.LICENSE_SUSPENDED,
        NoticeKind.LICENSE_REVOKED,
    ):
        until = _("Valid until %(date)s.", date=_when(data.get("valid_until")))
        reason = data.get("reason") or ""
        reason_line = _("Reason: %(reason)s", reason=reason) if reason else ""
        if k == NoticeKind.LICENSE_ACTIVATED:
            return _("Your team's licence for “%(dataset)s” is active", **d), _join(
                until, _("Accept its terms once before the first download.")
            )
        if k == NoticeKind.LICENSE_REINSTATED:
            return _("Your team's licence for “%(dataset)s” is active again", **d), until
        if k == NoticeKind.LICENSE_SUSPENDED:
            return _("Your team's licence for “%(dataset)s” is suspended", **d), _join(
                _("No new download links until it is reinstated."), reason_line
            )
        return _("Your team's licence for “%(dataset)s” was revoked", **d), reason_line
    if k == NoticeKind.LICENSE_EXPIRING:
        days = int(data.get("days") or 0)
        return _(
            "Your team's licence for “%(dataset)s” ends in %(days)s day(s)", days=days, **d
        ), _join(
            _("It ends at %(date)s.", date=_when(data.get("valid_until"))),
            _(
                "A team lead can ask for a renewal on the licence's page before then; when it "
                "ends, delete the team's copies and attest it (kdc purge)."
            ),
        )
    if k == NoticeKind.LICENSE_QUOTA_CHANGED:
        objects, nbytes = data.get("quota_objects"), data.get("quota_bytes")
        caps = _join(
            _("Objects per term: %(n)s.", n=_won(objects)) if objects else _("No cap on objects."),
            _("Bytes per term: %(n)s.", n=_won(nbytes)) if nbytes else _("No cap on bytes."),
        )
        reason = data.get("reason") or ""
        return _("The download quota of your licence for “%(dataset)s” changed", **d), _join(
            caps, _("Reason: %(reason)s", reason=reason) if reason else ""
        )
    if k == NoticeKind.LICENSE_ATTESTATION_DUE:
        overdue = int(data.get("days_overdue") or 0)
        title = (
            _("Your team owes a destruction attestation for “%(dataset)s”", **d)
            if not data.get("reminder")
            else _(
                "Reminder: the destruction attestation for “%(dataset)s” is %(days)s day(s) "
                "overdue",
                days=overdue,
                **d,
            )
        )
        return title, _(
            "The licence has ended. Delete the team's copies with `kdc purge %(slug)s --dest "
            "DIR` on each machine that fetched it, or attest on the licence's page (a team lead).",
            slug=data.get("dataset", ""),
        )
    if k in (
        NoticeKind.RENEWAL_REQUESTED,
        NoticeKind.RENEWAL_AWAITING_APPROVAL,
        NoticeKind.RENEWAL_APPROVED,
        NoticeKind.RENEWAL_DECLINED,
    ):
        teams = ", ".join(data.get("teams") or [])
        if k == NoticeKind.RENEWAL_REQUESTED:
            return _(
                "%(by)s asked to renew the licences for “%(dataset)s” (renewal #%(id)s)", **d
            ), _(
                "Teams: %(teams)s. Price: ₩%(price)s, split between them. A lead of your team "
                "confirms on the renewal's page.",
                teams=teams,
                price=d["price"],
            )
        if k == NoticeKind.RENEWAL_AWAITING_APPROVAL:
            return _("Renewal #%(id)s of “%(dataset)s” waits for your decision", **d), _(
                "Teams: %(teams)s. Price: ₩%(price)s. Approve or reject it on its page.",
                teams=teams,
                price=d["price"],
            )
        if k == NoticeKind.RENEWAL_APPROVED:
            return _("Renewal #%(id)s of “%(dataset)s” is approved", **d), _join(
                _(
                    "Your team was charged ₩%(share)s; the licence now ends at %(date)s.",
                    share=_won(data.get("share_krw")),
                    date=_when(data.get("new_valid_until")),
                ),
                note_line,
            )
        status = {
            "rejected": _("rejected"),
            "cancelled": _("withdrawn"),
            "lapsed": _("lapsed: the licence ended before a decision"),
        }.get(str(data.get("status")), str(data.get("status")))
        return _("Renewal #%(id)s of “%(dataset)s”: %(status)s", **{**d, "status": status}), _join(
            _("Nobody was charged."), note_line
        )
    if k == NoticeKind.DATASET_VERSION_PUBLISHED:
        return _(
            "Version %(version)s of “%(dataset)s” is published",
            version=data.get("version", ""),
            **d,
        ), _(
            "Your team holds a licence for it: %(objects)s files, %(bytes)s bytes. "
            "Fetch it with `kdc fetch %(slug)s --version %(version)s`.",
            objects=_won(data.get("object_count")),
            bytes=_won(data.get("total_bytes")),
            slug=data.get("dataset", ""),
            version=data.get("version", ""),
        )
    if k == NoticeKind.TEAM_ELIMINATED:
        return _(
            "Your team was eliminated at evaluation phase %(phase)s", phase=data.get("phase")
        ), _(
            "Licences revoked: %(revoked)s; kept because their terms survive elimination: "
            "%(kept)s. The team can no longer buy data.",
            revoked=data.get("revoked_licenses", 0),
            kept=data.get("kept_licenses", 0),
        )
    if k in (NoticeKind.BUDGET_GRANTED, NoticeKind.BUDGET_CLAWED_BACK):
        amounts = {
            "amount": _won(data.get("amount_krw")),
            "balance": _won(data.get("balance_krw")),
        }
        title = (
            _("The programme granted ₩%(amount)s to your team", **amounts)
            if k == NoticeKind.BUDGET_GRANTED
            else _("The programme clawed back ₩%(amount)s of your team's budget", **amounts)
        )
        from catalog.web.formatting import memo as system_memo

        memo = system_memo(data.get("memo") or "")
        return title, _join(
            _("Balance now: ₩%(balance)s.", **amounts),
            _("Memo: %(memo)s", memo=memo) if memo else "",
        )
    return kind, ""
