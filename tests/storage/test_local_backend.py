"""The local-directory store (storage/local.py) and the app route that serves its signed URLs.

The store is exercised directly (put, open, stat, list, delete, key checks); its signed
download URLs go through the real Flask app (``/storage/get/…``) with the test client.
"""

from __future__ import annotations

import io
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest

from app import create_app
from storage import ObjectNotFound, get_store
from storage.local import LocalStore

BAD_KEYS = [
    "",
    "/etc/passwd",
    "../outside.txt",
    "a/../../outside.txt",
    "a/./b",
    "a//b",
    "a/",
    ".",
    "..",
    "a\\b",
    "a/\x00b",
]


@pytest.fixture
def store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "store", secret_key="test-secret")


@pytest.fixture
def web(tmp_path):
    """An app whose object store is a local directory; yields (test client, store)."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'kdc.sqlite3'}",
            "STORAGE_URL": f"file://{tmp_path / 'objects'}",
            "SECRET_KEY": "storage-test-secret",
            "CHECK_DB_AT_START": False,
        }
    )
    yield app.test_client(), app.extensions["kdc_store"]
    app.extensions["kdc_engine"].dispose()


def _with_query(url: str, **changes) -> str:
    """``url`` with query parameters replaced (value None removes one)."""
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    for k, v in changes.items():
        if v is None:
            params.pop(k, None)
        else:
            params[k] = v
    return f"{parts.path}?{urlencode(params)}"


# --- the store itself -----------------------------------------------------------------------


def test_get_store_builds_a_local_store_from_a_file_url(tmp_path):
    store = get_store(f"file://{tmp_path / 'x'}", secret_key="k")
    assert isinstance(store, LocalStore) and store.scheme == "file"
    assert (tmp_path / "x").is_dir()


def test_put_open_stat_roundtrip(store):
    data = "id,name\n1,가\n".encode()
    info = store.put("demo/a/file.csv", data, content_type="text/csv")
    assert info.key == "demo/a/file.csv" and info.size == len(data) == 14
    with store.open("demo/a/file.csv") as fh:
        assert fh.read() == data
    st = store.stat("demo/a/file.csv")
    assert st.size == 14 and st.content_type == "text/csv" and st.etag
    assert store.read_bytes("demo/a/file.csv") == data
    assert store.exists("demo/a/file.csv") and not store.exists("demo/a/other.csv")


def test_put_from_a_stream_and_replace(store):
    store.put("k/blob.bin", io.BytesIO(b"x" * 3_000_000))
    assert store.stat("k/blob.bin").size == 3_000_000
    store.put("k/blob.bin", b"short")
    assert store.read_bytes("k/blob.bin") == b"short"
    # The temporary upload file was renamed into place, not left behind.
    assert [o.key for o in store.list("k/")] == ["k/blob.bin"]


def test_korean_and_special_character_keys(store):
    key = "자료/조선왕조실록 원문 (1) +&=.txt"
    store.put(key, "태조실록".encode())
    assert store.read_bytes(key) == "태조실록".encode()
    assert [o.key for o in store.list("자료/")] == [key]


def test_list_in_key_order_with_prefix(store):
    for key in ["b/2.txt", "a/1.txt", "b/1.txt", "a/sub/3.txt", "ab/4.txt"]:
        store.put(key, key.encode())
    assert [o.key for o in store.list()] == [
        "a/1.txt",
        "a/sub/3.txt",
        "ab/4.txt",
        "b/1.txt",
        "b/2.txt",
    ]
    assert [o.key for o in store.list("a/")] == ["a/1.txt", "a/sub/3.txt"]
    assert [o.key for o in store.list("b/")] == ["b/1.txt", "b/2.txt"]
    assert [(o.key, o.size) for o in store.list("ab")] == [("ab/4.txt", 8)]
    assert list(store.list("nothing/")) == []


def test_missing_objects_are_object_not_found(store):
    for op in (store.open, store.stat, store.local_path):
        with pytest.raises(ObjectNotFound):
            op("no/such.txt")
    # ObjectNotFound is also a FileNotFoundError, so generic callers can catch that.
    with pytest.raises(FileNotFoundError):
        store.stat("no/such.txt")
    store.put("dir/file.txt", b"x")
    with pytest.raises(ObjectNotFound):
        store.stat("dir")  # a "directory" is not an object
    with pytest.raises(ObjectNotFound):
        store.open("dir")


def test_delete(store):
    store.put("d/x.txt", b"x")
    store.put("d/y.txt", b"y")
    store.delete("d/x.txt")
    assert not store.exists("d/x.txt")
    assert [o.key for o in store.list("d/")] == ["d/y.txt"]
    store.delete("d/x.txt")  # deleting a missing object is not an error
    store.delete("never/was.txt")


def test_key_below_an_existing_object_is_simply_missing(store):
    store.put("a", b"x")
    assert not store.exists("a/b")
    with pytest.raises(ObjectNotFound):
        store.stat("a/b")
    with pytest.raises(ObjectNotFound):
        store.open("a/b")
    store.delete("a/b")


@pytest.mark.parametrize("key", BAD_KEYS)
def test_invalid_keys_are_refused_everywhere(store, tmp_path, key):
    (tmp_path / "outside.txt").write_bytes(b"secret")
    for call in (
        lambda: store.put(key, b"x"),
        lambda: store.open(key),
        lambda: store.stat(key),
        lambda: store.delete(key),
        lambda: store.presign_get(key, 60),
        lambda: store.presign_put(key, 60),
    ):
        with pytest.raises(ValueError):
            call()
    assert (tmp_path / "outside.txt").read_bytes() == b"secret"
    assert list(store.list()) == []


# --- signed URLs served by the app ---------------------------------------------------------


def _get(client, url: str, **kwargs):
    # Buffered, so that the served file is read and closed within the request.
    return client.get(url, buffered=True, **kwargs)


def test_signed_url_downloads_the_exact_bytes(web):
    client, store = web
    data = bytes(range(256)) * 40
    store.put("demo/ds/2025.1/data.bin", data)
    url = store.presign_get("demo/ds/2025.1/data.bin", 60)
    assert url.startswith("/storage/get/demo/ds/2025.1/data.bin?")
    resp = _get(client, url)
    assert resp.status_code == 200
    assert resp.data == data
    assert resp.headers["Content-Length"] == str(len(data))
    assert resp.headers["Accept-Ranges"] == "bytes"
    # Without a filename the object is not forced to download under another name.
    assert "attachment" not in resp.headers.get("Content-Disposition", "")


def test_signed_url_for_korean_key_with_spaces_and_reserved_characters(web):
    client, store = web
    key = "demo/실록/태조 실록 +&=%#?.jsonl"
    store.put(key, '{"왕":"태조"}\n'.encode())
    resp = _get(client, store.presign_get(key, 60))
    assert resp.status_code == 200
    assert resp.data == '{"왕":"태조"}\n'.encode()


def test_content_disposition_carries_the_filename(web):
    client, store = web
    store.put("demo/x/obj-1", b"a,b\n1,2\n")
    resp = _get(client, store.presign_get("demo/x/obj-1", 60, filename="report.csv"))
    assert resp.status_code == 200 and resp.data == b"a,b\n1,2\n"
    disp = resp.headers["Content-Disposition"]
    assert disp.startswith("attachment") and "filename=report.csv" in disp.replace('"', "")


def test_content_disposition_with_korean_filename(web):
    client, store = web
    store.put("demo/x/obj-2", "원문".encode())
    name = "조선왕조실록 원문.txt"
    resp = _get(client, store.presign_get("demo/x/obj-2", 60, filename=name))
    assert resp.status_code == 200 and resp.data == "원문".encode()
    disp = resp.headers["Content-Disposition"]
    # RFC 6266 / 5987: the UTF-8 name travels in filename*.
    assert disp.startswith("attachment")
    assert f"filename*=UTF-8''{quote(name)}" in disp


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=2-5", 2, 5),
        ("bytes=0-0", 0, 0),
        ("bytes=1000-", 1000, 1023),
        ("bytes=-10", 1014, 1023),
        ("bytes=1020-5000", 1020, 1023),
    ],
)
def test_range_requests_return_the_slice(web, header, start, end):
    client, store = web
    data = bytes(i % 251 for i in range(1024))
    store.put("r/data.bin", data)
    resp = _get(client, store.presign_get("r/data.bin", 60), headers={"Range": header})
    assert resp.status_code == 206
    assert resp.data == data[start : end + 1]
    assert resp.headers["Content-Range"] == f"bytes {start}-{end}/1024"
    assert resp.headers["Content-Length"] == str(end - start + 1)


def test_unsatisfiable_range_is_416(web):
    client, store = web
    store.put("r/small.bin", b"0123456789")
    resp = _get(client, store.presign_get("r/small.bin", 60), headers={"Range": "bytes=50-60"})
    assert resp.status_code == 416
    assert b"0123456789" not in resp.data


def test_unsatisfiable_range_names_the_object_size(web):
    client, store = web
    store.put("r/small.bin", b"0123456789")
    resp = _get(client, store.presign_get("r/small.bin", 60), headers={"Range": "bytes=50-60"})
    assert resp.headers.get("Content-Range") == "bytes */10"


def test_resuming_a_download_with_range_reassembles_the_object(web):
    client, store = web
    data = bytes(range(256)) * 100
    store.put("r/resume.bin", data)
    url = store.presign_get("r/resume.bin", 60)
    first = _get(client, url, headers={"Range": "bytes=0-9999"}).data
    rest = _get(client, url, headers={"Range": f"bytes={len(first)}-"}).data
    assert first + rest == data


def test_expired_url_is_refused(web, monkeypatch):
    client, store = web
    store.put("e/x.txt", b"x")
    url = store.presign_get("e/x.txt", 30)
    assert _get(client, url).status_code == 200
    import storage.local

    real_time = storage.local.time.time
    monkeypatch.setattr(storage.local.time, "time", lambda: real_time() + 31)
    resp = _get(client, url)
    assert resp.status_code == 403
    assert b"expired" in resp.data
    assert b"x" != resp.data


def test_url_signed_already_expired_is_refused(web):
    client, store = web
    store.put("e/y.txt", b"y")
    resp = _get(client, store.presign_get("e/y.txt", -1))
    assert resp.status_code == 403


def test_tampered_urls_are_refused(web):
    client, store = web
    store.put("t/a.txt", b"content of a")
    store.put("t/b.txt", b"content of b")
    good = store.presign_get("t/a.txt", 60)
    named = store.presign_get("t/a.txt", 60, filename="a.txt")
    sig = dict(parse_qsl(urlsplit(good).query))["signature"]
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    expires = int(dict(parse_qsl(urlsplit(good).query))["expires"])
    tampered = {
        "signature changed": _with_query(good, signature=flipped),
        "signature missing": _with_query(good, signature=None),
        "signature empty": _with_query(good, signature=""),
        "expiry extended": _with_query(good, expires=str(expires + 3600)),
        "expiry not a number": _with_query(good, expires="soon"),
        "expiry missing": _with_query(good, expires=None),
        "other key, same signature": good.replace("/t/a.txt?", "/t/b.txt?"),
        "filename added": _with_query(good, filename="evil.exe"),
        "filename changed": _with_query(named, filename="b.txt"),
        "filename removed": _with_query(named, filename=None),
    }
    for why, url in tampered.items():
        resp = _get(client, url)
        assert resp.status_code == 403, why
        assert b"content of" not in resp.data, why
    assert _get(client, good).data == b"content of a"
    assert _get(client, named).data == b"content of a"


def test_url_signed_with_another_secret_is_refused(web, tmp_path):
    client, store = web
    store.put("s/x.txt", b"x")
    other = LocalStore(store.root, secret_key="someone-elses-secret")
    assert _get(client, other.presign_get("s/x.txt", 60)).status_code == 403


def test_signed_url_of_a_missing_object_is_404(web):
    client, store = web
    url = store.presign_get("gone/x.txt", 60)
    assert _get(client, url).status_code == 404


def test_validly_signed_path_traversal_is_still_refused(web, tmp_path):
    """Even a signature made over a bad key (a bug elsewhere) cannot reach outside the store."""
    client, store = web
    (tmp_path / "secret.txt").write_bytes(b"top secret")
    key = "../secret.txt"
    expires = 4_102_444_800  # 2100-01-01
    sig = store._signature("GET", key, expires)
    for path in ("/storage/get/../secret.txt", "/storage/get/%2E%2E/secret.txt"):
        resp = _get(client, f"{path}?expires={expires}&signature={sig}")
        assert resp.status_code in (403, 404)
        assert b"top secret" not in resp.data


def test_stored_html_is_not_rendered_on_the_app_origin(web):
    client, store = web
    store.put("x/page.html", b"<script src='/storage/get/x/evil.js'></script>")
    resp = _get(client, store.presign_get("x/page.html", 60))
    assert resp.status_code == 200
    disposition = resp.headers.get("Content-Disposition", "")
    csp = resp.headers.get("Content-Security-Policy", "")
    assert disposition.startswith("attachment") or "sandbox" in csp
