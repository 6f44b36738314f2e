"""The human report of a verification, shared by ``kdc audit verify`` and the server's CLI."""

from __future__ import annotations

from auditchain.chain import VerifyResult


def format_report(result: VerifyResult, source: str) -> str:
    """The human report: what was asked, what was found, counts, the first problem."""
    lines = []
    first = result.first_seq or 1
    last = result.last_seq
    lines.append(f"Validating audit chain {source}")
    lines.append("")
    p = result.problem
    if p is not None:
        where = (
            f"Event {p.seq}"
            if p.kind != "bad_checkpoint_signature"
            else f"Checkpoint at event {p.seq}"
        )
        lines.append(f"{where} INVALID: {p.kind} — {p.detail}")
        lines.append("")
    found = f"events {first} to {last}" if last is not None else "no valid events"
    lines.append(f"Results found for {found}:")
    lines.append("")
    lines.append(f"{result.valid_events}/{result.total_events} events valid")
    lines.append(f"{result.checkpoints_valid}/{result.checkpoints_checked} checkpoints valid")
    if p is not None:
        span = f" (through event {p.until})" if p.until is not None else ""
        lines.append("")
        lines.append(f"First problem: seq {p.seq}{span}, kind {p.kind}")
    for note in result.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)
