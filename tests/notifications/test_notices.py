"""Notices are written with the change they announce, to the people who should know, and
to nobody else; a change that rolls back leaves none (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from catalog.db import get_session, transaction, utcnow
from catalog.models.notifications import Delivery, Notice, Notification
from catalog.services import elimination, ledger, licensing, notices, purchasing
from catalog.services.context import Actor
from tests.notifications.conftest import actor, inbox_of, offer_of
from tests.web.conftest import login

SPEECH = "kbs-news-speech"  # KBS's dataset, individual offer
ANNALS = "joseon-annals-original"  # NIKH's, with a joint offer


def bell(client) -> int:
    """The unread count the header's bell shows (0 when it shows none)."""
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'id="notification-count"[^>]*>(\d+)<', html)
    return int(match.group(1)) if match else 0


def test_a_members_request_rings_the_leads_bell_then_the_providers(demo_app):
    member = login(demo_app.test_client(), "naver-member@kdc.test")
    lead = login(demo_app.test_client(), "naver-lead@kdc.test")
    kbs = login(demo_app.test_client(), "kbs@kdc.test")
    other = login(demo_app.test_client(), "upstage-lead@kdc.test")
    with demo_app.app_context():
        offer = offer_of(get_session(), SPEECH, "individual")
    assert bell(lead) == 0
    resp = member.post(f"/datasets/{SPEECH}/purchases", data={"offer_id": str(offer)})
    assert resp.status_code == 302
    pid = int(resp.headers["Location"].rsplit("/", 1)[1])

    assert bell(lead) == 1
    assert bell(member) == 0  # never told about what one did oneself
    assert bell(kbs) == 0  # not before a lead confirmed: the request does not count yet
    assert bell(other) == 0  # another team's request is none of upstage's business
    page = lead.get("/notifications").get_data(as_text=True)
    assert "naver-member@kdc.test" in page and "KBS 뉴스" in page and f"#{pid}" in page

    assert lead.post(f"/purchases/{pid}/confirm").status_code == 302
    assert bell(kbs) == 1
    assert bell(member) == 1  # the lead confirmed the member's request
    assert bell(other) == 0
    with demo_app.app_context():
        session = get_session()
        assert [k for k, _d in inbox_of(session, "kbs@kdc.test")] == ["purchase.awaiting_approval"]
        assert inbox_of(session, "mbc@kdc.test") == []  # another institution's staff


def test_a_rolled_back_change_writes_no_notice(demo_session):
    session = demo_session
    lead = actor(session, "naver-lead@kdc.test")
    member = actor(session, "naver-member@kdc.test")
    before = session.scalar(select(func.count()).select_from(Notice))
    with pytest.raises(RuntimeError), transaction(session):
        purchasing.request_purchase(
            session, member, dataset=SPEECH, offer=offer_of(session, SPEECH, "individual")
        )
        assert session.scalar(select(func.count()).select_from(Notification)) == 1
        raise RuntimeError("a later step of the same unit of work fails")
    assert session.scalar(select(func.count()).select_from(Notice)) == before
    assert session.scalar(select(func.count()).select_from(Notification)) == 0
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    assert notices.unread_count(session, lead.user_id) == 0
    # A refused change (a domain error inside the service) writes none either.
    with pytest.raises(purchasing.DomainError):
        purchasing.confirm_participation(session, lead, 999_999)
    assert session.scalar(select(func.count()).select_from(Notice)) == before


def test_joint_purchase_notices_reach_every_team_and_the_provider_once_closed(demo_session):
    session = demo_session
    offer = offer_of(session, ANNALS, "joint")
    naver = actor(session, "naver-lead@kdc.test")
    upstage = actor(session, "upstage-member@kdc.test")
    p = purchasing.request_purchase(session, naver, dataset=ANNALS, offer=offer)
    # Opened by a lead: confirmed at once, so naver's people hear nothing; the others do.
    assert inbox_of(session, "naver-member@kdc.test") == []
    kinds = [k for k, _d in inbox_of(session, "upstage-member@kdc.test")]
    assert kinds == ["joint.opened"]
    purchasing.join_purchase(session, upstage, p.id)
    assert [k for k, _d in inbox_of(session, "upstage-lead@kdc.test")][-1] == "purchase.requested"
    assert [k for k, d in inbox_of(session, "naver-member@kdc.test")] == ["joint.joined"]
    purchasing.confirm_participation(session, actor(session, "upstage-lead@kdc.test"), p.id)
    purchasing.close_purchase(session, naver, p.id)
    nikh = [k for k, _d in inbox_of(session, "nikh@kdc.test")]
    assert nikh == ["purchase.awaiting_approval"]
    assert inbox_of(session, "kbs@kdc.test") == []
    purchasing.approve_purchase(session, actor(session, "nikh@kdc.test"), p.id)
    naver_kinds = [k for k, _d in inbox_of(session, "naver-member@kdc.test")]
    assert naver_kinds[-3:] == ["joint.closed", "license.activated", "purchase.approved"]
    approved = inbox_of(session, "upstage-member@kdc.test")[-1][1]
    assert approved["share_krw"] == 300_000_000  # upstage's own share, in its own notice


