"""Providers' versions and uploads: permissions, validation, freezing on publish, and the
local backend's signed upload URLs (expiry and tampering refused)."""

from __future__ import annotations

import hashlib
import logging
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from catalog.logs import RedactSignatures, redact
from storage.base import MIN_PART_SIZE
from tests.conftest import make_token
from tests.storage.conftest import DATASET, MEMBER, PROVIDER

VERSIONS = f"/api/v1/datasets/{DATASET}/versions"
DATA = "가나다,123\n".encode() * 10
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def api(sqlite_demo_app):
    client = sqlite_demo_app.test_client()
    tokens: dict[str, str] = {}

    def call(who, method, path, **kw):
        if who not in tokens:
            tokens[who] = make_token(sqlite_demo_app, who)
        return client.open(
            path, method=method, headers={"Authorization": f"Bearer {tokens[who]}"}, **kw
        )

    call.client = client
    call.app = sqlite_demo_app
    return call


def _draft(api, label="2026.1"):
    r = api(PROVIDER, "POST", VERSIONS, json={"label": label})
    assert r.status_code == 201, r.text
    return label


def _plan(api, label, key="a/b.csv", data=DATA, **extra):
    r = api(
        PROVIDER,
        "POST",
        f"{VERSIONS}/{label}/uploads",
        json={"key": key, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), **extra},
    )
    assert r.status_code == 201, r.text
    return r.get_json()


def _put(api, url, data):
    return api.client.put(url, data=data)


def _complete(api, label, plan):
    return api(PROVIDER, "POST", f"{VERSIONS}/{label}/uploads/{plan['upload_id']}/complete")


def test_only_the_institutions_staff_manage_versions(api):
    r = api("kbs@kdc.test", "POST", VERSIONS, json={"label": "2026.1"})
    assert r.status_code == 403 and r.get_json()["code"] == "not_dataset_provider"
    r = api(MEMBER, "POST", VERSIONS, json={"label": "2026.1"})
    assert r.status_code == 403 and r.get_json()["code"] == "insufficient_scope"
    assert api("admin@kdc.test", "POST", VERSIONS, json={"label": "admin.1"}).status_code == 201


@pytest.mark.parametrize("label", ["", "-x", "a/b", "a b", "x" * 51, "버전"])
def test_bad_labels(api, label):
    r = api(PROVIDER, "POST", VERSIONS, json={"label": label})
    assert r.status_code == 422 and "label" in r.get_json()["errors"]


def test_drafts_are_private_and_labels_unique(api):
    _draft(api)
    r = api(PROVIDER, "POST", VERSIONS, json={"label": "2026.1"})
    assert r.status_code == 409 and r.get_json()["code"] == "version_exists"
    assert [v["label"] for v in api(PROVIDER, "GET", VERSIONS).get_json()["items"]] == [
        "2025.1",
        "2026.1",
    ]
    assert [v["label"] for v in api(MEMBER, "GET", VERSIONS).get_json()["items"]] == ["2025.1"]
    assert api(MEMBER, "GET", f"{VERSIONS}/2026.1").status_code == 404
    assert api(PROVIDER, "GET", f"{VERSIONS}/2026.1").get_json()["status"] == "draft"


