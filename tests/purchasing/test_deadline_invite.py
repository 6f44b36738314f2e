"""The opener's deadline within the offer's window, and invitations to a joint purchase."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from catalog.errors import DomainError
from catalog.models.audit import AuditEvent
from catalog.models.notifications import Notice
from catalog.services import purchasing
from catalog.services.context import Actor
from catalog.services.users import find_user
from tests.purchasing.conftest import make_dataset

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


def _actor(session, email: str) -> Actor:
    return Actor.for_user(find_user(session, email))


def _open(session, ds, deadline, who="naver-lead@kdc.test"):
    return purchasing.request_purchase(
        session,
        _actor(session, who),
        dataset=ds["slug"],
        offer=ds["joint"],
        deadline=deadline,
        now=NOW,
    )


def test_the_opener_picks_a_deadline_inside_the_window(demo_session):
    ds = make_dataset(demo_session, window_days=14)
    assert _open(demo_session, ds, None).deadline == NOW + timedelta(days=14)
    ds = make_dataset(demo_session, window_days=14)
    chosen = NOW + timedelta(days=5, hours=3)
    assert _open(demo_session, ds, chosen).deadline == chosen
    # The window's last day (late in the day in Korea) means the window's end.
    ds = make_dataset(demo_session, window_days=14)
    assert _open(demo_session, ds, NOW + timedelta(days=14, hours=12)).deadline == NOW + timedelta(
        days=14
    )


@pytest.mark.parametrize(
    "deadline", [NOW + timedelta(hours=3), NOW + timedelta(days=16), NOW - timedelta(days=1)]
)
def test_a_deadline_outside_the_window_opens_nothing(demo_session, deadline):
    ds = make_dataset(demo_session, window_days=14)
    with pytest.raises(DomainError) as exc:
        _open(demo_session, ds, deadline)
    assert exc.value.code == "invalid_deadline" and exc.value.status == 422
    assert purchasing.list_purchases(demo_session, Actor.system(), dataset=ds["slug"]).total == 0


def test_an_individual_purchase_takes_no_deadline(demo_session):
    ds = make_dataset(demo_session)
    with pytest.raises(DomainError) as exc:
        purchasing.request_purchase(
            demo_session,
            _actor(demo_session, "naver-lead@kdc.test"),
            dataset=ds["slug"],
            offer=ds["individual"],
            deadline=NOW + timedelta(days=3),
            now=NOW,
        )
    assert exc.value.code == "invalid_deadline"


def test_a_participant_invites_a_team_which_is_told_its_share(demo_session):
    ds = make_dataset(demo_session, joint=300_000_000, max_teams=3)
    p = _open(demo_session, ds, None)
    naver = _actor(demo_session, "naver-member@kdc.test")
    purchasing.invite_team(demo_session, naver, p.id, team="lgai", now=NOW)
    event = demo_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "purchase:invite")
    ).all()[-1]
    assert event.data == {"team": "naver", "invited": "lgai", "share_if_joined_krw": 150_000_000}
    notice = demo_session.scalars(select(Notice).where(Notice.kind == "joint.invited")).all()[-1]
    assert (
        notice.data["inviter_team"] == "naver" and notice.data["share_if_joined_krw"] == 150_000_000
    )
    # Who may not, and whom one cannot invite.
    for who, team, code in (
        ("skt-lead@kdc.test", "lgai", "not_participant"),
        ("auditor@kdc.test", "lgai", "read_only"),
        ("naver-lead@kdc.test", "naver", "already_participant"),
        ("naver-lead@kdc.test", "nobody", "invalid_team"),
    ):
        with pytest.raises(DomainError) as exc:
            purchasing.invite_team(
                demo_session, _actor(demo_session, who), p.id, team=team, now=NOW
            )
        assert exc.value.code == code, (who, team)
    # An invited team is offered only while the purchase has room.
    teams = [t.code for t in purchasing.invitable_teams(demo_session, naver, p)]
    assert "lgai" in teams and "naver" not in teams
