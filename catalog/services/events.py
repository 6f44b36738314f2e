"""The event feed for scripts: the notices the caller may see, oldest first, after a cursor.

The feed is not a log of its own: it reads the ``notices`` the services already write in
the same unit of work as each change (``catalog.services.notices``), so an event exists
exactly when the change committed, and a webhook of the same audience receives the same
``type`` and ``data``. What a caller sees:

- team leads and members: the notices addressed to their team (its purchases and licences,
  joint purchases other teams open, new versions of datasets the team holds, its budget),
  of the kinds their role hears (``policy.notice_kinds``: members are not asked to confirm);
- provider staff: the notices addressed to their institution;
- the programme office and auditors: every notice.

Notice ids grow with every insert, so ``after=<last id seen>`` is a keyset cursor: a page
never repeats or skips what existed when the previous page was read. ``wait`` turns a read
into a long poll: with nothing new, the database is read again every ``POLL_INTERVAL``
seconds (the read transaction ended in between, so a sync worker holds no snapshot or lock
while it sleeps) until something arrives or ``wait`` seconds pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from catalog import policy
from catalog.db import MAX_ID, end_read
from catalog.errors import InvalidInput
from catalog.models.institutions import Institution
from catalog.models.notifications import Notice, NoticeKind
from catalog.models.teams import Team
from catalog.services.context import Actor

MAX_WAIT = 30.0
POLL_INTERVAL = 0.5
MAX_LIMIT = 200


@dataclass
class EventPage:
    items: list[Notice]
    after: int  # the cursor the page was read after
    last_id: int  # the cursor for the next read: the last item's id, or ``after`` if none
    more: bool  # more events are already waiting after this page
    waited: float  # seconds spent waiting (long poll)
    audiences: dict[int, str]  # notice id → "team:CODE" or "institution:CODE"


def kinds_visible(actor: Actor) -> tuple[NoticeKind, ...] | None:
    """The notice kinds the actor's feed carries (``None``: every kind)."""
    if policy.ANY in policy.relations_for(actor, "event.read"):
        return None
    return policy.notice_kinds(actor.role)


def _visible(actor: Actor) -> Select[Any]:
    q = select(Notice)
    allowed = policy.relations_for(actor, "event.read")
    if policy.ANY in allowed:
        return q
    audiences = []
    if policy.OWN_TEAM in allowed and actor.team_id is not None:
        audiences.append(Notice.team_id == actor.team_id)
    if policy.OWN_INSTITUTION in allowed and actor.institution_id is not None:
        audiences.append(Notice.institution_id == actor.institution_id)
    if not audiences:
        return q.where(Notice.id.is_(None))
    kinds = [k.value for k in policy.notice_kinds(actor.role)]
    return q.where(or_(*audiences), Notice.kind.in_(kinds))


def _check(after: int, limit: int, wait: float, kinds: Iterable[str]) -> list[str]:
    if not 0 <= after <= MAX_ID:
        raise InvalidInput(
            "after must be the id of an event you saw (0: from the start)", code="invalid_cursor"
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}", code="invalid_input")
    if not 0 <= wait <= MAX_WAIT:
        raise InvalidInput(f"wait is between 0 and {MAX_WAIT:g} seconds", code="invalid_input")
    wanted = sorted(set(kinds))
    known = {k.value for k in NoticeKind}
    unknown = [k for k in wanted if k not in known]
    if unknown:
        raise InvalidInput(
            f"unknown event kind(s): {', '.join(unknown)}",
            code="invalid_kind",
            errors={"kind": [f"unknown: {', '.join(unknown)}"]},
        )
    return wanted


def _read(
    session: Session, actor: Actor, after: int, limit: int, kinds: list[str]
) -> tuple[list[Notice], bool]:
    q = _visible(actor).where(Notice.id > after)
    if kinds:
        q = q.where(Notice.kind.in_(kinds))
    rows = list(session.scalars(q.order_by(Notice.id).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def _audiences(session: Session, items: list[Notice]) -> dict[int, str]:
    team_ids = {n.team_id for n in items if n.team_id is not None}
    inst_ids = {n.institution_id for n in items if n.institution_id is not None}
    teams: dict[int, str] = {}
    if team_ids:
        for tid, code in session.execute(select(Team.id, Team.code).where(Team.id.in_(team_ids))):
            teams[tid] = code
    insts: dict[int, str] = {}
    if inst_ids:
        for iid, code in session.execute(
            select(Institution.id, Institution.code).where(Institution.id.in_(inst_ids))
        ):
            insts[iid] = code
    return {
        n.id: f"team:{teams.get(n.team_id, '')}"
        if n.team_id is not None
        else f"institution:{insts.get(n.institution_id or 0, '')}"
        for n in items
    }


def events(
    session: Session,
    actor: Actor,
    *,
    after: int = 0,
    limit: int = 50,
    kinds: Iterable[str] = (),
    wait: float = 0.0,
    sleep: Callable[[float], Any] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> EventPage:
    """The actor's events with an id above ``after``, oldest first, at most ``limit``.

    With ``wait`` > 0 and nothing to return, poll until an event arrives or ``wait``
    seconds have passed (at most ``MAX_WAIT``)."""
    policy.require(actor, "event.read")
    wanted = _check(after, limit, wait, kinds)
    start = clock()
    while True:
        items, more = _read(session, actor, after, limit, wanted)
        waited = clock() - start
        if items or waited >= wait:
            last = items[-1].id if items else after
            return EventPage(items, after, last, more, round(waited, 3), _audiences(session, items))
        end_read(session)
        sleep(min(POLL_INTERVAL, max(0.0, wait - waited)))


def head(session: Session, actor: Actor) -> int:
    """The id of the actor's newest event (0: none): a cursor that skips the history."""
    policy.require(actor, "event.read")
    sub = _visible(actor).subquery()
    return int(session.scalar(select(func.max(sub.c.id))) or 0)
