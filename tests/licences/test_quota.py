"""Usage metering and quotas at the access broker, on SQLite and PostgreSQL.

What a team sees is what the broker counted: objects and bytes of the URLs it issued this
term, per user and token; a request that would cross a quota is refused whole with the
figures, and leaves nothing behind.
"""

from __future__ import annotations

from sqlalchemy import select, update

from catalog.db import get_session, transaction
from catalog.models.licenses import License
from tests.licences.conftest import counts, licence_row

MEMBER = "naver-member@kdc.test"


def _manifest(client, headers, slug, **params):
    return client.get(f"/api/v1/datasets/{slug}/manifest", headers=headers, query_string=params)


def test_issued_objects_and_bytes_are_counted_per_user_and_token(
    demo_app, client, token_for, licensed
):
    lic = licensed(download_quota=100)
    member, lead = token_for(MEMBER), token_for("naver-lead@kdc.test")
    size = sum(map(len, lic.files.values()))
    assert _manifest(client, member, lic.slug).status_code == 200
    assert _manifest(client, member, lic.slug, limit=2).status_code == 200
    key = sorted(lic.files)[-1]
    r = client.get(f"/api/v1/datasets/{lic.slug}/files/{key}", headers=lead)
    assert r.status_code == 302

    body = client.get(f"/api/v1/licenses/{lic.license_id}", headers=lead).get_json()
    first_two = sum(len(lic.files[k]) for k in sorted(lic.files)[:2])
    assert body["usage"]["objects_issued"] == 6 + 2 + 1
    assert body["usage"]["bytes_issued"] == size + first_two + len(lic.files[key])
    assert body["usage"]["objects_allowed"] == 100 and body["usage"]["objects_left"] == 91
    assert body["usage"]["bytes_allowed"] is None
    lines = {(u["user"], u["objects"]) for u in body["usage_by_user"]}
    assert lines == {(MEMBER, 8), ("naver-lead@kdc.test", 1)}
    assert all(u["token"] for u in body["usage_by_user"])  # both came through API tokens
    # The list shows the same figures (kdc licenses reads them).
    items = client.get("/api/v1/licenses", headers=member).get_json()["items"]
    mine = next(i for i in items if i["id"] == lic.license_id)
    assert mine["usage"]["objects_issued"] == 9


def test_a_page_that_would_cross_the_quota_is_refused_whole(demo_app, client, token_for, licensed):
    lic = licensed(download_quota=8)
    member = token_for(MEMBER)
    assert _manifest(client, member, lic.slug).status_code == 200  # 6 of 8
    before = counts(demo_app)
    r = _manifest(client, member, lic.slug)  # 6 more would make 12
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    problem = r.get_json()
    assert problem["code"] == "quota_exhausted"
    assert problem["used_objects"] == 6 and problem["allowed_objects"] == 8
    assert problem["requested_objects"] == 6 and problem["license_id"] == lic.license_id
    assert "objects" not in problem and "/storage/get" not in r.text
    assert counts(demo_app) == before  # no grant, no event, nothing counted
    assert licence_row(demo_app, lic.license_id).used_objects == 6
    # A smaller page still fits; then the quota is used up exactly.
    page = _manifest(client, member, lic.slug, limit=2)
    assert page.status_code == 200 and len(page.get_json()["objects"]) == 2
    assert licence_row(demo_app, lic.license_id).used_objects == 8
    key = sorted(lic.files)[0]
    r = client.get(f"/api/v1/datasets/{lic.slug}/files/{key}", headers=member)
    assert r.status_code == 403 and r.get_json()["code"] == "quota_exhausted"


def test_a_byte_quota_caps_single_files_too(demo_app, client, token_for, licensed):
    files = {"big.bin": b"x" * 700, "small.bin": b"y" * 200}
    lic = licensed(files=files, download_quota_bytes=1000)
    member = token_for(MEMBER)
    assert (
        client.get(f"/api/v1/datasets/{lic.slug}/files/big.bin", headers=member).status_code == 302
    )
    r = client.get(f"/api/v1/datasets/{lic.slug}/files/big.bin", headers=member)
    assert r.status_code == 403
    problem = r.get_json()
    assert problem["code"] == "quota_exhausted"
    assert problem["used_bytes"] == 700 and problem["allowed_bytes"] == 1000
    assert problem["requested_bytes"] == 700 and "allowed_objects" not in problem
    assert (
        client.get(f"/api/v1/datasets/{lic.slug}/files/small.bin", headers=member).status_code
        == 302
    )
    usage = client.get(f"/api/v1/licenses/{lic.license_id}", headers=member).get_json()["usage"]
    assert usage["bytes_issued"] == 900 and usage["bytes_left"] == 100


