"""The real ``kdc`` command against a real server process on 127.0.0.1 with real storage.

Covers: catalogue reads (human and ``--json``), buying through the CLI, fetch with
verification, kill-and-resume with HTTP Range, tampered local files, refusal without a
licence (exit 3 with the server's detail), and errors for bad input.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import httpx

from tests.client.conftest import publish_version

SLUG = "kbs-news-speech"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def buy(kdc, slug: str, team: str = "naver", institution: str = "kbs") -> int:
    """Buy ``slug`` for ``team`` through the CLI: the lead requests, the provider approves."""
    req = kdc.as_(f"{team}-lead").run(
        "purchases", "request", slug, "--mode", "individual", "--json"
    )
    assert req.code == 0, req.err
    purchase = req.json()
    assert purchase["status"] == "requested" and purchase["dataset"] == slug
    ok = kdc.as_(institution).run(
        "purchases", "approve", str(purchase["id"]), "--note", "approved by test", "--json"
    )
    assert ok.code == 0, ok.err
    assert ok.json()["status"] == "approved"
    # Downloads need the team to accept the licence's terms once.
    lead = kdc.as_(f"{team}-lead")
    lic = lead.run("licenses", "--dataset", slug, "--status", "active", "--json").json()["items"][0]
    accepted = lead.run("accept-terms", str(lic["id"]))
    assert accepted.code == 0, accepted.err
    assert f"accepted the terms of licence {lic['id']}" in accepted.out
    return purchase["id"]


def test_catalogue_reads_human_and_json(kdc):
    member = kdc.as_("naver-member")
    res = member.run("datasets", "실록")
    assert res.code == 0, res.err
    assert "joseon-annals-original" in res.out and "조선왕조실록" in res.out
    res = member.run("datasets", "--institution", "KBS", "--json")
    body = res.json()
    assert body["items"] and all(d["institution"] == "KBS" for d in body["items"])
    res = member.run("datasets", "--modality", "audio", "--all", "--json", "--limit", "1")
    assert {d["modality"] for d in res.json()["items"]} == {"audio"}
    assert len(res.json()["items"]) == res.json()["total"] >= 2

    res = member.run("show", "joseon-annals-original")
    assert res.code == 0 and "Annals of the Joseon Dynasty" in res.out
    assert "₩450,000,000" in res.out and "individual" in res.out
    detail = member.run("show", "joseon-annals-original", "--json").json()
    assert detail["slug"] == "joseon-annals-original" and detail["offers"]

    res = member.run("show", "no-such-dataset")
    assert res.code == 1
    assert "No published dataset" in res.err and "not_found" in res.err

    res = member.run("datasets", "--modality", "smell")
    assert res.code == 1 and "modality" in res.err


def test_purchases_through_the_cli(kdc):
    pid = buy(kdc, SLUG)
    lic = kdc.as_("naver-member").run("licenses", "--json").json()
    assert [(x["dataset"], x["status"]) for x in lic["items"]] == [(SLUG, "active")]
    human = kdc.as_("naver-member").run("licenses")
    assert SLUG in human.out and "active" in human.out
    listing = kdc.as_("naver-member").run("purchases", "list", "--json").json()
    assert pid in [p["id"] for p in listing["items"]]

    # A joint purchase: naver's lead opens it, upstage's member joins, then leaves.
    ds = kdc.as_("naver-member").run("show", "joseon-annals-original", "--json").json()
    joint = next(o for o in ds["offers"] if o["mode"] == "joint")
    opened = kdc.as_("naver-lead").run(
        "purchases", "request", "joseon-annals-original", "--offer", str(joint["id"]), "--json"
    )
    assert opened.code == 0, opened.err
    p = opened.json()
    assert p["status"] == "open" and [x["team"] for x in p["participants"]] == ["naver"]
    joined = kdc.as_("upstage-member").run("purchases", "join", str(p["id"]), "--json")
    assert joined.code == 0, joined.err
    shares = {x["team"]: x["share_krw"] for x in joined.json()["participants"]}
    assert set(shares) == {"naver", "upstage"} and sum(shares.values()) == joint["price_krw"]
    left = kdc.as_("upstage-member").run("purchases", "leave", str(p["id"]))
    assert left.code == 0 and "open" in left.err
    # Joining twice is refused by the server, whose detail is printed.
    again = kdc.as_("naver-member").run("purchases", "join", str(p["id"]))
    assert again.code in (1, 3) and again.err.startswith("kdc: error: ")
    # Without --offer and with two offers, the CLI asks which one.
    res = kdc.as_("naver-lead").run("purchases", "request", "joseon-annals-original")
    assert res.code == 1 and "--offer" in res.err


def test_fetch_verify_rerun_and_tamper(kdc, tmp_path):
    buy(kdc, SLUG)
    dest = tmp_path / "data"
    member = kdc.as_("naver-member")
    res = member.run("fetch", SLUG, "--dest", str(dest), "--json", "--jobs", "3")
    assert res.code == 0, res.err
    summary = res.json()
    assert summary["status"] == "complete" and summary["failed"] == []
    assert summary["downloaded"] == summary["objects"] >= 2
    manifest = _manifest(kdc.server.url, member.token, SLUG)
    for obj in manifest:
        assert sha256(dest / obj["key"]) == obj["sha256"]

    # A complete directory: nothing is downloaded again.
    res = member.run("fetch", SLUG, "--dest", str(dest), "--json")
    again = res.json()
    assert res.code == 0 and again["downloaded"] == 0 and again["bytes_downloaded"] == 0
    assert again["present"] == summary["objects"]

    # Tamper with one file (same size): detected by its hash and downloaded again.
    victim = dest / manifest[0]["key"]
    data = bytearray(victim.read_bytes())
    data[0] ^= 0xFF
    victim.write_bytes(bytes(data))
    res = member.run("fetch", SLUG, "--dest", str(dest), "--json")
    fixed = res.json()
    assert res.code == 0 and fixed["repaired"] == 1 and fixed["downloaded"] == 1
    assert sha256(victim) == manifest[0]["sha256"]

    # Tampering that restores the modification time fools the state file, not --verify-all.
    stat = victim.stat()
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert member.run("fetch", SLUG, "--dest", str(dest), "--json").json()["repaired"] == 0
    res = member.run("fetch", SLUG, "--dest", str(dest), "--json", "--verify-all")
    assert res.json()["repaired"] == 1 and sha256(victim) == manifest[0]["sha256"]

    # --include selects keys by glob; the human summary goes to standard error.
    only = tmp_path / "only"
    res = member.run("fetch", SLUG, "--dest", str(only), "--include", "*.srt")
    assert res.code == 0, res.err
    assert "complete:" in res.err
    got = {
        p.relative_to(only).as_posix()
        for p in only.rglob("*")
        if p.is_file() and ".kdc" not in p.parts
    }
    assert got and all(k.endswith(".srt") for k in got)


def test_kill_mid_download_and_resume_with_range(kdc, tmp_path):
    big = os.urandom(12 * 1024 * 1024)
    digests = publish_version(
        kdc.server.app, SLUG, "2099.1", {"big/video.bin": big, "small.txt": b"hello\n"}
    )
    buy(kdc, SLUG)
    member = kdc.as_("naver-member")
    dest = tmp_path / "data"
    part = dest / ".kdc" / "partial" / "big" / "video.bin.part"
    proc = member.popen(
        "fetch",
        SLUG,
        "--version",
        "2099.1",
        "--dest",
        str(dest),
        "--limit-rate",
        "2M",
        "--jobs",
        "1",
        "--quiet",
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if part.exists() and part.stat().st_size >= 1024 * 1024:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        proc.kill()  # no chance to clean up: as if the machine lost power
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    kept = part.stat().st_size
    assert 0 < kept < len(big)
    assert not (dest / "big" / "video.bin").exists()

    res = member.run("fetch", SLUG, "--version", "2099.1", "--dest", str(dest), "--json")
    assert res.code == 0, res.err
    summary = res.json()
    assert summary["version"] == "2099.1"
    assert summary["bytes_resumed"] >= kept
    assert summary["bytes_downloaded"] <= len(big) - kept + len(b"hello\n")
    assert sha256(dest / "big" / "video.bin") == digests["big/video.bin"]
    assert not part.exists()
    log = kdc.server.log_path.read_text()
    assert " 206 " in log  # the resumed GET was answered with Partial Content


def test_refused_without_licence_exits_3_with_the_servers_detail(kdc, tmp_path):
    member = kdc.as_("skt-member")
    url = f"{kdc.server.url}/api/v1/datasets/{SLUG}/manifest"
    problem = httpx.get(url, headers={"Authorization": f"Bearer {member.token}"}).json()
    assert problem["status"] == 403
    res = member.run("fetch", SLUG, "--dest", str(tmp_path / "d"))
    assert res.code == 3
    assert problem["detail"] in res.err and problem["code"] in res.err
    assert not any((tmp_path / "d").rglob("*.bin"))

    # No token at all, and a bad token: refused too.
    assert kdc.run("fetch", SLUG, "--dest", str(tmp_path / "e")).code == 3
    res = kdc.run("--token", "kdc_not-a-token", "licenses")
    assert res.code == 3 and "The token is not valid." in res.err


def test_tokens_through_the_cli(kdc):
    member = kdc.as_("naver-member")
    res = member.run("tokens", "create", "--name", "ci", "--scope", "catalog:read", "--days", "3")
    assert res.code == 0, res.err
    raw = res.out.strip()
    assert raw.startswith("kdc_") and "\n" not in raw
    listed = member.run("tokens", "list", "--json").json()["items"]
    mine = next(t for t in listed if t["name"] == "ci")
    assert mine["scopes"] == ["catalog:read"] and raw.startswith(mine["prefix"])
    assert member.run("tokens", "revoke", str(mine["id"])).code == 0
    from tests.client.conftest import Kdc

    res = Kdc(kdc.server, raw).run("licenses")
    assert res.code == 3 and "revoked" in res.err


def test_usage_errors_exit_1(kdc):
    assert kdc.run("fetch", SLUG).code == 1  # --dest missing
    assert kdc.run("no-such-command").code == 1
    res = kdc.run("--url", "http://127.0.0.1:9", "--retries", "0", "show", SLUG)
    assert res.code == 1 and "cannot reach" in res.err
    assert kdc.run("--help").code == 0 and "fetch" in kdc.run("--help").out


def _manifest(base: str, token: str, slug: str) -> list[dict]:
    objects, url = [], f"{base}/api/v1/datasets/{slug}/manifest"
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as http:
        while url:
            body = http.get(url).raise_for_status().json()
            objects += body["objects"]
            url = body["next"] and httpx.URL(base).join(body["next"])
    return objects


def test_worked_example_of_docs_api_md(kdc, tmp_path):
    """docs/examples/join_and_download.py does what docs/api.md says it does."""
    import subprocess
    import sys

    from tests.client.conftest import ROOT

    script = ROOT / "docs" / "examples" / "join_and_download.py"
    slug = "joseon-annals-original"
    opened = kdc.as_("naver-lead").run("purchases", "request", slug, "--mode", "joint", "--json")
    assert opened.code == 0, opened.err
    pid = opened.json()["id"]

    def example(who: str):
        env = {**kdc.as_(who).env()}
        return subprocess.run(
            [
                sys.executable,
                str(script),
                "실록 원문",
                "--dest",
                str(tmp_path / "annals"),
                "--accept-terms",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    first = example("upstage-lead")
    assert first.returncode == 0, first.stderr
    assert f"purchase {pid} is open" in first.stdout and "upstage" in first.stdout
    assert kdc.as_("naver-lead").run("purchases", "close", str(pid)).code == 0
    assert kdc.as_("nikh").run("purchases", "approve", str(pid)).code == 0
    second = example("upstage-lead")
    assert second.returncode == 0, second.stderr
    assert "all SHA-256 verified" in second.stdout
    assert any((tmp_path / "annals").rglob("*"))


def test_provider_uploads_a_version_that_a_licensee_then_fetches(kdc, tmp_path, monkeypatch):
    src = tmp_path / "release"
    (src / "audio").mkdir(parents=True)
    big = os.urandom(11 * 1024 * 1024 + 123)
    (src / "audio" / "long.wav").write_bytes(big)
    (src / "README.txt").write_text("KBS 뉴스 음성 2026\n", encoding="utf-8")
    (src / "empty.txt").write_bytes(b"")
    provider = kdc.as_("kbs")
    args = (
        "upload",
        SLUG,
        "2026.1",
        str(src),
        "--multipart-above",
        "6M",
        "--part-size",
        "5M",
        "--notes",
        "2026 release",
        "--json",
    )
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the resume state
    res = provider.run(*args)
    assert res.code == 0, res.err
    first = res.json()
    assert first["uploaded"] == 3 and first["failed"] == [] and not first["published"]
    assert first["bytes_uploaded"] == len(big) + len("KBS 뉴스 음성 2026\n".encode())
    log = kdc.server.log_path.read_text()
    assert log.count("PUT /storage/put-part/") == 3  # 11 MiB in parts of 5 MiB

    # Re-running uploads nothing; --publish freezes the version.
    res = provider.run(*args, "--publish")
    again = res.json()
    assert res.code == 0 and again["uploaded"] == 0 and again["skipped"] == 3
    assert again["published"] is True
    versions = kdc.as_("naver-member").run("show", SLUG, "--json").json()["versions"]
    assert [v["object_count"] for v in versions if v["label"] == "2026.1"] == [3]
    res = provider.run(*args)
    assert res.code == 1 and "published" in res.err

    # A team member may not upload: refused by the server.
    res = kdc.as_("naver-member").run("upload", SLUG, "2026.2", str(src))
    assert res.code == 3

    buy(kdc, SLUG)
    dest = tmp_path / "got"
    res = kdc.as_("naver-member").run(
        "fetch", SLUG, "--version", "2026.1", "--dest", str(dest), "--json"
    )
    assert res.code == 0, res.err
    assert (dest / "audio" / "long.wav").read_bytes() == big
    assert (dest / "empty.txt").read_bytes() == b""


def test_interrupted_upload_resumes_with_the_missing_parts_only(kdc, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    src = tmp_path / "release"
    src.mkdir()
    big = os.urandom(20 * 1024 * 1024)  # four parts of 5 MiB
    (src / "video.bin").write_bytes(big)
    provider = kdc.as_("kbs")
    args = ("upload", SLUG, "2027.1", str(src), "--multipart-above", "6M", "--part-size", "5M")
    proc = provider.popen(*args, "--limit-rate", "4M", "--jobs", "1", "--quiet")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if kdc.server.log_path.read_text().count("PUT /storage/put-part/") >= 1:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        proc.kill()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    before = kdc.server.log_path.read_text().count("PUT /storage/put-part/")
    assert 1 <= before < 4
    res = provider.run(*args, "--json", "--publish")
    assert res.code == 0, res.err
    summary = res.json()
    assert summary["uploaded"] == 1 and summary["published"]
    assert summary["bytes_uploaded"] <= len(big) - 5 * 1024 * 1024  # a part was kept
    buy(kdc, SLUG)
    dest = tmp_path / "got"
    res = kdc.as_("naver-member").run("fetch", SLUG, "--version", "2027.1", "--dest", str(dest))
    assert res.code == 0, res.err
    assert (dest / "video.bin").read_bytes() == big