def test_licence_budget_and_elimination_notices_go_to_the_team_only(demo_session):
    session = demo_session
    system = Actor.system("test")
    lead = actor(session, "naver-lead@kdc.test")
    p = purchasing.request_purchase(
        session, lead, dataset=SPEECH, offer=offer_of(session, SPEECH, "individual")
    )
    purchasing.approve_purchase(session, actor(session, "kbs@kdc.test"), p.id)
    lic_id = session.scalar(
        select(licensing.License.id).where(licensing.License.purchase_id == p.id)
    )
    licensing.suspend_license(session, system, lic_id, "audit pending")
    licensing.reinstate_license(session, system, lic_id)
    ledger.grant_budget(session, system, "naver", 1_000_000, memo="2027 top-up")
    ledger.grant_budget(session, system, "naver", -500_000)
    elimination.eliminate_team(session, system, "naver", 1)
    kinds = [k for k, _d in inbox_of(session, "naver-member@kdc.test")]
    assert kinds == [
        "license.activated",
        "purchase.approved",
        "license.suspended",
        "license.reinstated",
        "budget.granted",
        "budget.clawed_back",
        "license.revoked",
        "team.eliminated",
    ]
    data = dict(inbox_of(session, "naver-member@kdc.test"))
    assert data["license.suspended"]["reason"] == "audit pending"
    assert data["budget.granted"]["amount_krw"] == 1_000_000
    assert data["budget.granted"]["memo"] == "2027 top-up"
    for other in ("upstage-lead@kdc.test", "skt-member@kdc.test", "auditor@kdc.test"):
        assert inbox_of(session, other) == []


def test_closing_soon_is_announced_once_per_purchase(demo_session):
    from catalog.services import duties

    session = demo_session
    system = Actor.system("test")
    p = purchasing.request_purchase(
        session,
        actor(session, "naver-lead@kdc.test"),
        dataset=ANNALS,
        offer=offer_of(session, ANNALS, "joint"),
    )
    almost = p.deadline - timedelta(hours=23)
    assert duties.tick(session, system, now=p.deadline - timedelta(hours=30)).closing_soon == []
    assert duties.tick(session, system, now=almost).closing_soon == [p.id]
    assert duties.tick(session, system, now=almost + timedelta(hours=1)).closing_soon == []
    count = session.scalar(
        select(func.count()).select_from(Notice).where(Notice.kind == "joint.closing_soon")
    )
    assert count == 5  # one per active team, once
    assert [k for k, _d in inbox_of(session, "naver-member@kdc.test")] == ["joint.closing_soon"]
    assert utcnow() < p.deadline


def test_rejection_cancellation_and_leaving_are_announced_to_those_concerned(demo_session):
    session = demo_session
    naver_lead = actor(session, "naver-lead@kdc.test")
    # Rejected: the requesting team hears it, with the provider's note; others do not.
    p = purchasing.request_purchase(
        session, naver_lead, dataset=SPEECH, offer=offer_of(session, SPEECH, "individual")
    )
    purchasing.reject_purchase(session, actor(session, "kbs@kdc.test"), p.id, note="재검토 필요")
    naver = inbox_of(session, "naver-member@kdc.test")
    assert [k for k, _d in naver] == ["purchase.rejected"]
    assert inbox_of(session, "upstage-lead@kdc.test") == []

    # Cancelled while awaiting the provider: the provider's staff hear it too.
    p = purchasing.request_purchase(
        session, naver_lead, dataset=SPEECH, offer=offer_of(session, SPEECH, "individual")
    )
    assert [k for k, _d in inbox_of(session, "kbs@kdc.test")][-1] == "purchase.awaiting_approval"
    purchasing.cancel_purchase(session, naver_lead, p.id, note="예산 재배정")
    assert [k for k, _d in inbox_of(session, "kbs@kdc.test")][-1] == "purchase.cancelled"
    assert [k for k, _d in inbox_of(session, "naver-member@kdc.test")][-1] == "purchase.cancelled"

    # Leaving a joint purchase: the teams still in it hear who left; the leaver's own
    # people are not told about what their lead did.
    joint = purchasing.request_purchase(
        session, naver_lead, dataset=ANNALS, offer=offer_of(session, ANNALS, "joint")
    )
    upstage = actor(session, "upstage-lead@kdc.test")
    purchasing.join_purchase(session, upstage, joint.id)
    before = len(inbox_of(session, "upstage-member@kdc.test"))
    purchasing.leave_purchase(session, upstage, joint.id)
    assert [k for k, _d in inbox_of(session, "naver-member@kdc.test")][-1] == "joint.left"
    assert all(k != "joint.left" for k, _d in inbox_of(session, "upstage-member@kdc.test")[before:])