def test_a_browser_download_past_the_quota_gets_a_page_that_says_why(demo_app, licensed):
    from tests.web.conftest import login

    lic = licensed(files={"a.txt": b"a\n", "b.txt": b"b\n"}, download_quota=1)
    web = login(demo_app.test_client(), MEMBER)
    assert web.get(f"/datasets/{lic.slug}/download/a.txt").status_code == 302
    r = web.get(f"/datasets/{lic.slug}/download/b.txt")
    assert r.status_code == 403
    assert "quota" in r.get_data(as_text=True).lower() or "한도" in r.get_data(as_text=True)


def test_licences_sold_before_quotas_existed_read_as_uncapped(
    demo_app, client, token_for, licensed
):
    lic = licensed(download_quota=1)
    # A licence frozen before the bytes quota and KOGL fields existed, and without a quota.
    with demo_app.app_context():
        s = get_session()
        with transaction(s):
            row = s.get(License, lic.license_id)
            old = {
                k: v
                for k, v in row.terms.items()
                if k not in ("download_quota_bytes", "kogl_type", "licence_document")
            }
            old["download_quota"] = None
            s.execute(update(License).where(License.id == row.id).values(terms=old))
    member = token_for(MEMBER)
    for _ in range(3):
        assert _manifest(client, member, lic.slug).status_code == 200
    body = client.get(f"/api/v1/licenses/{lic.license_id}", headers=member).get_json()
    assert body["usage"]["objects_issued"] == 18 and body["usage"]["objects_allowed"] is None
    assert body["kogl_type"] is None and body["permissions"]["download"]["permitted"]


def test_the_team_page_and_the_licence_page_show_the_usage(demo_app, licensed, token_for):
    from tests.web.conftest import login

    lic = licensed(download_quota=10)
    client = demo_app.test_client()
    assert _manifest(client, token_for(MEMBER), lic.slug).status_code == 200
    web = login(demo_app.test_client(), "naver-lead@kdc.test")
    import re

    overview = web.get("/team").get_data(as_text=True)
    row = re.search(
        rf'data-dataset="{lic.slug}">.*?<td class="usage-cell">(.*?)</td>', overview, re.S
    )
    assert row and re.search(r"(?<!\d)6(?!\d).*/ 10", row.group(1)), overview
    page = web.get(f"/team/licenses/{lic.license_id}").get_data(as_text=True)
    assert 'class="used-objects">6<' in page and "/ 10" in page
    assert MEMBER in page


def test_provider_staff_see_usage_per_team_of_their_datasets_only(demo_app, licensed, token_for):
    from tests.web.conftest import login

    lic = licensed(download_quota=10)  # a NIKH dataset
    assert _manifest(demo_app.test_client(), token_for(MEMBER), lic.slug).status_code == 200
    nikh = login(demo_app.test_client(), "nikh@kdc.test").get("/provider/licences")
    body = nikh.get_data(as_text=True)
    assert nikh.status_code == 200 and f'id="licence-{lic.license_id}"' in body
    assert 'data-team="naver"' in body
    kbs = login(demo_app.test_client(), "kbs@kdc.test").get("/provider/licences")
    assert f'id="licence-{lic.license_id}"' not in kbs.get_data(as_text=True)
    # Through the API too: the provider reads the licence, another institution does not.
    assert (
        demo_app.test_client()
        .get(f"/api/v1/licenses/{lic.license_id}", headers=token_for("nikh@kdc.test"))
        .status_code
        == 200
    )
    assert (
        demo_app.test_client()
        .get(f"/api/v1/licenses/{lic.license_id}", headers=token_for("kbs@kdc.test"))
        .status_code
        == 404
    )


