"""``kdc fetch``'s rules against a scripted HTTP peer (httpx.MockTransport).

The live-server tests (test_kdc_live.py) cover the normal paths end to end; these cover
what a real server rarely does on cue: URLs that expire mid-run, a store that ignores
Range, bytes that never match their checksum, keys that try to escape the directory.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

import httpx
import pytest

from kdc.client import Client
from kdc.fetch import Fetcher

BASE = "http://catalog.test"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


class FakeCatalog:
    """A manifest of two pages and a store whose URLs carry a generation number."""

    def __init__(self, files: dict[str, bytes], page_size: int = 2):
        self.files = files
        self.page_size = page_size
        self.generation = 0
        self.manifest_calls = 0
        self.store_requests: list[httpx.Request] = []
        self.ignore_range = False
        self.corrupt: set[str] = set()
        self.expires_in = 900.0
        self.sha_override: dict[str, str] = {}

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "catalog.test":
            return self.manifest(request)
        return self.store(request)

    def manifest(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer t0k"
        self.manifest_calls += 1
        keys = sorted(self.files)
        cursor = int(request.url.params.get("cursor", 0))
        chunk = keys[cursor : cursor + self.page_size]
        objects = [
            {
                "key": k,
                "size": len(self.files[k]),
                "sha256": self.sha_override.get(k, hashlib.sha256(self.files[k]).hexdigest()),
                "url": f"https://store.test/{k}?gen={self.generation}",
                "expires_at": iso(time.time() + self.expires_in),
            }
            for k in chunk
        ]
        more = cursor + self.page_size < len(keys)
        nxt = f"/api/v1/datasets/ds/manifest?cursor={cursor + self.page_size}" if more else None
        return httpx.Response(200, json={"version": "v1", "objects": objects, "next": nxt})

    def store(self, request: httpx.Request) -> httpx.Response:
        assert "Authorization" not in request.headers  # presigned: no bearer token
        self.store_requests.append(request)
        if int(request.url.params["gen"]) != self.generation:
            return httpx.Response(403, text="<Error><Code>AccessDenied</Code></Error>")
        key = request.url.path.lstrip("/")
        data = self.files[key]
        if key in self.corrupt:
            data = b"X" + data[1:]
        rng = request.headers.get("Range")
        if rng and not self.ignore_range:
            start = int(rng.split("=")[1].rstrip("-"))
            return httpx.Response(
                206,
                content=data[start:],
                headers={"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"},
            )
        return httpx.Response(200, content=data)


@pytest.fixture
def files():
    return {f"part-{i}.bin": bytes([i]) * (1000 + i) for i in range(5)}


def run(fake: FakeCatalog, dest, **kw):
    client = Client(BASE, "t0k", transport=httpx.MockTransport(fake.handler), retries=0)
    with client:
        return Fetcher(client, "ds", dest, jobs=2, **kw).run()


def test_every_page_is_fetched_and_verified(tmp_path, files):
    files["empty.txt"] = b""
    fake = FakeCatalog(files)
    summary = run(fake, tmp_path)
    assert summary.status == "complete" and summary.downloaded == 6
    assert fake.manifest_calls == 3  # 6 objects, 2 per page
    for key, data in files.items():
        assert (tmp_path / key).read_bytes() == data
    assert summary.version == "v1"


def test_expired_urls_are_refreshed_by_asking_for_the_page_again(tmp_path, files):
    fake = FakeCatalog(files)
    original = fake.manifest

    def manifest_then_expire(request):
        resp = original(request)
        fake.generation += 1  # every URL handed out is dead on arrival
        return resp

    fake.manifest = manifest_then_expire
    calls = {"n": 0}

    def handler(request):
        if request.url.host == "catalog.test":
            calls["n"] += 1
            # From the second request of each page on, hand out live URLs.
            if calls["n"] % 2 == 0:
                return original(request)
            return manifest_then_expire(request)
        return fake.store(request)

    client = Client(BASE, "t0k", transport=httpx.MockTransport(handler), retries=0)
    with client:
        summary = Fetcher(client, "ds", tmp_path, jobs=1).run()
    assert summary.status == "complete", summary.failed
    assert summary.url_refreshes >= 1
    assert any(r for r in fake.store_requests if r.url.params["gen"] != str(fake.generation))
    assert all((tmp_path / k).read_bytes() == v for k, v in files.items())


def test_urls_about_to_expire_are_replaced_before_use(tmp_path, files):
    fake = FakeCatalog(files)
    fake.expires_in = -5  # already expired when listed
    original = fake.manifest

    def manifest(request):
        resp = original(request)
        fake.expires_in = 900 if fake.expires_in < 0 else -5
        return resp

    fake.manifest = manifest
    summary = run(fake, tmp_path)
    assert summary.status == "complete"
    assert summary.url_refreshes >= 1


def test_a_store_ignoring_range_still_yields_the_right_bytes(tmp_path, files):
    fake = FakeCatalog(files)
    fake.ignore_range = True
    key = "part-3.bin"
    part = tmp_path / ".kdc" / "partial" / (key + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(files[key][:400])
    summary = run(fake, tmp_path)
    assert summary.status == "complete"
    assert (tmp_path / key).read_bytes() == files[key]
    assert summary.bytes_resumed == 0


def test_resume_sends_range_and_keeps_the_partial_bytes(tmp_path, files):
    fake = FakeCatalog(files)
    key = "part-4.bin"
    part = tmp_path / ".kdc" / "partial" / (key + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(files[key][:600])
    summary = run(fake, tmp_path, include=[key])
    assert summary.objects == 1 and summary.bytes_resumed == 600
    ranged = [r for r in fake.store_requests if "Range" in r.headers]
    assert [r.headers["Range"] for r in ranged] == ["bytes=600-"]
    assert (tmp_path / key).read_bytes() == files[key]
    assert not part.exists()


def test_bytes_that_never_match_their_checksum_fail_that_file_only(tmp_path, files):
    fake = FakeCatalog(files)
    fake.corrupt = {"part-1.bin"}
    summary = run(fake, tmp_path)
    assert summary.status == "partial"
    assert [f["key"] for f in summary.failed] == ["part-1.bin"]
    assert "SHA-256 mismatch" in summary.failed[0]["error"]
    assert not (tmp_path / "part-1.bin").exists()
    assert summary.downloaded == 4


@pytest.mark.parametrize("key", ["../escape.bin", "/etc/evil", "a/../../b", ".kdc/state.json"])
def test_keys_that_would_escape_the_directory_are_refused(tmp_path, key):
    fake = FakeCatalog({key: b"evil", "fine.bin": b"fine"})
    dest = tmp_path / "dest"
    summary = run(fake, dest)
    assert [f["key"] for f in summary.failed] == [key]
    assert "unsafe object key" in summary.failed[0]["error"]
    assert (dest / "fine.bin").read_bytes() == b"fine"
    assert not (tmp_path / "escape.bin").exists()
