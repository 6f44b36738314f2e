"""1,000 random tamperings of an exported chain of realistic events, all detected with the
right kind and first sequence number; untouched exports (whole, partial, re-formatted)
never raise an alarm.

The chain is the demo catalogue plus joint and individual purchases, approvals, ledger
movements, licences and downloads, with three signed checkpoints and an unsigned tail.
Which sequence number is "right" for each kind is specified in docs/audit.md.
"""

from __future__ import annotations

import base64
import copy
import json
import random
from collections import Counter

import pytest

from auditchain import HASHED_FIELDS, event_hash, export_line, verify_export
from catalog.db import get_session
from catalog.services import audit_review
from tests.audit.conftest import build_scenario, make_access_grant

TAMPERINGS = 1000


@pytest.fixture
def exported(sqlite_demo_app, tmp_path):
    """(header, checkpoints, events, key) of a realistic chain with three checkpoints."""
    app = sqlite_demo_app
    with app.app_context():
        session = get_session()
        key = audit_review.load_key(tmp_path / "key.pem", create=True)
        assert audit_review.create_checkpoint(session, key).created
        build_scenario(session)
        assert audit_review.create_checkpoint(session, key).created
        make_access_grant(session, team="upstage", dataset="kbs-news-speech", objects=11)
        assert audit_review.create_checkpoint(session, key).created
        make_access_grant(session, team="ncai", dataset="kbs-news-speech", objects=5)
        make_access_grant(session, team="lgai", dataset="joseon-annals-original", objects=1)
        lines = list(audit_review.export_lines(session, key=key))
    objs = [json.loads(line) for line in lines]
    header = objs[0]
    cps = [o for o in objs if o["type"] == "checkpoint"]
    events = [o for o in objs if o["type"] == "event"]
    assert header["type"] == "header" and len(cps) == 3 and len(events) > 100
    assert cps[-1]["seq"] < events[-1]["seq"]  # an unsigned tail
    return header, cps, events, key


def write(path, header, cps, events, *, canonical=True, rnd=None):
    def dump(obj):
        if canonical:
            return export_line(obj)
        # Any valid JSON must verify too (the slow path): shuffled keys, escaped non-ASCII.
        items = list(obj.items())
        rnd.shuffle(items)
        return json.dumps(dict(items), ensure_ascii=rnd.random() < 0.5)

    with open(path, "w", encoding="utf-8") as fh:
        for obj in [header, *cps, *events]:
            fh.write(dump(obj) + "\n")
    return str(path)


def rechain(events, start: int) -> None:
    for i in range(start, len(events)):
        if i:
            events[i]["prev_hash"] = events[i - 1]["hash"]
        events[i]["hash"] = event_hash(events[i])


def mutate(value, rnd):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rnd.choice([-2, -1, 1, 3, 1000])
    if value is None:
        return rnd.randrange(1, 50)
    if isinstance(value, str):
        if len(value) == 64 and all(c in "0123456789abcdef" for c in value):
            return "".join(rnd.choice("0123456789abcdef") for _ in range(64))
        if value and rnd.random() < 0.5:
            i = rnd.randrange(len(value))
            return value[:i] + ("X" if value[i] != "X" else "Y") + value[i + 1 :]
        return value + rnd.choice(["!", "변조", " "])
    if isinstance(value, dict):
        out = copy.deepcopy(value)
        ints = [k for k, v in out.items() if isinstance(v, int) and not isinstance(v, bool)]
        if ints and rnd.random() < 0.6:
            k = rnd.choice(ints)
            out[k] += rnd.choice([1, -1, 10**6])
        else:
            out["tampered"] = rnd.choice([1, "yes", None, [1]])
        return out
    raise AssertionError(value)


