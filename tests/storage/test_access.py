"""The licence check at URL issuance: who gets URLs, which 403 the others get, TTL rules,
and what an issuance records (on SQLite and PostgreSQL, demo catalogue, local store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import func, select, update

from catalog.db import get_session, transaction
from catalog.models.access import AccessGrant
from catalog.models.audit import AuditEvent
from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion, VersionStatus
from catalog.models.licenses import License, LicenseStatus
from catalog.models.teams import Team, TeamStatus
from catalog.services import licensing
from catalog.services.context import Actor
from tests.storage.conftest import DATASET, MEMBER, grant_license

MANIFEST = f"/api/v1/datasets/{DATASET}/manifest"


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        s = get_session()
        return (
            s.scalar(select(func.count()).select_from(AccessGrant)),
            s.scalar(select(func.count()).select_from(AuditEvent)),
        )


def _refused(resp, code: str) -> None:
    assert resp.status_code == 403, resp.text
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["code"] == code
    assert "objects" not in body
    assert "/storage/get" not in resp.text and "X-Amz" not in resp.text


def test_licensed_member_gets_the_manifest(demo_app, client, token_for):
    grant_license(demo_app)
    headers = token_for(MEMBER)
    before = _counts(demo_app)
    r = client.get(MANIFEST, headers=headers)
    assert r.status_code == 200, r.text
    body = r.get_json()
    assert body["version"] == "2025.1" and body["objects"] and body["next"] is None
    for obj in body["objects"]:
        assert set(obj) == {"key", "size", "sha256", "url", "expires_at"}
        path = urlsplit(obj["url"])
        assert path.path.startswith("/storage/get/demo/")
        got = client.get(f"{path.path}?{path.query}", buffered=True)
        assert got.status_code == 200 and len(got.data) == obj["size"]
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    signed = int(dict(parse_qsl(urlsplit(body["objects"][0]["url"]).query))["expires"])
    assert int(expires.timestamp()) == signed  # the reported expiry is the URL's true one
    assert body["ttl"] == 900
    assert _counts(demo_app) == (before[0] + 1, before[1] + 1)
    with demo_app.app_context():
        grant = get_session().scalars(select(AccessGrant)).one()
        event = (
            get_session()
            .scalars(select(AuditEvent).where(AuditEvent.action == "access:issue_urls"))
            .one()
        )
    assert grant.object_count == len(body["objects"]) and grant.ttl_seconds == 900
    assert grant.client_addr == "127.0.0.1" and grant.token_id is not None
    assert event.subject_id == str(grant.id) and event.actor == MEMBER
    assert event.data["object_count"] == len(body["objects"])
    assert event.actor_token_id == grant.token_id
    assert "signature" not in str(event.data)


@pytest.mark.parametrize(
    "who", ["admin@kdc.test", "nikh@kdc.test", "auditor@kdc.test", "upstage-lead@kdc.test"]
)
def test_without_a_team_licence_no_urls(demo_app, client, token_for, who):
    grant_license(demo_app)  # naver's licence does not help anyone else
    headers = token_for(who)
    before = _counts(demo_app)
    r = client.get(MANIFEST, headers=headers)
    if who in ("nikh@kdc.test", "auditor@kdc.test"):  # their tokens cannot hold data:read
        assert r.status_code == 403 and r.get_json()["code"] == "insufficient_scope"
    else:
        _refused(r, "license_required")
    assert _counts(demo_app) == before


@pytest.mark.parametrize("who", ["nikh@kdc.test", "auditor@kdc.test", "admin@kdc.test"])
def test_the_broker_itself_refuses_non_team_users(demo_app, who):
    """Whatever scopes a token carries, the service gives URLs only to licensed teams."""
    from catalog.errors import Forbidden
    from catalog.services.access import issue_download_urls
    from catalog.services.users import find_user

    grant_license(demo_app)
    with demo_app.app_context():
        s = get_session()
        actor = Actor.for_user(find_user(s, who))
        with pytest.raises(Forbidden) as exc:
            issue_download_urls(s, actor, demo_app.extensions["kdc_store"], DATASET)
        assert exc.value.code == "license_required"
        assert s.scalar(select(func.count()).select_from(AccessGrant)) == 0


@pytest.mark.parametrize(
    ("status", "valid_for", "code"),
    [
        (LicenseStatus.ACTIVE, timedelta(hours=1), "license_expired"),
        (LicenseStatus.EXPIRED, timedelta(hours=1), "license_expired"),
        (LicenseStatus.REVOKED, timedelta(days=300), "license_revoked"),
        (LicenseStatus.SUSPENDED, timedelta(days=300), "license_suspended"),
    ],
)
def test_unusable_licences_are_refused_with_their_reason(
    demo_app, client, token_for, status, valid_for, code
):
    grant_license(demo_app, status=status, valid_for=valid_for, started=timedelta(days=2))
    headers = token_for(MEMBER)
    before = _counts(demo_app)
    _refused(client.get(MANIFEST, headers=headers), code)
    _refused(client.get(f"/api/v1/datasets/{DATASET}/files/x.txt", headers=headers), code)
    assert _counts(demo_app) == before


def test_eliminated_team_gets_no_urls_unless_the_terms_survive(demo_app, client, token_for):
    lic = grant_license(demo_app)
    with demo_app.app_context():
        s = get_session()
        with transaction(s):
            s.execute(
                update(Team)
                .where(Team.code == "naver")
                .values(
                    status=TeamStatus.ELIMINATED,
                    eliminated_phase=1,
                    eliminated_at=datetime.now(UTC),
                )
            )
    headers = token_for(MEMBER)
    before = _counts(demo_app)
    _refused(client.get(MANIFEST, headers=headers), "team_eliminated")
    assert _counts(demo_app) == before
    with demo_app.app_context():
        s = get_session()
        with transaction(s):
            s.execute(
                update(License)
                .where(License.id == lic)
                .values(terms={"survives_elimination": True})
            )
    assert client.get(MANIFEST, headers=headers).status_code == 200


def test_revocation_stops_new_urls_at_once(demo_app, client, token_for):
    lic = grant_license(demo_app)
    headers = token_for(MEMBER)
    assert client.get(MANIFEST, headers=headers).status_code == 200
    with demo_app.app_context():
        licensing.revoke_license(get_session(), Actor.system("test"), lic, "breach")
    _refused(client.get(MANIFEST, headers=headers), "license_revoked")
    with demo_app.app_context():
        assert get_session().scalar(select(func.count()).select_from(AccessGrant)) == 1


def test_ttl_is_capped_by_request_limit_and_licence_end(demo_app, client, token_for):
    grant_license(demo_app, valid_for=timedelta(days=1, minutes=10), started=timedelta(days=1))
    headers = token_for(MEMBER)
    assert client.get(MANIFEST, headers=headers, query_string={"ttl": 60}).get_json()["ttl"] == 60
    # The licence ends in ten minutes: the default 900 s is cut to what remains.
    ttl = client.get(MANIFEST, headers=headers).get_json()["ttl"]
    assert 595 <= ttl <= 600
    r = client.get(MANIFEST, headers=headers, query_string={"ttl": 3601})
    assert r.status_code == 422 and "ttl" in r.get_json()["errors"]


def test_configured_ttl_is_the_default(demo_app, client, token_for):
    grant_license(demo_app)
    demo_app.config["URL_TTL"] = 120
    assert client.get(MANIFEST, headers=token_for(MEMBER)).get_json()["ttl"] == 120


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"limit": 0}, 422, "invalid_input"),
        ({"limit": 5001}, 422, "invalid_input"),
        ({"cursor": "%%%"}, 422, "invalid_cursor"),
        ({"cursor": "_wA0_"}, 422, "invalid_cursor"),
        ({"version": "1999.9"}, 404, "version_not_found"),
        ({"bogus": "1"}, 422, "invalid_input"),
    ],
)
def test_bad_manifest_requests_are_clear_problems(
    demo_app, client, token_for, params, status, code
):
    grant_license(demo_app)
    r = client.get(MANIFEST, headers=token_for(MEMBER), query_string=params)
    assert r.status_code == status, r.text
    assert r.get_json()["code"] == code


def test_unknown_dataset_and_missing_token(client, token_for):
    r = client.get("/api/v1/datasets/no-such-data/manifest", headers=token_for(MEMBER))
    assert r.status_code == 404
    assert client.get(MANIFEST).status_code == 401


def test_unreachable_store_is_503_and_writes_nothing(demo_app, token_for, aws_env):
    """An S3 store on a closed port: 503 with Retry-After, no grant, no audit event."""
    from tests.live import free_port

    port = free_port()  # nothing listens here
    grant_license(demo_app)
    headers = token_for(MEMBER)
    demo_app.config["STORAGE_URL"] = (
        f"s3://kdc-down/p?endpoint_url=http://127.0.0.1:{port}"
        "&region=ap-northeast-2&addressing_style=path"
    )
    from storage import get_store

    demo_app.extensions["kdc_store"] = get_store(demo_app.config["STORAGE_URL"])
    with demo_app.app_context():
        s = get_session()
        with transaction(s):
            ds = s.scalar(select(Dataset).where(Dataset.slug == DATASET))
            v = DatasetVersion(
                dataset_id=ds.id,
                label="2030.1",
                storage_backend="s3",
                bucket="kdc-down",
                prefix="x",
                status=VersionStatus.PUBLISHED,
                object_count=1,
                total_bytes=1,
                published_at=datetime.now(UTC),
            )
            s.add(v)
            s.flush()
            s.add(DatasetObject(version_id=v.id, key="a.txt", size=1, sha256="0" * 64))
    before = _counts(demo_app)
    client = demo_app.test_client()
    for path in (MANIFEST, f"/api/v1/datasets/{DATASET}/files/a.txt"):
        r = client.get(path, headers=headers, query_string={"version": "2030.1"})
        assert r.status_code == 503, r.text
        assert r.get_json()["code"] == "storage_unavailable"
        assert int(r.headers["Retry-After"]) > 0
        assert "location" not in r.headers
    assert _counts(demo_app) == before


def test_a_licence_approved_this_very_second_is_usable_at_once(demo_app):
    """The licence is checked at full precision, not at the URLs' whole-second clock."""
    from catalog.db import utcnow
    from catalog.services import access
    from catalog.services.users import find_user

    lic_id = grant_license(demo_app, started=timedelta(0))
    with demo_app.app_context():
        session = get_session()
        with transaction(session):
            session.execute(update(License).where(License.id == lic_id).values(valid_from=utcnow()))
        user = find_user(session, MEMBER)
        page = access.issue_download_urls(
            session, Actor.for_user(user), demo_app.extensions["kdc_store"], DATASET
        )
        assert page.objects


def test_downloads_wait_for_the_terms_to_be_accepted(demo_app, client, token_for):
    """No URL until someone of the team accepted the licence's terms; then at once."""
    lic_id = grant_license(demo_app, accepted=False)
    headers = token_for(MEMBER)
    before = _counts(demo_app)
    resp = client.get(f"/api/v1/datasets/{DATASET}/manifest", headers=headers)
    _refused(resp, "terms_not_accepted")
    assert resp.json["license_id"] == lic_id and f"kdc accept-terms {lic_id}" in resp.json["detail"]
    assert _counts(demo_app) == before
    accepted = client.post(f"/api/v1/licenses/{lic_id}/accept-terms", headers=headers)
    assert accepted.status_code == 200 and accepted.json["terms_accepted_at"]
    again = client.post(f"/api/v1/licenses/{lic_id}/accept-terms", headers=headers)
    assert again.status_code == 200  # idempotent
    resp = client.get(f"/api/v1/datasets/{DATASET}/manifest", headers=headers)
    assert resp.status_code == 200 and resp.json["objects"]
    other = client.post(
        f"/api/v1/licenses/{lic_id}/accept-terms", headers=token_for("upstage-member@kdc.test")
    )
    assert other.status_code == 404
