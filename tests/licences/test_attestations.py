"""Expiry notices (30, 7, 1 days, once each) and destruction attestations: when they fall
due, who hears of it and how often, who may attest and how, and what auditors and
providers see."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import timedelta

from sqlalchemy import select

from catalog.db import get_session
from catalog.models.licenses import DestructionAttestation
from catalog.models.notifications import Notice, Notification
from catalog.models.users import User
from catalog.services import duties, elimination, licensing
from catalog.services.context import Actor
from tests.licences.conftest import counts, licence_row
from tests.web.conftest import login

SYSTEM = Actor.system("tick")


def _notices(app, kind: str, license_id: int) -> list[Notice]:
    with app.app_context():
        return list(
            get_session().scalars(
                select(Notice)
                .where(Notice.kind == kind, Notice.subject_id == str(license_id))
                .order_by(Notice.id)
            )
        )


def _inboxes(app, notice_id: int) -> set[str]:
    with app.app_context():
        return set(
            get_session().scalars(
                select(User.email)
                .join(Notification, Notification.user_id == User.id)
                .where(Notification.notice_id == notice_id)
            )
        )


def _tick(app, when):
    with app.app_context():
        return duties.tick(get_session(), SYSTEM, when)


def _download(app, token_for, lic):
    r = app.test_client().get(
        f"/api/v1/datasets/{lic.slug}/manifest", headers=token_for("naver-member@kdc.test")
    )
    assert r.status_code == 200, r.text
    return r.get_json()["objects"]


def test_expiry_notices_at_30_7_and_1_days_once_each(demo_app, licensed):
    lic = licensed()
    end = licence_row(demo_app, lic.license_id).valid_until
    assert lic.license_id not in _tick(demo_app, end - timedelta(days=31)).expiring_soon
    for days in (30, 7, 1):
        when = end - timedelta(days=days) + timedelta(hours=1)
        assert lic.license_id in _tick(demo_app, when).expiring_soon
        assert lic.license_id not in _tick(demo_app, when + timedelta(hours=1)).expiring_soon
    sent = _notices(demo_app, "license.expiring", lic.license_id)
    assert [n.data["days"] for n in sent] == [30, 7, 1]
    assert {"naver-lead@kdc.test", "naver-member@kdc.test"} <= _inboxes(demo_app, sent[0].id)


def test_a_missed_stage_is_not_sent_late_and_a_renewal_rearms_the_notices(demo_app, licensed):
    from catalog.services import renewals
    from tests.licences.conftest import actor

    lic = licensed()
    end = licence_row(demo_app, lic.license_id).valid_until
    _tick(demo_app, end - timedelta(days=5))  # the 30-day stage was missed
    assert [n.data["days"] for n in _notices(demo_app, "license.expiring", lic.license_id)] == [7]
    with demo_app.app_context():
        s = get_session()
        r = renewals.request_renewal(
            s, actor(s, "naver-lead"), lic.license_id, now=end - timedelta(days=5)
        )
        renewals.approve_renewal(s, actor(s, "nikh"), r.id, now=end - timedelta(days=5))
    new_end = licence_row(demo_app, lic.license_id).valid_until
    _tick(demo_app, new_end - timedelta(days=29))
    assert [n.data["days"] for n in _notices(demo_app, "license.expiring", lic.license_id)] == [
        7,
        30,
    ]


def test_an_ended_licence_with_downloads_owes_an_attestation_and_the_lead_is_reminded(
    demo_app, licensed, token_for
):
    lic = licensed()
    _download(demo_app, token_for, lic)
    end = licence_row(demo_app, lic.license_id).valid_until
    assert lic.license_id in _tick(demo_app, end + timedelta(hours=1)).expired_licenses
    row = licence_row(demo_app, lic.license_id)
    assert row.attestation_due_at == end and row.ended_at == end and row.attested_at is None
    due = _notices(demo_app, "license.attestation_due", lic.license_id)
    assert len(due) == 1 and due[0].data["reminder"] == 0
    recipients = _inboxes(demo_app, due[0].id)
    assert "naver-lead@kdc.test" in recipients and "naver-member@kdc.test" not in recipients
    # Every 7 days after, once each, however often tick runs (weeks missed: one reminder).
    for day, expected in ((3, 1), (7, 2), (8, 2), (14, 3), (15, 3), (30, 4), (31, 4)):
        _tick(demo_app, end + timedelta(days=day, hours=2))
        assert len(_notices(demo_app, "license.attestation_due", lic.license_id)) == expected, day
    last = _notices(demo_app, "license.attestation_due", lic.license_id)[-1]
    assert last.data["days_overdue"] == 30
    body = (
        demo_app.test_client()
        .get(f"/api/v1/licenses/{lic.license_id}", headers=token_for("naver-lead@kdc.test"))
        .get_json()
    )
    assert body["attestation"] == "due" and body["days_overdue"] >= 0


def test_no_attestation_is_owed_for_a_licence_never_downloaded_or_still_surviving(
    demo_app, licensed, token_for
):
    idle = licensed()
    surviving = licensed(survives_elimination=True)
    gone = licensed()
    _download(demo_app, token_for, surviving)
    _download(demo_app, token_for, gone)
    with demo_app.app_context():
        s = get_session()
        licensing.revoke_license(s, SYSTEM, idle.license_id, "idle")
        elimination.eliminate_team(s, SYSTEM, "naver", 1)
    assert licence_row(demo_app, idle.license_id).attestation_due_at is None
    assert licence_row(demo_app, surviving.license_id).status.value == "active"
    assert licence_row(demo_app, surviving.license_id).attestation_due_at is None
    revoked = licence_row(demo_app, gone.license_id)
    assert revoked.status.value == "revoked" and revoked.attestation_due_at is not None


def test_a_lead_declares_in_the_ui_with_a_reason_if_partial(demo_app, licensed, token_for):
    lic = licensed()
    _download(demo_app, token_for, lic)
    with demo_app.app_context():
        licensing.revoke_license(get_session(), SYSTEM, lic.license_id, "breach")
    path = f"/team/licenses/{lic.license_id}/attest"
    member = login(demo_app.test_client(), "naver-member@kdc.test")
    page = member.get(f"/team/licenses/{lic.license_id}").get_data(as_text=True)
    assert "kdc purge" in page and path not in page
    assert member.post(path, data={"complete": "yes", "confirm": "y"}).status_code == 403
    lead = login(demo_app.test_client(), "naver-lead@kdc.test")
    assert path in lead.get(f"/team/licenses/{lic.license_id}").get_data(as_text=True)
    before = counts(demo_app)
    r = lead.post(path, data={"complete": "no", "confirm": "y", "reason": ""})
    assert r.status_code == 422 and 'class="error"' in r.get_data(as_text=True)
    r = lead.post(path, data={"complete": "yes"})  # the declaration box not ticked
    assert r.status_code == 400
    assert counts(demo_app) == before
    r = lead.post(
        path,
        data={
            "complete": "no",
            "confirm": "y",
            "reason": "백업 테이프는 30일 뒤 폐기",
            "host": "gpu-01",
        },
        follow_redirects=True,
    )
    assert r.status_code == 200 and 'id="attested"' in r.get_data(as_text=True)
    row = licence_row(demo_app, lic.license_id)
    assert row.attested_at is not None
    with demo_app.app_context():
        att = get_session().scalars(select(DestructionAttestation)).one()
        assert att.method == "declaration" and not att.complete and att.host == "gpu-01"
    # The auditors see it settled, flagged partial.
    auditor = login(demo_app.test_client(), "auditor@kdc.test")
    table = list(
        csv.DictReader(
            io.StringIO(
                auditor.get("/auditor/attestations.csv").get_data(as_text=True).lstrip("\ufeff")
            )
        )
    )
    mine = next(r for r in table if r["license_id"] == str(lic.license_id))
    assert mine["state"] == "partial" and mine["reason"] == "백업 테이프는 30일 뒤 폐기"


def test_attestations_through_the_api_are_checked_against_the_dataset(
    demo_app, licensed, token_for
):
    lic = licensed()
    objects = _download(demo_app, token_for, lic)
    client = demo_app.test_client()
    member, other = token_for("naver-member@kdc.test"), token_for("skt-lead@kdc.test")
    auditor = token_for("auditor@kdc.test")
    listing = [{"key": o["key"], "size": o["size"], "sha256": o["sha256"]} for o in objects]
    path = f"/api/v1/licenses/{lic.license_id}/attestations"
    body = {"objects": listing, "host": "train-01", "dest": "/data/x"}
    r = client.post(path, json=body, headers=member)
    assert r.status_code == 409 and r.get_json()["code"] == "license_not_ended"
    end = licence_row(demo_app, lic.license_id).valid_until
    _tick(demo_app, end + timedelta(minutes=1))
    before = counts(demo_app)
    tampered = [dict(listing[0], sha256=hashlib.sha256(b"other").hexdigest()), *listing[1:]]
    for bad, status, code in [
        ({**body, "objects": tampered}, 422, "attestation_mismatch"),
        (
            {
                **body,
                "objects": [*listing, {"key": "../etc/passwd", "size": 1, "sha256": "0" * 64}],
            },
            422,
            "attestation_mismatch",
        ),
        ({**body, "objects": []}, 422, "invalid_attestation"),
        ({**body, "host": ""}, 422, "invalid_attestation"),
        ({**body, "complete": False}, 422, "invalid_attestation"),
        ({**body, "objects": [{"key": "a", "size": -1, "sha256": "0" * 64}]}, 422, "invalid_input"),
    ]:
        r = client.post(path, json=bad, headers=member)
        assert (r.status_code, r.get_json()["code"]) == (status, code), bad
    assert client.post(path, json=body, headers=other).status_code == 404  # not your team's
    assert client.post(path, json=body, headers=auditor).status_code == 403
    assert counts(demo_app) == before
    dry = client.post(path, json={**body, "dry_run": True}, headers=member)
    assert dry.status_code == 200 and dry.get_json()["object_count"] == len(listing)
    assert counts(demo_app) == before
    r = client.post(path, json=body, headers=member)
    assert r.status_code == 201, r.text
    assert r.get_json()["method"] == "purge" and r.get_json()["complete"]
    listed = client.get(path, headers=member).get_json()["items"]
    assert [a["host"] for a in listed] == ["train-01"]
    assert licence_row(demo_app, lic.license_id).attested_at is not None


def test_auditors_and_providers_see_outstanding_attestations_with_days_overdue(
    demo_app, licensed, token_for
):
    lic = licensed()
    _download(demo_app, token_for, lic)
    end = licence_row(demo_app, lic.license_id).valid_until
    _tick(demo_app, end + timedelta(minutes=1))
    with demo_app.app_context():
        from sqlalchemy import update

        from catalog.db import transaction, utcnow
        from catalog.models.licenses import License

        s = get_session()
        with transaction(s):  # as if it had ended 12 days ago
            s.execute(
                update(License)
                .where(License.id == lic.license_id)
                .values(attestation_due_at=utcnow() - timedelta(days=12, hours=1))
            )
    auditor = login(demo_app.test_client(), "auditor@kdc.test")
    page = auditor.get("/auditor/attestations?state=outstanding").get_data(as_text=True)
    assert f'data-licence="{lic.license_id}" class="attestation-outstanding"' in page
    table = list(
        csv.DictReader(
            io.StringIO(
                auditor.get("/auditor/attestations.csv?state=outstanding")
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )
    row = next(r for r in table if r["license_id"] == str(lic.license_id))
    assert int(row["days_overdue"]) >= 12 and row["team"] == "naver"
    nikh = login(demo_app.test_client(), "nikh@kdc.test").get("/provider/licences")
    assert 'class="attestation-outstanding"' in nikh.get_data(as_text=True)
    kbs = login(demo_app.test_client(), "kbs@kdc.test").get("/provider/licences")
    assert 'class="attestation-outstanding"' not in kbs.get_data(as_text=True)
    assert auditor.get("/auditor/attestations?state=lost").status_code == 400
