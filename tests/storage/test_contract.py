"""One contract, every backend: the same assertions against the local directory store and
an S3 bucket on a real S3-compatible server (moto, over HTTP).

The app is served over real HTTP; a provider uploads through the service's presigned
PUTs (single and multipart) with plain httpx, a licensed member downloads through its
presigned GETs, and bytes and SHA-256 are checked end to end.
"""

from __future__ import annotations

import hashlib
import io
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select

from catalog.db import get_session
from catalog.models.access import AccessGrant
from catalog.models.audit import AuditEvent
from catalog.models.datasets import DatasetObject, DatasetVersion
from storage import ObjectNotFound
from storage.base import MIN_PART_SIZE, StorageError, content_disposition
from storage.local import LocalStore
from storage.s3 import S3Store
from tests.storage.conftest import (
    DATASET,
    MEMBER,
    PROVIDER,
    Blob,
    grant_license,
    new_version,
    s3_url,
    upload,
)

KOREAN = Blob(
    "원문/조선왕조실록 태조 1권 +=&~!'()*,;:@$%.jsonl", '{"왕":"태조","년":1392}\n'.encode() * 50
)
PLAIN = Blob("data/part-0001.csv", b"id,name\n1,a\n2,b\n")
BIG = Blob("video/news 1987.mp4", bytes(range(256)) * (MIN_PART_SIZE // 256) + b"tail" * 300)


def _count(app, model, **where) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return get_session().scalar(stmt)


def _manifest(served, **params):
    return served.as_user(MEMBER, "GET", f"/api/v1/datasets/{DATASET}/manifest", params=params)


def test_upload_publish_and_download_round_trip(served):
    label = new_version(served)
    for blob in (KOREAN, PLAIN):
        r = upload(served, label, blob)
        assert r.status_code == 201, r.text
        assert r.json()["sha256"] == blob.sha256 and r.json()["size"] == len(blob.data)
    r = upload(served, label, BIG, multipart=True, part_size=MIN_PART_SIZE)
    assert r.status_code == 201, r.text
    assert r.json()["content_type"] == "video/mp4"

    r = served.as_user(PROVIDER, "POST", f"/api/v1/datasets/{DATASET}/versions/{label}/publish")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published" and r.json()["object_count"] == 3
    assert r.json()["total_bytes"] == len(KOREAN.data) + len(PLAIN.data) + len(BIG.data)

    grant_license(served.app)
    r = _manifest(served, version=label)
    assert r.status_code == 200, r.text
    page = r.json()
    store = served.app.extensions["kdc_store"]
    if isinstance(store, S3Store):
        assert all(
            "X-Amz-Signature=" in o["url"] and f"/{store.bucket}/" in o["url"]
            for o in page["objects"]
        )
    else:
        assert all(o["url"].startswith(served.url + "/storage/get/") for o in page["objects"])
    assert page["next"] is None and page["object_count"] == 3
    by_key = {o["key"]: o for o in page["objects"]}
    assert [o["key"] for o in page["objects"]] == sorted(by_key)
    for blob in (KOREAN, PLAIN, BIG):
        obj = by_key[blob.key]
        assert obj["size"] == len(blob.data) and obj["sha256"] == blob.sha256
        assert obj["expires_at"] == page["expires_at"]
        got = httpx.get(obj["url"], timeout=30)
        assert got.status_code == 200
        assert got.content == blob.data
        assert hashlib.sha256(got.content).hexdigest() == blob.sha256
    # The download carries the file's own name (RFC 5987 for Korean).
    korean = httpx.get(by_key[KOREAN.key]["url"])
    disposition = korean.headers["content-disposition"]
    assert disposition.startswith("attachment")
    name = KOREAN.key.rsplit("/", 1)[1]
    assert "filename*=UTF-8''" + quote(name.encode(), safe="!#$&+-.^_`|~") in disposition
    # Range requests resume a download.
    part = httpx.get(by_key[BIG.key]["url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == BIG.data[100:200]


def test_manifest_pages_follow_next_in_key_order(served):
    label = new_version(served)
    blobs = [Blob(f"shard/{i:03d}-{'가나다'[i % 3]}.txt", f"row {i}\n".encode()) for i in range(7)]
    for blob in blobs:
        assert upload(served, label, blob).status_code == 201
    served.as_user(PROVIDER, "POST", f"/api/v1/datasets/{DATASET}/versions/{label}/publish")
    grant_license(served.app)
    keys, url, pages = [], f"/api/v1/datasets/{DATASET}/manifest?version={label}&limit=3", 0
    while url:
        r = served.http.get(url, headers=served.headers(MEMBER))
        assert r.status_code == 200, r.text
        pages += 1
        for obj in r.json()["objects"]:
            keys.append(obj["key"])
            assert httpx.get(obj["url"]).content == next(
                b.data for b in blobs if b.key == obj["key"]
            )
        url = r.json()["next"]
    assert keys == sorted(b.key for b in blobs) and pages == 3
    # Each page is one access grant, with its audit event; neither holds a URL.
    assert _count(served.app, AccessGrant) == 3
    with served.app.app_context():
        events = (
            get_session()
            .scalars(select(AuditEvent).where(AuditEvent.action == "access:issue_urls"))
            .all()
        )
        grants = get_session().scalars(select(AccessGrant)).all()
    assert [e.data["object_count"] for e in events] == [3, 3, 1]
    assert all(g.ttl_seconds == 900 and g.token_id for g in grants)
    dumped = repr([(e.data, e.client_addr) for e in events])
    for secret in ("X-Amz-Signature", "signature=", "http://", "https://"):
        assert secret not in dumped


def test_file_redirect_gives_a_fresh_url(served):
    label = new_version(served)
    assert upload(served, label, KOREAN).status_code == 201
    served.as_user(PROVIDER, "POST", f"/api/v1/datasets/{DATASET}/versions/{label}/publish")
    grant_license(served.app)
    path = f"/api/v1/datasets/{DATASET}/files/{quote(KOREAN.key)}"
    r = served.as_user(MEMBER, "GET", path, params={"version": label})
    assert r.status_code == 302, r.text
    got = httpx.get(r.headers["location"])
    assert got.status_code == 200 and got.content == KOREAN.data
    missing = served.as_user(MEMBER, "GET", path + "-nope", params={"version": label})
    assert missing.status_code == 404 and missing.json()["code"] == "object_not_found"
    assert "location" not in missing.headers


def test_checksum_mismatch_is_refused_and_leaves_nothing(served):
    label = new_version(served)
    objects_before = _count(served.app, DatasetObject)
    wrong = hashlib.sha256(b"something else").hexdigest()
    r = upload(served, label, PLAIN, declared_sha=wrong)
    assert r.status_code == 422 and r.json()["code"] == "checksum_mismatch"
    r = upload(served, label, PLAIN, declared_size=len(PLAIN.data) + 1)
    assert r.status_code == 422 and r.json()["code"] == "size_mismatch"
    r = upload(
        served, label, BIG, multipart=True, part_size=MIN_PART_SIZE, body=BIG.data[:-1] + b"X"
    )
    assert r.status_code == 422 and r.json()["code"] == "checksum_mismatch"
    assert _count(served.app, DatasetObject) == objects_before
    assert _count(served.app, AuditEvent, action="version:add_object") == 0
    store = served.app.extensions["kdc_store"]
    with served.app.app_context():
        version = get_session().scalar(select(DatasetVersion).where(DatasetVersion.label == label))
        assert version.object_count == 0 and version.total_bytes == 0
        assert (
            get_session().scalar(
                select(func.count())
                .select_from(DatasetObject)
                .where(DatasetObject.version_id == version.id)
            )
            == 0
        )
    # Neither the staging uploads nor the target keys hold any bytes.
    assert not [o.key for o in store.list(f"datasets/{DATASET}/")]
    assert not list(store.list(".kdc-uploads/")) and not _staging(store)
    # The same key uploads fine afterwards.
    assert upload(served, label, PLAIN).status_code == 201


def _staging(store) -> list[str]:
    if isinstance(store, LocalStore):
        return (
            [p.name for p in (store.root / ".kdc-uploads").glob("*")]
            if (store.root / ".kdc-uploads").exists()
            else []
        )
    resp = store.client.list_objects_v2(Bucket=store.bucket, Prefix=f"{store.prefix}/.kdc-")
    return [o["Key"] for o in resp.get("Contents", [])]


def test_upload_url_cannot_overwrite_a_verified_object(served):
    label = new_version(served)
    plan = upload(served, label, PLAIN, complete=False)
    base = f"/api/v1/datasets/{DATASET}/versions/{label}/uploads/{plan['upload_id']}"
    assert served.as_user(PROVIDER, "POST", base + "/complete").status_code == 201
    # Re-using the (still valid) upload URL lands in staging, never in the manifest's key.
    assert httpx.put(plan["url"], content=b"evil").status_code == 200
    again = served.as_user(PROVIDER, "POST", base + "/complete")
    assert again.status_code == 409 and again.json()["code"] == "object_exists"
    served.as_user(PROVIDER, "POST", f"/api/v1/datasets/{DATASET}/versions/{label}/publish")
    grant_license(served.app)
    obj = _manifest(served, version=label).json()["objects"][0]
    assert httpx.get(obj["url"]).content == PLAIN.data


def test_multipart_status_lists_received_parts_and_resumes(served):
    label = new_version(served)
    base = f"/api/v1/datasets/{DATASET}/versions/{label}/uploads"
    plan = served.as_user(
        PROVIDER,
        "POST",
        base,
        json={
            "key": BIG.key,
            "size": len(BIG.data),
            "sha256": BIG.sha256,
            "multipart": True,
            "part_size": MIN_PART_SIZE,
        },
    ).json()
    assert [p["number"] for p in plan["parts"]] == [1, 2]
    first = plan["parts"][0]
    assert httpx.put(first["url"], content=BIG.data[: first["size"]]).status_code == 200
    early = served.as_user(PROVIDER, "POST", f"{base}/{plan['upload_id']}/complete")
    assert early.status_code == 409 and early.json()["code"] == "upload_incomplete"
    status = served.as_user(PROVIDER, "GET", f"{base}/{plan['upload_id']}").json()
    assert status["received"] == [{"number": 1, "size": MIN_PART_SIZE}]
    assert [p["number"] for p in status["parts"]] == [2]
    assert httpx.put(status["parts"][0]["url"], content=BIG.data[MIN_PART_SIZE:]).status_code == 200
    done = served.as_user(PROVIDER, "POST", f"{base}/{plan['upload_id']}/complete")
    assert done.status_code == 201, done.text


def test_abort_discards_the_upload(served):
    label = new_version(served)
    base = f"/api/v1/datasets/{DATASET}/versions/{label}/uploads"
    plan = upload(served, label, PLAIN, complete=False)
    store = served.app.extensions["kdc_store"]
    assert _staging(store)
    assert served.as_user(PROVIDER, "DELETE", f"{base}/{plan['upload_id']}").status_code == 204
    assert not _staging(store)
    r = served.as_user(PROVIDER, "POST", f"{base}/{plan['upload_id']}/complete")
    assert r.status_code == 409 and r.json()["code"] == "upload_missing"


# --- the store interface itself, on both backends ------------------------------------------------


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStore(tmp_path / "objects", secret_key="contract")
    endpoint = request.getfixturevalue("moto_endpoint")
    bucket = request.getfixturevalue("s3_bucket")
    return S3Store.from_url(s3_url(endpoint, bucket, "base/prefix"))


def test_store_put_open_stat_list_delete(store):
    data = "id,이름\n1,가\n".encode()
    info = store.put("ds/v1/a b+c/파일.csv", data, content_type="text/csv")
    assert info.size == len(data)
    assert store.read_bytes("ds/v1/a b+c/파일.csv") == data
    assert store.stat("ds/v1/a b+c/파일.csv").content_type == "text/csv"
    store.put("ds/v1/z.bin", io.BytesIO(b"z" * 70_000))
    store.put("ds/v2/x.bin", b"x")
    store.put(".kdc-uploads/staging", b"s")
    assert [(o.key, o.size) for o in store.list("ds/v1/")] == [
        ("ds/v1/a b+c/파일.csv", len(data)),
        ("ds/v1/z.bin", 70_000),
    ]
    assert ".kdc-uploads/staging" not in [o.key for o in store.list()]
    assert store.hash_object("ds/v1/z.bin") == (70_000, hashlib.sha256(b"z" * 70_000).hexdigest())
    store.delete("ds/v1/z.bin")
    store.delete("ds/v1/never-was")
    assert not store.exists("ds/v1/z.bin")
    for op in (store.open, store.stat, store.hash_object):
        with pytest.raises(ObjectNotFound):
            op("ds/v1/z.bin")


def test_store_move_replaces_content_type(store):
    store.put(".kdc-uploads/1", b"payload")
    info = store.move(".kdc-uploads/1", "ds/final.json", content_type="application/json")
    assert info.size == 7 and not store.exists(".kdc-uploads/1")
    assert store.read_bytes("ds/final.json") == b"payload"
    if isinstance(store, S3Store):
        assert store.stat("ds/final.json").content_type == "application/json"


def test_store_multipart_assembles_parts_in_order(store):
    upload_id = store.create_multipart("mp/obj.bin", "application/octet-stream")
    urls = store.presign_upload_parts("mp/obj.bin", upload_id, [1, 2], 60)
    assert len(urls) == 2 and urls[0] != urls[1]
    assert store.list_parts("mp/obj.bin", upload_id) == []
    with pytest.raises(ObjectNotFound):
        store.list_parts("mp/obj.bin", "no-such-upload-id-000000")
    store.abort_multipart("mp/obj.bin", upload_id)
    store.abort_multipart("mp/obj.bin", upload_id)  # aborting twice is harmless
    with pytest.raises(ObjectNotFound):
        store.list_parts("mp/obj.bin", upload_id)


def test_store_refuses_bad_keys(store):
    for key in ("", "/abs", "a/../b", "a//b"):
        with pytest.raises(ValueError):
            store.put(key, b"x")
        with pytest.raises(ValueError):
            store.presign_get(key, 60)


def test_content_disposition_header_values():
    assert content_disposition("report.csv") == 'attachment; filename="report.csv"'
    assert content_disposition("실록 1.txt") == (
        "attachment; filename=\"__ 1.txt\"; filename*=UTF-8''%EC%8B%A4%EB%A1%9D%201.txt"
    )
    assert content_disposition('a"b.txt').startswith('attachment; filename="a_b.txt"; ')


def test_unknown_s3_url_options_are_refused():
    with pytest.raises(ValueError):
        S3Store.from_url("s3://bucket/p?endpoint=http://x")
    with pytest.raises(ValueError):
        S3Store.from_url("s3://bucket/p?addressing_style=sideways")
    assert issubclass(ObjectNotFound, StorageError)
