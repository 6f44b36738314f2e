"""Signed local URLs whose fields cannot be confused, and keys that ``storage sync`` refuses
with the uploads' rule (``..``, control characters): a clear error naming the key, nothing
registered."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from app import create_app
from catalog.db import get_session
from catalog.models.audit import AuditEvent
from catalog.models.datasets import DatasetVersion
from storage.local import LocalStore
from tests.conftest import _config
from tests.storage.conftest import DATASET, s3_client, s3_url

FAR = 9_999_999_999


def test_a_key_with_a_newline_signs_nothing_for_another_key(tmp_path):
    store = LocalStore(tmp_path, secret_key="k")
    url = store.presign_get(f"x\n{FAR}", 60)
    query = dict(parse_qsl(urlsplit(url).query))
    # The fields of that URL, shifted by one: key "x", a far expiry, the real expiry as the
    # file name. Joined with newlines both read "GET\nx\n<far>\n<expiry>\n".
    forged = store.check_signature(
        "GET", "x", str(FAR), query["signature"], f"{query['expires']}\n"
    )
    assert forged == "bad_signature"
    assert (
        store.check_signature("GET", f"x\n{FAR}", query["expires"], query["signature"], "") is None
    )


def test_a_shifted_url_is_refused_by_the_app(sqlite_demo_app):
    app = sqlite_demo_app
    store = app.extensions["kdc_store"]
    store.put("forge/x", b"secret bytes")
    with app.test_request_context():
        url = store.presign_get(f"forge/x\n{FAR}", 60)
    query = dict(parse_qsl(urlsplit(url).query))
    forged = "/storage/get/forge/x?" + urlencode(
        {"expires": FAR, "filename": f"{query['expires']}\n", "signature": query["signature"]}
    )
    resp = app.test_client().get(forged)
    assert resp.status_code == 403 and b"secret bytes" not in resp.data
    # The genuine URL still works as signed (and finds no such object).
    genuine = urlsplit(url)
    assert app.test_client().get(f"{genuine.path}?{genuine.query}").status_code == 404


def _no_version(app, label: str) -> None:
    with app.app_context():
        s = get_session()
        assert s.scalar(select(DatasetVersion).where(DatasetVersion.label == label)) is None
        assert not s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "version:sync")
        )


@pytest.mark.parametrize("name", ["line\nbreak.csv", "bell\x07.csv", "del\x7f.csv"])
def test_sync_refuses_a_local_key_with_a_control_character(sqlite_demo_app, name):
    app = sqlite_demo_app
    store = app.extensions["kdc_store"]
    store.put("imports/ok/a.csv", b"a\n")
    (store.root / "imports" / "ok" / name).write_bytes(b"b\n")
    result = app.test_cli_runner().invoke(
        args=["storage", "sync", DATASET, "2027.9", f"file://{store.root}/imports/ok"]
    )
    assert result.exit_code == 1
    assert repr(f"imports/ok/{name}") in result.stderr and "nothing was registered" in result.stderr
    _no_version(app, "2027.9")


@pytest.mark.parametrize(
    "bad", ["drop/../escape.csv", "drop/a//b.csv", "drop/./c.csv", "drop/tab\there.csv"]
)
def test_sync_refuses_an_s3_key_the_uploads_would_refuse(
    templates, tmp_path, moto_endpoint, s3_bucket, bad
):
    client = s3_client(moto_endpoint)
    client.put_object(Bucket=s3_bucket, Key="kdc/drop/good.csv", Body=b"ok\n")
    client.put_object(Bucket=s3_bucket, Key=f"kdc/{bad}", Body=b"bad\n")
    listed = [o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert f"kdc/{bad}" in listed  # the store really holds that key
    url, storage, _ = templates("sqlite", True).instantiate(tmp_path, None)
    app = create_app(_config(url, storage, STORAGE_URL=s3_url(moto_endpoint, s3_bucket)))
    try:
        result = app.test_cli_runner().invoke(
            args=["storage", "sync", DATASET, "2027.8", f"s3://{s3_bucket}/kdc/drop"]
        )
        assert result.exit_code == 1, result.output
        assert repr(bad) in result.stderr and "nothing was registered" in result.stderr
        _no_version(app, "2027.8")
    finally:
        app.extensions["kdc_engine"].dispose()


def test_sync_problem_names_the_key(sqlite_demo_app):
    """The service's refusal is a 422 ``invalid_key`` problem that carries the key."""
    from catalog.errors import InvalidInput
    from catalog.services.bucket_sync import sync_version
    from catalog.services.context import Actor

    app = sqlite_demo_app
    store = app.extensions["kdc_store"]
    (store.root / "imports" / "raw").mkdir(parents=True)
    (store.root / "imports" / "raw" / "cr\r.txt").write_bytes(b"x")
    with app.app_context():
        with pytest.raises(InvalidInput) as caught:
            sync_version(
                get_session(), Actor.system("test"), store, DATASET, "2027.7", "imports/raw"
            )
    assert caught.value.status == 422 and caught.value.code == "invalid_key"
    assert caught.value.extra["key"] == "imports/raw/cr\r.txt"
    assert (
        quote("cr\r.txt") not in caught.value.detail
        and "'imports/raw/cr\\r.txt'" in caught.value.detail
    )
