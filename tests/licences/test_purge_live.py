"""The destruction journey with the real ``kdc`` against a real server, on SQLite and on
PostgreSQL: fetch → the licence ends → ``kdc purge`` → the auditors see it settled. A state
file that was tampered with deletes nothing and records nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import socket
from datetime import timedelta

from sqlalchemy import select

from catalog.db import get_session
from catalog.models.licenses import DestructionAttestation, License
from catalog.services import duties
from catalog.services.context import Actor
from tests.client.conftest import Kdc
from tests.licences.conftest import buy, publish_dataset
from tests.web.conftest import login

FILES = {
    "README.txt": "시험 데이터\n".encode(),
    "rows/part-0.jsonl": b'{"id": 1}\n' * 40,
    "rows/part-1.jsonl": b'{"id": 2}\n' * 70,
    "audio/a.wav": bytes(range(256)) * 20,
}


def _setup(server, accept: bool = True) -> tuple[str, int]:
    with server.app.app_context():
        s = get_session()
        slug, offer_id = publish_dataset(
            s, server.app.extensions["kdc_store"], files=FILES, download_quota=100
        )
        _pid, lics = buy(s, slug, offer_id, accept=accept)
    return slug, lics["naver"]


def _attestations(server, license_id: int) -> list[DestructionAttestation]:
    with server.app.app_context():
        return list(
            get_session().scalars(
                select(DestructionAttestation).where(
                    DestructionAttestation.license_id == license_id
                )
            )
        )


def test_fetch_end_purge_and_the_auditor_sees_it_settled(backend_live_server, tmp_path):
    server = backend_live_server
    slug, license_id = _setup(server)
    kdc = Kdc(server).as_("naver-member")
    dest = tmp_path / "data"
    fetched = kdc.run("fetch", slug, "--dest", str(dest), "--quiet")
    assert fetched.code == 0, fetched.err
    assert {
        p.relative_to(dest).as_posix()
        for p in dest.rglob("*")
        if p.is_file() and ".kdc" not in p.parts
    } == set(FILES)

    listed = kdc.run("licenses", "--dataset", slug, "--json").json()["items"]
    assert listed[0]["usage"]["objects_issued"] == len(FILES)
    table = kdc.run("licenses", "--dataset", slug)
    assert f"{len(FILES)} / 100" in table.out

    # While the licence is active there is nothing to attest, and nothing is deleted.
    early = kdc.run("purge", slug, "--dest", str(dest), "--yes")
    assert early.code == 1 and "active" in early.err
    assert (dest / "README.txt").exists()

    # The licence ends (tick, after its end).
    with server.app.app_context():
        s = get_session()
        end = s.get(License, license_id).valid_until
        assert (
            license_id
            in duties.tick(s, Actor.system("tick"), end + timedelta(minutes=1)).expired_licenses
        )
    shown = kdc.run("license", str(license_id))
    assert "destruction attestation due" in shown.out

    purged = kdc.run("purge", slug, "--dest", str(dest), "--yes", "--json")
    assert purged.code == 0, purged.err
    report = purged.json()
    assert report["status"] == "attested" and report["deleted"] == len(FILES)
    assert report["host"] == socket.gethostname() and report["left"] == []
    assert not [p for p in dest.rglob("*") if p.is_file()]
    assert not (dest / ".kdc").exists()

    [att] = _attestations(server, license_id)
    assert att.method == "purge" and att.complete and att.host == socket.gethostname()
    assert att.dest == str(dest.resolve())
    assert {(o["key"], o["sha256"]) for o in att.objects} == {
        (k, hashlib.sha256(v).hexdigest()) for k, v in FILES.items()
    }
    with server.app.app_context():
        assert get_session().get(License, license_id).attested_at is not None

    auditor = login(server.app.test_client(), "auditor@kdc.test")
    rows = list(
        csv.DictReader(
            io.StringIO(
                auditor.get("/auditor/attestations.csv").get_data(as_text=True).lstrip("\ufeff")
            )
        )
    )
    row = next(r for r in rows if r["license_id"] == str(license_id))
    assert row["state"] == "attested" and row["method"] == "purge"
    assert row["objects"] == str(len(FILES)) and row["days_overdue"] == ""

    again = kdc.run("purge", slug, "--dest", str(dest), "--yes")
    assert again.code == 1 and "nothing" in again.err


def test_a_tampered_state_file_or_a_changed_file_deletes_and_records_nothing(
    backend_live_server, tmp_path
):
    server = backend_live_server
    slug, license_id = _setup(server)
    kdc = Kdc(server).as_("naver-member")
    dest = tmp_path / "data"
    assert kdc.run("fetch", slug, "--dest", str(dest), "--quiet").code == 0
    with server.app.app_context():
        s = get_session()
        end = s.get(License, license_id).valid_until
        duties.tick(s, Actor.system("tick"), end + timedelta(minutes=1))
    state_path = dest / ".kdc" / "state.json"
    original = state_path.read_text()
    files_before = sorted(p for p in dest.rglob("*") if p.is_file())

    def refused(mutate) -> str:
        state = json.loads(original)
        mutate(state)
        state_path.write_text(json.dumps(state))
        run = kdc.run("purge", slug, "--dest", str(dest), "--yes")
        assert run.code == 1, run.err
        assert sorted(p for p in dest.rglob("*") if p.is_file()) == files_before
        assert _attestations(server, license_id) == []
        return run.err

    forged = "0" * 64
    readme = (dest / "README.txt").read_bytes()
    err = refused(lambda st: st["files"]["README.txt"].update(sha256=forged))
    assert "not the file kdc fetch verified" in err
    err = refused(lambda st: st["files"].update({"../outside.txt": st["files"]["README.txt"]}))
    assert "unsafe key" in err
    err = refused(lambda st: st.update(dataset="another-dataset"))
    assert "not" in err and "another-dataset" in err
    err = refused(lambda st: st["files"]["README.txt"].update(size="big"))
    assert "malformed" in err
    # An entry forged together with the file on disk (so they agree): the server's check of
    # the listing against the dataset refuses it before anything is deleted.
    state = json.loads(original)
    state["files"]["README.txt"].update(sha256=hashlib.sha256(b"").hexdigest(), size=0)
    state_path.write_text(json.dumps(state))
    (dest / "README.txt").write_bytes(b"")
    run = kdc.run("purge", slug, "--dest", str(dest), "--yes")
    assert run.code == 1 and "refused the listing" in run.err
    assert (dest / "rows" / "part-0.jsonl").exists() and _attestations(server, license_id) == []
    # Restored, the purge goes through.
    (dest / "README.txt").write_bytes(readme)
    state_path.write_text(original)
    run = kdc.run("purge", slug, "--dest", str(dest), "--yes")
    assert run.code == 0, run.err
    assert len(_attestations(server, license_id)) == 1


def test_kdc_accept_terms_sends_the_texts_sha256(backend_live_server):
    server = backend_live_server
    slug, license_id = _setup(server, accept=False)
    kdc = Kdc(server).as_("naver-lead")
    run = kdc.run("accept-terms", str(license_id), "--show-text")
    assert run.code == 0, run.err
    assert "데이터 이용 허락 계약서" in run.out
    with server.app.app_context():
        lic = get_session().get(License, license_id)
        from catalog.services.licence_texts import text_of

        expected = text_of(get_session(), lic).sha256
        assert lic.terms_accepted_sha256 == expected
    assert f"licence text SHA-256: {expected}" in run.out
