"""``flask --app app storage sync``: register an existing prefix (a directory of the local
store, or an S3 prefix on the moto server) as a version, hashing every object."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import select

from app import create_app
from catalog.db import get_session
from catalog.models.audit import AuditEvent
from catalog.models.datasets import DatasetObject, DatasetVersion
from tests.conftest import _config
from tests.storage.conftest import DATASET, MEMBER, ServedApp, grant_license, s3_client, s3_url

FILES = {
    "a.txt": b"alpha\n",
    "sub dir/한글 +1.jsonl": '{"k":"값"}\n'.encode(),
    "z/deep/file.bin": bytes(range(256)) * 300,
}


def _manifest(app, label):
    with app.app_context():
        s = get_session()
        v = s.scalar(select(DatasetVersion).where(DatasetVersion.label == label))
        rows = s.scalars(
            select(DatasetObject)
            .where(DatasetObject.version_id == v.id)
            .order_by(DatasetObject.key)
        ).all()
        return v, {r.key: (r.size, r.sha256, r.content_type) for r in rows}


def _expected():
    return {k: (len(v), hashlib.sha256(v).hexdigest()) for k, v in FILES.items()}


def test_sync_a_local_directory(sqlite_demo_app):
    app = sqlite_demo_app
    store = app.extensions["kdc_store"]
    for key, data in FILES.items():
        store.put(f"imports/annals/{key}", data)
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "storage",
            "sync",
            DATASET,
            "2027.1",
            f"file://{store.root}/imports/annals",
            "--publish",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "3 objects" in result.output
    version, rows = _manifest(app, "2027.1")
    assert version.status.value == "published" and version.object_count == 3
    assert version.total_bytes == sum(len(v) for v in FILES.values())
    assert {k: v[:2] for k, v in rows.items()} == _expected()
    assert rows["a.txt"][2] == "text/plain"
    with app.app_context():
        actions = [
            e.action
            for e in get_session().scalars(
                select(AuditEvent).where(AuditEvent.subject_id == str(version.id))
            )
        ]
    assert actions == ["version:sync", "version:publish"]
    # A second sync of the same label is refused; nothing changes.
    again = runner.invoke(
        args=["storage", "sync", DATASET, "2027.1", f"file://{store.root}/imports/annals"]
    )
    assert again.exit_code == 1 and "frozen" in again.output


def test_sync_refuses_bad_locations(sqlite_demo_app, tmp_path):
    app = sqlite_demo_app
    store = app.extensions["kdc_store"]
    runner = app.test_cli_runner()
    outside = runner.invoke(args=["storage", "sync", DATASET, "x.1", f"file://{tmp_path}"])
    assert outside.exit_code == 2 and "not a directory inside the store" in outside.output
    (store.root / "empty").mkdir()
    empty = runner.invoke(args=["storage", "sync", DATASET, "x.1", f"file://{store.root}/empty"])
    assert empty.exit_code == 1 and "No objects" in empty.output
    s3 = runner.invoke(args=["storage", "sync", DATASET, "x.1", "s3://bucket/p"])
    assert s3.exit_code == 2 and "s3:// needs" in s3.output
    nods = runner.invoke(args=["storage", "sync", "no-such", "x.1", f"file://{store.root}/demo"])
    assert nods.exit_code == 1 and "No dataset" in nods.output
    with app.app_context():
        assert (
            get_session().scalar(select(DatasetVersion).where(DatasetVersion.label == "x.1"))
            is None
        )


def test_sync_an_s3_prefix_and_download_it(templates, tmp_path, moto_endpoint, s3_bucket):
    client = s3_client(moto_endpoint)
    other = f"{s3_bucket}-src"
    client.create_bucket(
        Bucket=other, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"}
    )
    for key, data in FILES.items():
        client.put_object(Bucket=other, Key=f"provider drop/annals/{key}", Body=data)
        client.put_object(Bucket=s3_bucket, Key=f"kdc/ingest/{key}", Body=data)
    url, storage, _ = templates("sqlite", True).instantiate(tmp_path, None)
    app = create_app(_config(url, storage, STORAGE_URL=s3_url(moto_endpoint, s3_bucket)))
    runner = app.test_cli_runner()
    check = runner.invoke(args=["storage", "check"])
    assert check.exit_code == 0 and "ok" in check.output
    r1 = runner.invoke(
        args=[
            "storage",
            "sync",
            DATASET,
            "2027.1",
            f"s3://{other}/provider drop/annals",
            "--publish",
        ]
    )
    assert r1.exit_code == 0, r1.output
    r2 = runner.invoke(
        args=["storage", "sync", DATASET, "2027.2", f"s3://{s3_bucket}/kdc/ingest", "--publish"]
    )
    assert r2.exit_code == 0, r2.output
    outside = runner.invoke(
        args=["storage", "sync", DATASET, "2027.3", f"s3://{s3_bucket}/elsewhere"]
    )
    assert outside.exit_code == 2
    for label, bucket, prefix in (
        ("2027.1", other, "provider drop/annals"),
        ("2027.2", s3_bucket, "ingest"),
    ):
        version, rows = _manifest(app, label)
        assert (version.bucket, version.prefix) == (bucket, prefix)
        assert {k: v[:2] for k, v in rows.items()} == _expected()
    # A licensed member downloads the synced objects through presigned URLs.
    grant_license(app)
    served = ServedApp(app)
    try:
        for label in ("2027.1", "2027.2"):
            page = served.as_user(
                MEMBER, "GET", f"/api/v1/datasets/{DATASET}/manifest", params={"version": label}
            ).json()
            for obj in page["objects"]:
                assert httpx.get(obj["url"]).content == FILES[obj["key"]]
    finally:
        served.close()
        app.extensions["kdc_engine"].dispose()


def test_unreachable_store_fails_the_sync_cleanly(sqlite_demo_app, aws_env):
    from tests.live import free_port

    app = sqlite_demo_app
    app.extensions["kdc_store"] = __import__("storage").get_store(
        f"s3://down/p?endpoint_url=http://127.0.0.1:{free_port()}&region=ap-northeast-2"
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["storage", "sync", DATASET, "9.9", "s3://down/p/x"])
    assert result.exit_code == 1 and "unavailable" in result.output
    assert runner.invoke(args=["storage", "check"]).exit_code == 1
