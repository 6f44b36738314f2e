"""The audit chain's hash rules and its offline verifier.

Shared by the server (which appends) and the ``kdc`` client (which verifies an export
without any access to the server). docs/audit.md specifies the same rules in prose.

An event's hash is SHA-256 over the UTF-8 bytes of its canonical JSON: the event's
fields except ``hash``, keys sorted, no insignificant white space, non-ASCII written as
itself, integers only (no floats) — the subset on which Python's ``json`` agrees with
RFC 8785 (JCS).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq",
    "ts",
    "actor",
    "actor_id",
    "token_id",
    "action",
    "subject_type",
    "subject_id",
    "data",
    "client_addr",
    "prev_hash",
)


def canonical_json(value) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def event_hash(event: dict) -> str:
    body = {name: event.get(name) for name in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass
class Problem:
    seq: int | None
    kind: str  # edited, deleted, inserted, reordered, truncated, bad_checkpoint_signature, malformed
    detail: str

    def as_dict(self) -> dict:
        return {"seq": self.seq, "kind": self.kind, "detail": self.detail}


@dataclass
class VerifyResult:
    valid_events: int = 0
    total_events: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    last_hash: str | None = None
    checkpoints_checked: int = 0
    problem: Problem | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "valid_events": self.valid_events,
            "total_events": self.total_events,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "last_hash": self.last_hash,
            "checkpoints_checked": self.checkpoints_checked,
            "problem": self.problem.as_dict() if self.problem else None,
        }


def _classify_break(events: list[dict], i: int, expected_seq: int, prev_hash: str) -> Problem:
    """Name the kind of the first break at position ``i`` (the chain up to i-1 is sound)."""
    ev = events[i]
    seq = ev.get("seq")
    if not isinstance(seq, int):
        return Problem(expected_seq, "malformed", "event without an integer seq")
    recomputed = event_hash(ev)
    if seq == expected_seq and ev.get("prev_hash") == prev_hash:
        # Links correctly but its content does not match its hash.
        return Problem(seq, "edited", f"event {seq}: content does not match its hash")
    if seq == expected_seq and recomputed == ev.get("hash"):
        # Self-consistent but not linked to its predecessor: something before it changed.
        return Problem(seq, "edited", f"event {seq}: prev_hash does not match event {seq - 1}")
    if seq > expected_seq:
        # A gap. Deleted if a later event links to what we hold; otherwise reordered.
        later = {e.get("seq") for e in events[i:] if isinstance(e.get("seq"), int)}
        if expected_seq in later:
            return Problem(expected_seq, "reordered", f"event {expected_seq} is out of order")
        return Problem(expected_seq, "deleted", f"event {expected_seq} is missing")
    if seq < expected_seq:
        seen_dupe = seq < expected_seq
        if seen_dupe and ev.get("prev_hash") == prev_hash:
            return Problem(expected_seq, "inserted", f"an event was inserted before {expected_seq}")
        return Problem(expected_seq, "reordered", f"event {seq} appears after {expected_seq - 1}")
    return Problem(expected_seq, "inserted", f"an event was inserted at {expected_seq}")


def verify_events(
    events: Iterable[dict],
    *,
    checkpoints: Iterable[dict] = (),
    verify_signature=None,
) -> VerifyResult:
    """Verify a chain given in order, optionally against signed checkpoints.

    ``verify_signature(checkpoint) -> bool`` checks a checkpoint's Ed25519 signature;
    without it checkpoints are compared by hash only.
    """
    evs = list(events)
    result = VerifyResult(total_events=len(evs))
    prev_hash = GENESIS_HASH
    expected = evs[0].get("seq", 1) if evs else 1
    if evs and expected != 1:
        # A partial export (after=N) starts mid-chain: trust its first prev_hash.
        prev_hash = evs[0].get("prev_hash", GENESIS_HASH)
    result.first_seq = expected if evs else None
    by_seq: dict[int, str] = {}
    for i, ev in enumerate(evs):
        if (
            ev.get("seq") != expected
            or ev.get("prev_hash") != prev_hash
            or event_hash(ev) != ev.get("hash")
        ):
            result.problem = _classify_break(evs, i, expected, prev_hash)
            break
        by_seq[expected] = ev["hash"]
        prev_hash = ev["hash"]
        result.valid_events += 1
        result.last_seq = expected
        result.last_hash = prev_hash
        expected += 1
    for cp in checkpoints:
        if verify_signature is not None and not verify_signature(cp):
            if result.problem is None or (cp.get("seq") or 0) < (result.problem.seq or 0):
                result.problem = Problem(cp.get("seq"), "bad_checkpoint_signature",
                                         f"checkpoint at {cp.get('seq')} has a bad signature")
            continue
        result.checkpoints_checked += 1
        cseq = cp.get("seq")
        if result.problem is not None:
            continue
        if cseq in by_seq:
            if by_seq[cseq] != cp.get("hash"):
                result.problem = Problem(cseq, "edited",
                                         f"event {cseq} differs from the signed checkpoint")
        elif result.last_seq is None or cseq > result.last_seq:
            result.problem = Problem((result.last_seq or 0) + 1, "truncated",
                                     f"the chain ends at {result.last_seq} but a checkpoint "
                                     f"signed event {cseq}")
    return result
