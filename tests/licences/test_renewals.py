"""Renewals: a lead asks before the end, the provider approves, the ledger charges it (joint
licences: the same split among the remaining teams, each lead confirming); the end moves,
the history stays, a new term starts a fresh quota."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from catalog.db import get_session, transaction, utcnow
from catalog.models.audit import AuditEvent
from catalog.models.ledger import LedgerEntry, LedgerTransaction, TransactionKind
from catalog.models.licenses import License, LicenseRenewal
from catalog.models.notifications import Notice
from catalog.services import duties, elimination, licensing
from catalog.services.context import Actor
from catalog.services.licensing import add_months
from tests.licences.conftest import counts, licence_row
from tests.purchasing.conftest import balance, shrink_budget


def _post(client, headers, path, json=None):
    return client.post(path, json=json or {}, headers=headers)


def test_an_individual_licence_is_renewed_charged_and_its_end_moves(demo_app, licensed, token_for):
    lic = licensed(download_quota=100)
    client = demo_app.test_client()
    lead, member, nikh = (
        token_for("naver-lead@kdc.test"),
        token_for("naver-member@kdc.test"),
        token_for("nikh@kdc.test"),
    )
    end = licence_row(demo_app, lic.license_id).valid_until
    r = _post(client, member, f"/api/v1/licenses/{lic.license_id}/renewals")
    assert r.status_code == 403 and r.get_json()["code"] == "lead_required"
    r = _post(client, lead, f"/api/v1/licenses/{lic.license_id}/renewals")
    assert r.status_code == 201, r.text
    renewal = r.get_json()
    assert renewal["status"] == "requested" and renewal["price_krw"] == 100_000_000
    assert [p["team"] for p in renewal["parts"]] == ["naver"]
    assert renewal["parts"][0]["confirmed_at"]
    # A second request while one waits is refused, and writes nothing.
    before = counts(demo_app)
    again = _post(client, lead, f"/api/v1/licenses/{lic.license_id}/renewals")
    assert again.status_code == 409 and again.get_json()["code"] == "renewal_pending"
    assert counts(demo_app) == before
    # Another institution's staff may not decide it.
    r = _post(client, token_for("kbs@kdc.test"), f"/api/v1/renewals/{renewal['id']}/approve")
    assert r.status_code == 403 and r.get_json()["code"] == "wrong_institution"

    naver_before = balance(demo_app, "naver")
    r = _post(client, nikh, f"/api/v1/renewals/{renewal['id']}/approve", {"note": "ok"})
    assert r.status_code == 200, r.text
    body = r.get_json()
    assert body["status"] == "approved" and body["parts"][0]["share_krw"] == 100_000_000
    assert balance(demo_app, "naver") == naver_before - 100_000_000
    row = licence_row(demo_app, lic.license_id)
    assert row.valid_until == add_months(end, 12)
    assert row.next_term_starts_at == end
    part = body["parts"][0]
    assert part["previous_valid_until"].startswith(end.isoformat()[:19])
    with demo_app.app_context():
        s = get_session()
        txn = s.scalars(
            select(LedgerTransaction).where(LedgerTransaction.kind == TransactionKind.RENEWAL)
        ).one()
        assert txn.purchase_id == lic.purchase_id
        amounts = sorted(
            e.amount_krw
            for e in s.scalars(select(LedgerEntry).where(LedgerEntry.transaction_id == txn.id))
        )
        assert amounts == [-100_000_000, 100_000_000]
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()[-6:]
        assert {"renewal:approve", "license:renew", "ledger:renewal"} <= set(actions)
        kinds = set(s.scalars(select(Notice.kind).where(Notice.subject_type == "renewal")))
        assert {"renewal.awaiting_approval", "renewal.approved"} <= kinds
    # Renewed: no second renewal before the new term begins.
    r = _post(client, lead, f"/api/v1/licenses/{lic.license_id}/renewals")
    assert r.status_code == 409 and r.get_json()["code"] == "already_renewed"
    # Team money: renewals count as spent on data.
    money = client.get("/api/v1/teams/naver", headers=lead).get_json()
    assert money["balance_krw"] == naver_before - 100_000_000


def test_the_new_term_starts_a_fresh_quota(demo_app, licensed, token_for):
    from catalog.services import renewals

    lic = licensed(download_quota=6)
    client = demo_app.test_client()
    member = token_for("naver-member@kdc.test")
    manifest = f"/api/v1/datasets/{lic.slug}/manifest"
    assert client.get(manifest, headers=member).status_code == 200
    assert client.get(manifest, headers=member).get_json()["code"] == "quota_exhausted"
    with demo_app.app_context():
        s = get_session()
        from tests.licences.conftest import actor

        renewal = renewals.request_renewal(s, actor(s, "naver-lead"), lic.license_id)
        renewals.approve_renewal(s, actor(s, "nikh"), renewal.id)
        # Let the new term begin now (as if the old end had passed).
        with transaction(s):
            row = s.get(License, lic.license_id)
            row.next_term_starts_at = utcnow() - timedelta(seconds=5)
    usage = client.get(f"/api/v1/licenses/{lic.license_id}", headers=member).get_json()["usage"]
    assert usage["objects_issued"] == 0 and usage["objects_left"] == 6
    assert client.get(manifest, headers=member).status_code == 200
    row = licence_row(demo_app, lic.license_id)
    assert row.used_objects == 6 and row.next_term_starts_at is None


def test_a_joint_renewal_splits_among_the_remaining_teams_each_lead_confirming(
    demo_app, licensed, token_for
):
    lic = licensed(teams=("naver", "skt", "lgai"), price_krw=300_000_001)
    client = demo_app.test_client()
    # lgai is eliminated: its licence (not surviving) is revoked; it is not renewed.
    with demo_app.app_context():
        elimination.eliminate_team(get_session(), Actor.system("test"), "lgai", 1)
    r = _post(
        client, token_for("skt-lead@kdc.test"), f"/api/v1/licenses/{lic.licences['skt']}/renewals"
    )
    assert r.status_code == 201, r.text
    renewal = r.get_json()
    assert sorted(p["team"] for p in renewal["parts"]) == ["naver", "skt"]
    rid = renewal["id"]
    nikh = token_for("nikh@kdc.test")
    waiting = _post(client, nikh, f"/api/v1/renewals/{rid}/approve")
    assert waiting.status_code == 409 and waiting.get_json()["code"] == "confirmation_pending"
    assert waiting.get_json()["teams"] == ["naver"]
    r = _post(client, token_for("naver-member@kdc.test"), f"/api/v1/renewals/{rid}/confirm")
    assert r.status_code == 403 and r.get_json()["code"] == "lead_required"
    r = _post(client, token_for("ncai-lead@kdc.test"), f"/api/v1/renewals/{rid}/confirm")
    assert r.status_code == 404
    r = _post(client, token_for("naver-lead@kdc.test"), f"/api/v1/renewals/{rid}/confirm")
    assert r.status_code == 200, r.text
    # Not enough money for one team: nobody is charged, nothing moves.
    shrink_budget(demo_app, "skt", 1_000)
    before = {t: balance(demo_app, t) for t in ("naver", "skt")}
    ends = {t: licence_row(demo_app, lic.licences[t]).valid_until for t in ("naver", "skt")}
    r = _post(client, nikh, f"/api/v1/renewals/{rid}/approve")
    assert r.status_code == 409 and r.get_json()["code"] == "budget_exceeded"
    assert {t: balance(demo_app, t) for t in ("naver", "skt")} == before
    assert {t: licence_row(demo_app, lic.licences[t]).valid_until for t in ends} == ends
    shrink_budget(demo_app, "skt", 500_000_000)
    r = _post(client, nikh, f"/api/v1/renewals/{rid}/approve")
    assert r.status_code == 200, r.text
    shares = {p["team"]: p["share_krw"] for p in r.get_json()["parts"]}
    # The purchase's join order decides who pays the remainder won: naver joined first.
    assert shares == {"naver": 150_000_001, "skt": 150_000_000}
    assert balance(demo_app, "naver") == before["naver"] - 150_000_001
    for t in ("naver", "skt"):
        assert licence_row(demo_app, lic.licences[t]).valid_until == add_months(ends[t], 12)
    assert licence_row(demo_app, lic.licences["lgai"]).status.value == "revoked"


def test_bad_renewals_are_refused_and_write_nothing(demo_app, licensed, token_for):
    lic = licensed()
    other = licensed()
    client = demo_app.test_client()
    lead, skt, auditor = (
        token_for("naver-lead@kdc.test"),
        token_for("skt-lead@kdc.test"),
        token_for("auditor@kdc.test"),
    )
    with demo_app.app_context():
        licensing.revoke_license(get_session(), Actor.system("test"), lic.license_id, "test")
    before = counts(demo_app)
    r = _post(client, lead, f"/api/v1/licenses/{lic.license_id}/renewals")
    assert r.status_code == 409 and r.get_json()["code"] == "license_not_renewable"
    r = _post(client, skt, f"/api/v1/licenses/{other.license_id}/renewals")
    assert r.status_code == 404  # another team's licence does not exist for you
    r = _post(client, auditor, f"/api/v1/licenses/{other.license_id}/renewals")
    assert (
        r.status_code == 403 and r.get_json()["code"] == "insufficient_scope"
    )  # auditors hold no purchase:write
    r = _post(client, lead, "/api/v1/licenses/999999/renewals")
    assert r.status_code == 404
    assert counts(demo_app) == before
    with demo_app.app_context():
        assert get_session().scalars(select(LicenseRenewal)).all() == []


def test_an_undecided_renewal_lapses_when_the_licence_ends(demo_app, licensed, token_for):
    lic = licensed()
    client = demo_app.test_client()
    r = _post(
        client, token_for("naver-lead@kdc.test"), f"/api/v1/licenses/{lic.license_id}/renewals"
    )
    rid = r.get_json()["id"]
    end = licence_row(demo_app, lic.license_id).valid_until
    with demo_app.app_context():
        s = get_session()
        result = duties.tick(s, Actor.system("tick"), end + timedelta(minutes=1))
        assert rid in result.lapsed_renewals
        assert (
            duties.tick(s, Actor.system("tick"), end + timedelta(minutes=2)).lapsed_renewals == []
        )
    body = client.get(
        f"/api/v1/renewals/{rid}", headers=token_for("naver-member@kdc.test")
    ).get_json()
    assert body["status"] == "lapsed"
    r = _post(client, token_for("nikh@kdc.test"), f"/api/v1/renewals/{rid}/approve")
    assert r.status_code == 409 and r.get_json()["code"] == "renewal_decided"


def test_renewing_through_the_web_pages(demo_app, licensed):
    from tests.web.conftest import login

    lic = licensed()
    lead = login(demo_app.test_client(), "naver-lead@kdc.test")
    page = lead.get(f"/team/licenses/{lic.license_id}").get_data(as_text=True)
    assert f'action="/team/licenses/{lic.license_id}/renew"' in page
    member_page = login(demo_app.test_client(), "naver-member@kdc.test").get(
        f"/team/licenses/{lic.license_id}"
    )
    assert f"/team/licenses/{lic.license_id}/renew" not in member_page.get_data(as_text=True)
    r = lead.post(f"/team/licenses/{lic.license_id}/renew")
    assert r.status_code == 302 and "/renewals/" in r.headers["Location"]
    rid = int(r.headers["Location"].rsplit("/", 1)[1])
    nikh = login(demo_app.test_client(), "nikh@kdc.test")
    queue = nikh.get("/provider/licences").get_data(as_text=True)
    assert f'id="renewal-{rid}"' in queue
    r = nikh.post(f"/renewals/{rid}/approve", data={"note": "승인"}, follow_redirects=True)
    assert r.status_code == 200
    with demo_app.app_context():
        assert get_session().get(LicenseRenewal, rid).status.value == "approved"
    page = lead.get(f"/team/licenses/{lic.license_id}").get_data(as_text=True)
    assert f'/renewals/{rid}"' in page
