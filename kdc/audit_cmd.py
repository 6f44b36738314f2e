"""``kdc audit verify EXPORT.jsonl``: check an exported audit chain offline.

Needs only the export (and, to trust the signatures, the public key you obtained from
``/api/v1/audit/public-key`` earlier and kept). Prints in the manner of CloudTrail's
``validate-logs``; exits 0 when everything verifies, 1 on any problem, 2 on bad usage.

    python -m kdc.audit_cmd export.jsonl --public-key audit.pem --checkpoint kept.jsonl
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from auditchain import (
    format_report,
    load_public_keys,
    read_checkpoint_file,
    verify_export,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def _load_keys(paths: tuple[str, ...]) -> dict[str, Ed25519PublicKey] | None:
    if not paths:
        return None
    keys: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        try:
            with open(path, "rb") as fh:
                keys.update(load_public_keys(fh.read()))
        except (OSError, ValueError) as exc:
            raise click.BadParameter(f"{path}: {exc}", param_hint="--public-key") from exc
    return keys


def _load_checkpoints(paths: tuple[str, ...]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for path in paths:
        try:
            out.extend(read_checkpoint_file(path))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise click.BadParameter(f"{path}: {exc}", param_hint="--checkpoint") from exc
    return out


@click.command("verify")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, readable=True),
    help="Signed checkpoints kept apart from the export (JSON Lines or JSON); repeatable.",
)
@click.option(
    "--public-key",
    "key_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, readable=True),
    help="The Ed25519 public key you trust (PEM, or the JSON of "
    "/api/v1/audit/public-key); repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_command(
    export: str, checkpoint_files: tuple[str, ...], key_files: tuple[str, ...], as_json: bool
) -> None:
    """Verify an exported audit chain (EXPORT is the JSON Lines export) offline.

    Detects edited, deleted, inserted and reordered events; with checkpoints also a cut-off
    tail and a chain re-hashed after rewriting. Exit status: 0 valid, 1 a problem, 2 usage.
    """
    keys = _load_keys(key_files)
    extra = _load_checkpoints(checkpoint_files)
    try:
        result = verify_export(export, extra_checkpoints=extra, public_keys=keys)
    except (OSError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"{export}: {exc}", param_hint="EXPORT") from exc
    if as_json:
        click.echo(json.dumps({"source": export, **result.as_dict()}, ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(result, export))
    sys.exit(0 if result.ok else 1)


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


audit_group.add_command(verify_command)


def main() -> None:
    verify_command(prog_name="kdc audit verify")


if __name__ == "__main__":
    main()