def tamper(rnd, header, cps, events, key_ids):
    """One random tampering: returns (header, cps, events, options, expected kind, seq)."""
    header, cps, events = copy.deepcopy(header), copy.deepcopy(cps), copy.deepcopy(events)
    n = len(events)
    seq_of = [e["seq"] for e in events]
    cp_seqs = sorted(c["seq"] for c in cps)
    kind = rnd.choice(
        [
            "edit",
            "edit",
            "delete",
            "insert",
            "swap",
            "truncate",
            "rewrite",
            "rewrite_external",
            "rewrite_forge",
            "rewrite_resign",
        ]
    )
    opts = {}
    if kind == "edit":
        i = rnd.randrange(n)
        name = rnd.choice([*HASHED_FIELDS, "hash"])
        events[i][name] = mutate(events[i][name], rnd)
        return header, cps, events, opts, "edited", seq_of[i]
    if kind == "delete":
        i = rnd.randrange(n - 1)  # deleting the last event is a truncation
        run = min(rnd.choice([1, 1, 2, 5]), n - 1 - i)  # keep an event after the gap
        del events[i : i + run]
        return header, cps, events, opts, "deleted", seq_of[i]
    if kind == "insert":
        i = rnd.randrange(n)  # before event i (an append at the end is just a new event)
        how = rnd.choice(["forged", "copy", "garbage"])
        expected = seq_of[i]
        if how == "forged":
            ev = copy.deepcopy(events[i])
            ev["data"] = {
                "dataset": "presidential-records",
                "price_krw": 1,
                "note": "끼워 넣은 승인",
            }
            ev["action"] = "purchase:approve"
            ev["hash"] = event_hash(ev)
        elif how == "copy":
            j = rnd.randrange(n)
            ev = copy.deepcopy(events[j])
            if j == i - 1:
                expected = seq_of[j]  # "event j appears twice"
        else:
            ev = copy.deepcopy(events[i])
            ev["subject_id"] = "999999"
        events.insert(i, ev)
        return header, cps, events, opts, "inserted", expected
    if kind == "swap":
        a, b = sorted(rnd.sample(range(n), 2))
        events[a], events[b] = events[b], events[a]
        return header, cps, events, opts, "reordered", seq_of[a]
    if kind == "truncate":
        keep = rnd.randrange(0, cp_seqs[-1])  # cut below the last checkpoint
        events = events[:keep]
        # A careful attacker fixes the header too; the signed checkpoint still tells.
        header["head_seq"] = keep
        header["head_hash"] = events[-1]["hash"] if events else "0" * 64
        return header, cps, events, opts, "truncated", keep + 1
    # Rewrite event i and re-hash the chain from there, without the key.
    i = rnd.randrange(cp_seqs[-1])  # at or before the last checkpoint
    events[i]["data"] = mutate(events[i]["data"], rnd)
    rechain(events, i)
    header["head_hash"] = events[-1]["hash"]
    k = seq_of[i]
    before = [c for c in cp_seqs if c < k]
    first_vouched = (before[-1] if before else 0) + 1
    covering = min(c for c in cp_seqs if c >= k)
    if kind == "rewrite":
        return header, cps, events, opts, "edited", first_vouched
    if kind == "rewrite_external":
        opts["extra"] = cps  # the auditor kept the checkpoints; the attacker deleted them
        return header, [], events, opts, "edited", first_vouched
    by_seq = {e["seq"]: e["hash"] for e in events}
    if kind == "rewrite_forge":
        for c in cps:
            if c["seq"] >= k:
                c["hash"] = by_seq[c["seq"]]  # the signature no longer matches
        return header, cps, events, opts, "bad_checkpoint_signature", covering
    # rewrite_resign: the attacker signs every checkpoint with a key of their own and puts
    # its public key in the header; the auditor verifies against the key they trust.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from catalog.services.audit_review import AuditKey

    fake = AuditKey(Ed25519PrivateKey.generate(), "attacker")
    for c in cps:
        c["hash"] = by_seq[c["seq"]]
        c["key_id"] = fake.key_id
        c["signature"] = fake.sign(c["seq"], c["hash"], c["signed_at"])
    header["public_keys"] = [{"key_id": fake.key_id, "public_key_pem": fake.public_pem}]
    opts["trusted"] = True
    return header, cps, events, opts, "bad_checkpoint_signature", cp_seqs[0]


def test_untouched_exports_verify(exported, tmp_path):
    header, cps, events, key = exported
    rnd = random.Random(1)
    trusted = {key.key_id: key.private.public_key()}
    for n in range(40):
        canonical = n % 2 == 0
        path = write(tmp_path / f"ok{n}.jsonl", header, cps, events, canonical=canonical, rnd=rnd)
        result = verify_export(path, public_keys=trusted if n % 3 else None)
        assert result.ok, result.as_dict()
        assert result.valid_events == result.total_events == len(events)
        assert result.checkpoints_valid == 3
    # Partial exports (after N) verify too, anchored when a checkpoint sits at N.
    for after in [cps[0]["seq"], cps[1]["seq"], 7, len(events) - 1]:
        h = dict(header, after=after)
        path = write(
            tmp_path / f"part{after}.jsonl", h, cps, [e for e in events if e["seq"] > after]
        )
        result = verify_export(path, public_keys=trusted)
        assert result.ok, result.as_dict()
        assert result.valid_events == len(events) - after