def test_auditors_get_the_usage_report_as_csv_and_json_lines(demo_app, licensed, token_for):
    import csv
    import io
    import json

    from tests.web.conftest import login

    lic = licensed(download_quota=6)
    assert _manifest(demo_app.test_client(), token_for(MEMBER), lic.slug).status_code == 200
    auditor = login(demo_app.test_client(), "auditor@kdc.test")
    page = auditor.get("/auditor/usage?over_quota=true").get_data(as_text=True)
    assert f'data-licence="{lic.license_id}"' in page
    table = list(
        csv.DictReader(
            io.StringIO(auditor.get("/auditor/usage.csv").get_data(as_text=True).lstrip("\ufeff"))
        )
    )
    row = next(r for r in table if r["license_id"] == str(lic.license_id))
    assert row["objects_issued"] == "6" and row["objects_allowed"] == "6"
    assert row["team"] == "naver" and row["dataset"] == lic.slug
    lines = auditor.get(f"/auditor/usage.jsonl?dataset={lic.slug}").get_data(as_text=True)
    items = [json.loads(x) for x in lines.splitlines()]
    assert [i["license_id"] for i in items] == [lic.license_id]
    assert items[0]["bytes_issued"] == sum(map(len, lic.files.values()))
    assert auditor.get("/auditor/usage?colour=red").status_code == 400


def test_quota_changes_are_checked_audited_and_announced(demo_app, licensed, token_for):
    from catalog.models.audit import AuditEvent
    from catalog.models.notifications import Notice

    lic = licensed(download_quota=10)
    client = demo_app.test_client()
    assert _manifest(client, token_for(MEMBER), lic.slug).status_code == 200
    nikh = token_for("nikh@kdc.test")
    path = f"/api/v1/licenses/{lic.license_id}/quota"
    before = counts(demo_app)
    for bad, code in [
        ({"objects": 0, "bytes": None}, "invalid_input"),
        ({"objects": -5, "bytes": None}, "invalid_input"),
        ({"objects": 5, "bytes": None}, "quota_below_usage"),
        ({"objects": None, "bytes": 10}, "quota_below_usage"),
        ({"objects": "ten", "bytes": None}, "invalid_input"),
    ]:
        r = client.put(path, json=bad, headers=nikh)
        assert r.status_code == 422, (bad, r.text)
        assert r.get_json()["code"] == code, bad
    assert counts(demo_app) == before
    r = client.put(path, json={"objects": 6, "bytes": None}, headers=token_for("kbs@kdc.test"))
    assert r.status_code == 403 and r.get_json()["code"] == "not_dataset_provider"
    r = client.put(path, json={"objects": 6, "bytes": None}, headers=token_for(MEMBER))
    assert r.status_code == 403
    r = client.put(path, json={"objects": 20, "bytes": 10**6, "reason": "bigger"}, headers=nikh)
    assert r.status_code == 200, r.text
    assert r.get_json()["usage"]["objects_allowed"] == 20
    assert licence_row(demo_app, lic.license_id).terms["download_quota_bytes"] == 10**6
    with demo_app.app_context():
        s = get_session()
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "license:set_quota")).all()[-1]
        assert ev.data["from"]["objects"] == 10 and ev.data["to"]["objects"] == 20
        kinds = s.scalars(select(Notice.kind).where(Notice.subject_id == str(lic.license_id))).all()
        assert "license.quota_changed" in kinds


def test_the_provider_console_refuses_a_bad_quota_with_the_reason_and_keeps_the_old(
    demo_app, licensed, token_for
):
    from tests.web.conftest import login

    lic = licensed(download_quota=10)
    assert _manifest(demo_app.test_client(), token_for(MEMBER), lic.slug).status_code == 200
    nikh = login(demo_app.test_client(), "nikh@kdc.test")
    path = f"/provider/licences/{lic.license_id}/quota"
    before = counts(demo_app)
    for bad in ({"objects": "0"}, {"objects": "-1"}, {"objects": "3"}, {"bytes": "10"}):
        page = nikh.post(path, data=bad, follow_redirects=True).get_data(as_text=True)
        assert 'class="flash flash-error"' in page, bad
    assert counts(demo_app) == before
    assert licence_row(demo_app, lic.license_id).terms["download_quota"] == 10
    page = nikh.post(path, data={"objects": "12", "reason": "추가 제공"}, follow_redirects=True)
    assert "flash-success" in page.get_data(as_text=True)
    assert licence_row(demo_app, lic.license_id).terms["download_quota"] == 12