@pytest.mark.parametrize(
    ("body", "field_or_code"),
    [
        ({"key": "../x.csv"}, "invalid_key"),
        ({"key": "a//b.csv"}, "invalid_key"),
        ({"key": ".kdc-uploads/x"}, "invalid_key"),
        ({"key": "a/\x01.csv"}, "invalid_key"),
        ({"sha256": "xyz"}, "sha256"),
        ({"size": -1}, "size"),
        ({"size": "10"}, "size"),
        ({"part_size": 1024, "multipart": True}, "part_size"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_upload_requests(api, body, field_or_code):
    label = _draft(api)
    payload = {"key": "ok.csv", "size": 10, "sha256": SHA, **body}
    r = api(PROVIDER, "POST", f"{VERSIONS}/{label}/uploads", json=payload)
    assert r.status_code == 422, r.text
    problem = r.get_json()
    assert problem["code"] == field_or_code or field_or_code in problem.get("errors", {})


def test_publish_freezes_the_manifest(api):
    label = _draft(api)
    r = api(PROVIDER, "POST", f"{VERSIONS}/{label}/publish")
    assert r.status_code == 409 and r.get_json()["code"] == "version_empty"
    plan = _plan(api, label)
    assert _put(api, plan["url"], DATA).status_code == 200
    assert _complete(api, label, plan).status_code == 201
    dup = api(
        PROVIDER,
        "POST",
        f"{VERSIONS}/{label}/uploads",
        json={"key": "a/b.csv", "size": 1, "sha256": SHA},
    )
    assert dup.status_code == 409 and dup.get_json()["code"] == "object_exists"
    pending = _plan(api, label, key="late.csv")
    assert _put(api, pending["url"], DATA).status_code == 200
    assert api(PROVIDER, "POST", f"{VERSIONS}/{label}/publish").status_code == 200
    for method, path, body in [
        ("POST", f"{VERSIONS}/{label}/publish", None),
        ("POST", f"{VERSIONS}/{label}/uploads", {"key": "new.csv", "size": 1, "sha256": SHA}),
        ("DELETE", f"{VERSIONS}/{label}/objects/a/b.csv", None),
        ("POST", f"{VERSIONS}/{label}/uploads/{pending['upload_id']}/complete", None),
    ]:
        r = api(PROVIDER, method, path, json=body)
        assert r.status_code == 409 and r.get_json()["code"] == "version_published", path
    v = api(PROVIDER, "GET", f"{VERSIONS}/{label}").get_json()
    assert v["object_count"] == 1 and v["total_bytes"] == len(DATA)


def test_delete_an_object_from_a_draft(api):
    label = _draft(api)
    plan = _plan(api, label)
    _put(api, plan["url"], DATA)
    assert _complete(api, label, plan).status_code == 201
    store = api.app.extensions["kdc_store"]
    assert store.exists(f"datasets/{DATASET}/{label}/a/b.csv")
    assert api(PROVIDER, "DELETE", f"{VERSIONS}/{label}/objects/a/b.csv").status_code == 204
    assert not store.exists(f"datasets/{DATASET}/{label}/a/b.csv")
    v = api(PROVIDER, "GET", f"{VERSIONS}/{label}").get_json()
    assert v["object_count"] == 0 and v["total_bytes"] == 0
    r = api(PROVIDER, "DELETE", f"{VERSIONS}/{label}/objects/a/b.csv")
    assert r.status_code == 404 and r.get_json()["code"] == "object_not_found"


def test_upload_ids_are_tamper_proof_and_bound_to_their_version(api):
    label = _draft(api)
    other = _draft(api, "2026.2")
    plan = _plan(api, label)
    for bad in (plan["upload_id"][:-2] + "xx", "nonsense"):
        r = api(PROVIDER, "POST", f"{VERSIONS}/{label}/uploads/{bad}/complete")
        assert r.status_code == 404 and r.get_json()["code"] == "upload_not_found"
    r = api(PROVIDER, "POST", f"{VERSIONS}/{other}/uploads/{plan['upload_id']}/complete")
    assert r.status_code == 404
    r = _complete(api, label, plan)  # nothing uploaded yet
    assert r.status_code == 409 and r.get_json()["code"] == "upload_missing"
    r = api("kbs@kdc.test", "POST", f"{VERSIONS}/{label}/uploads/{plan['upload_id']}/complete")
    assert r.status_code == 403


# --- the local backend's upload URLs -------------------------------------------------------------


def _with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    params.update({k: v for k, v in changes.items() if v is not None})
    return f"{parts.path}?{urlencode(params)}"


def test_local_put_urls_refuse_tampering_and_expiry(api, monkeypatch):
    label = _draft(api)
    plan = _plan(api, label)
    url = plan["url"]
    sig = dict(parse_qsl(urlsplit(url).query))["signature"]
    store = api.app.extensions["kdc_store"]
    staging = urlsplit(url).path.split("/storage/put/", 1)[1]
    tampered = [
        _with_query(url, signature=("0" if sig[0] != "0" else "1") + sig[1:]),
        _with_query(url, expires=str(int(time.time()) + 99999)),
        url.replace(staging, staging[:-1] + ("0" if staging[-1] != "0" else "1")),
    ]
    for bad in tampered:
        r = _put(api, bad, b"evil")
        assert r.status_code == 403, bad
    assert not store.exists(staging)
    import storage.local

    real = storage.local.time.time
    monkeypatch.setattr(storage.local.time, "time", lambda: real() + 6 * 3600 + 5)
    r = _put(api, url, DATA)
    assert r.status_code == 403 and b"expired" in r.data
    assert not store.exists(staging)


def test_local_part_urls_refuse_another_part_number(api):
    label = _draft(api)
    big = b"x" * (MIN_PART_SIZE + 10)
    plan = _plan(api, label, key="big.bin", data=big, multipart=True, part_size=MIN_PART_SIZE)
    first, second = plan["parts"]
    swapped = _with_query(first["url"], part="2")
    assert _put(api, swapped, big[:10]).status_code == 403
    assert _put(api, first["url"], big[:MIN_PART_SIZE]).status_code == 200
    assert _put(api, second["url"], big[MIN_PART_SIZE:]).status_code == 200
    assert _complete(api, label, plan).status_code == 201
    # The upload is finished: its part URLs lead nowhere now.
    assert _put(api, first["url"], b"again").status_code == 404


def test_signatures_are_redacted_from_request_logs():
    line = (
        '"GET /storage/get/k?expires=1&filename=a&signature=abcdef HTTP/1.1" 200 -'
        " and https://b/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=0123"
    )
    assert "abcdef" not in redact(line) and "0123" not in redact(line)
    assert "AK%2F1" not in redact(line) and "expires=1" in redact(line)
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - "%s" %s',
        ("127.0.0.1", "PUT /storage/put/x?expires=2&signature=ff HTTP/1.1", "200"),
        None,
    )
    RedactSignatures().filter(record)
    assert "signature=ff" not in record.getMessage() and "/storage/put/x" in record.getMessage()