def test_random_tamperings_are_all_detected_at_the_right_seq(exported, tmp_path):
    header, cps, events, key = exported
    trusted = {key.key_id: key.private.public_key()}
    rnd = random.Random(20261128)
    kinds = Counter()
    misses = []
    for n in range(TAMPERINGS):
        h, c, e, opts, kind, seq = tamper(rnd, header, cps, events, {key.key_id})
        path = write(tmp_path / "t.jsonl", h, c, e, canonical=rnd.random() < 0.8, rnd=rnd)
        result = verify_export(
            path,
            extra_checkpoints=opts.get("extra", ()),
            public_keys=trusted if opts.get("trusted") or n % 2 else None,
        )
        got = (result.problem.kind, result.problem.seq) if result.problem else None
        kinds[kind] += 1
        if got != (kind, seq):
            misses.append((n, kind, seq, got, result.problem and result.problem.detail))
    assert not misses, f"{len(misses)} wrong of {TAMPERINGS}: {misses[:10]}"
    assert set(kinds) == {
        "edited",
        "deleted",
        "inserted",
        "reordered",
        "truncated",
        "bad_checkpoint_signature",
    }
    assert min(kinds.values()) >= 50, kinds


def test_report_counts_and_exit_status_of_the_offline_command(exported, tmp_path):
    from click.testing import CliRunner

    from kdc.audit_cmd import verify_command

    header, cps, events, key = exported
    pem = tmp_path / "pub.pem"
    pem.write_text(key.public_pem)
    ok = write(tmp_path / "ok.jsonl", header, cps, events)
    res = CliRunner().invoke(verify_command, [ok, "--public-key", str(pem)])
    assert res.exit_code == 0, res.output
    assert f"{len(events)}/{len(events)} events valid" in res.output
    assert "3/3 checkpoints valid" in res.output

    bad = copy.deepcopy(events)
    bad[41]["data"] = {"price_krw": 1}
    path = write(tmp_path / "bad.jsonl", header, cps, bad)
    res = CliRunner().invoke(verify_command, [path, "--public-key", str(pem)])
    assert res.exit_code == 1
    assert "Event 42 INVALID: edited" in res.output
    assert f"41/{len(events)} events valid" in res.output
    assert "First problem: seq 42, kind edited" in res.output

    res = CliRunner().invoke(verify_command, [path, "--json"])
    assert res.exit_code == 1
    doc = json.loads(res.output)
    assert doc["problem"]["kind"] == "edited" and doc["problem"]["seq"] == 42

    # A signature that does not verify is its own kind.
    forged = copy.deepcopy(cps)
    forged[1]["signature"] = base64.b64encode(b"\0" * 64).decode()
    path = write(tmp_path / "sig.jsonl", header, forged, events)
    res = CliRunner().invoke(verify_command, [path, "--public-key", str(pem)])
    assert res.exit_code == 1
    assert f"Checkpoint at event {cps[1]['seq']} INVALID: bad_checkpoint_signature" in res.output

    # Unusable inputs are usage errors (exit 2), not tracebacks.
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    res = CliRunner().invoke(verify_command, [ok, "--public-key", str(junk)])
    assert res.exit_code == 2 and "--public-key" in res.output
    res = CliRunner().invoke(verify_command, [str(tmp_path / "missing.jsonl")])
    assert res.exit_code == 2


def test_offline_verifier_runs_standalone(exported, tmp_path):
    """``python -m kdc.audit_cmd`` works without the server's code being imported."""
    import subprocess
    import sys

    header, cps, events, key = exported
    path = write(tmp_path / "ok.jsonl", header, cps, events)
    res = subprocess.run(
        [sys.executable, "-m", "kdc.audit_cmd", path], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    assert f"{len(events)}/{len(events)} events valid" in res.stdout
    check = (
        "import sys, kdc.audit_cmd, auditchain; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('catalog', 'flask', "
        "'sqlalchemy')]; assert not bad, bad"
    )
    res = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("which", [0, 1, 2])
def test_an_event_inserted_at_a_checkpoint_seq_is_an_insertion(exported, tmp_path, which):
    """A forged event that claims a checkpoint's seq and links correctly is accepted in
    place of the real one; the real one following it reveals the insertion, and the
    checkpoint (which signs the real event) must not turn it into a rewrite."""
    header, cps, events, key = exported
    k = sorted(c["seq"] for c in cps)[which]
    events = copy.deepcopy(events)
    i = next(n for n, e in enumerate(events) if e["seq"] == k)
    forged = copy.deepcopy(events[i])
    forged["data"] = {"dataset": "presidential-records", "price_krw": 1}
    forged["hash"] = event_hash(forged)
    events.insert(i, forged)
    path = write(tmp_path / "ins.jsonl", header, cps, events)
    result = verify_export(path, public_keys={key.key_id: key.private.public_key()})
    assert (result.problem.kind, result.problem.seq) == ("inserted", k), result.as_dict()
