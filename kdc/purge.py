"""``kdc purge``: delete what ``kdc fetch`` wrote into a directory and attest it.

When a licence ends (expiry, revocation, elimination without survival) the team owes an
attestation that its copies are deleted. ``kdc purge SLUG --dest DIR``:

1. reads ``DIR/.kdc/state.json`` (what ``kdc fetch`` verified there) and refuses a state
   file that is not one ``kdc fetch`` wrote: another dataset, unsafe keys, malformed
   entries, or files whose size or SHA-256 differ from what it recorded;
2. asks the server to check the listing first (a dry run: every object must be one of the
   dataset's, with that size and SHA-256) — nothing is deleted if it refuses;
3. deletes the files, the partial downloads and the state file, then the directories
   left empty, and checks that nothing of it is left;
4. submits the attestation: the deleted objects (key, size, SHA-256), the host and the
   directory. Until the server has it, ``DIR/.kdc/purge.json`` keeps the listing, and
   running ``kdc purge`` again submits it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypedDict, final

from kdc.client import ApiError, ApiObject, Client
from kdc.fetch import STATE_DIR, STATE_FORMAT, FileFailed, safe_relative_path, sha256_file

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
RECEIPT = "purge.json"


class PurgeRefused(Exception):
    """Nothing was deleted: the state file or the licence does not allow a purge."""


@final
class DeletedObject(TypedDict):
    key: str
    size: int
    sha256: str


@final
class PurgeReport(TypedDict):
    """What ``kdc purge`` reports (``--json`` prints it as is)."""

    status: Literal["attested", "partial"]
    dataset: str
    license: int
    dest: str
    host: str
    deleted: int
    bytes_deleted: int
    missing: list[str]
    left: list[str]
    attestation: int | None


@dataclass
class Plan:
    """What the state file says ``kdc fetch`` left in DEST, checked against the disk."""

    dataset: str
    present: list[DeletedObject] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # recorded but no longer on disk


def _tampered(path: Path, why: str) -> PurgeRefused:
    return PurgeRefused(
        f"{path} is not a state file kdc fetch wrote ({why}); nothing was deleted. "
        "Delete the copies by hand and ask a team lead to declare it in the web UI."
    )


def read_state(dest: Path, slug: str) -> dict[str, DeletedObject]:
    """The verified files ``kdc fetch`` recorded in ``dest`` for ``slug`` (key → entry)."""
    path = dest / STATE_DIR / "state.json"
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise PurgeRefused(
            f"{path} does not exist: kdc fetch wrote nothing into {dest} (nothing deleted)."
        ) from None
    except (OSError, ValueError) as exc:
        raise _tampered(path, f"unreadable: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
        raise _tampered(path, "unknown format")
    if data.get("dataset") != slug:
        raise _tampered(path, f"it is for dataset {data.get('dataset')!r}, not {slug!r}")
    files = data.get("files")
    if not isinstance(files, dict):
        raise _tampered(path, "no list of files")
    out: dict[str, DeletedObject] = {}
    for key, entry in files.items():
        try:
            safe_relative_path(key)
        except FileFailed:
            raise _tampered(path, f"unsafe key {key!r}") from None
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("size"), int)
            and not isinstance(entry.get("size"), bool)
            and entry["size"] >= 0
            and isinstance(entry.get("sha256"), str)
            and SHA256_RE.match(entry["sha256"])
        ):
            raise _tampered(path, f"malformed entry for {key!r}")
        out[key] = {"key": key, "size": entry["size"], "sha256": entry["sha256"]}
    return out


def plan(dest: Path, slug: str) -> Plan:
    """Check every recorded file on disk: it must still be exactly what was fetched."""
    result = Plan(dataset=slug)
    for key, entry in sorted(read_state(dest, slug).items()):
        target = dest / safe_relative_path(key)
        if not target.exists():
            result.missing.append(key)
            continue
        if not target.is_file() or target.is_symlink():
            raise PurgeRefused(f"{target} is not a regular file; nothing was deleted.")
        if target.stat().st_size != entry["size"] or sha256_file(target) != entry["sha256"]:
            raise PurgeRefused(
                f"{target} is not the file kdc fetch verified (its size or SHA-256 changed); "
                "nothing was deleted."
            )
        result.present.append(entry)
    return result


def find_license(client: Client, slug: str, license_id: int | None) -> ApiObject:
    """The team's ended licence for ``slug`` that the purge attests for."""
    if license_id is not None:
        lic = client.get(f"/api/v1/licenses/{license_id}")
        if lic.get("dataset") != slug:
            raise PurgeRefused(f"licence {license_id} is not a licence for {slug}.")
    else:
        items = list(client.items("/api/v1/licenses", dataset=slug, limit=100))
        if not items:
            raise PurgeRefused(f"your team holds no licence for {slug}; nothing was deleted.")
        due = [i for i in items if i.get("attestation") == "due"]
        lic = (due or items)[0]
    if lic.get("status") not in ("expired", "revoked"):
        raise PurgeRefused(
            f"licence {lic['id']} for {slug} is {lic.get('status')}: a purge is attested once "
            "the licence has ended. Nothing was deleted."
        )
    return lic


def _remove_empty_dirs(dest: Path, keys: list[str]) -> None:
    dirs = {(dest / safe_relative_path(k)).parent for k in keys}
    for d in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        while d != dest and dest in d.parents:
            try:
                d.rmdir()
            except OSError:
                break
            d = d.parent


def delete(dest: Path, objects: list[DeletedObject]) -> list[str]:
    """Delete the objects, partial downloads and the state file; return what is left."""
    state_dir = dest / STATE_DIR
    for obj in objects:
        (dest / safe_relative_path(obj["key"])).unlink(missing_ok=True)
    shutil.rmtree(state_dir / "partial", ignore_errors=True)
    for name in ("state.json", "state.tmp"):
        (state_dir / name).unlink(missing_ok=True)
    _remove_empty_dirs(dest, [o["key"] for o in objects])
    left = [o["key"] for o in objects if (dest / safe_relative_path(o["key"])).exists()]
    if (state_dir / "partial").exists():
        left.append(f"{STATE_DIR}/partial")
    if (state_dir / "state.json").exists():
        left.append(f"{STATE_DIR}/state.json")
    return left


def _receipt_path(dest: Path) -> Path:
    return dest / STATE_DIR / RECEIPT


def submit(
    client: Client,
    license_id: int,
    objects: list[DeletedObject],
    *,
    host: str,
    dest: Path,
    left: list[str],
    dry_run: bool = False,
) -> ApiObject:
    body: dict[str, object] = {
        "method": "purge",
        "objects": list(objects),
        "host": host,
        "dest": str(dest),
        "complete": not left,
        "dry_run": dry_run,
    }
    if left:
        body["reason"] = "kdc purge could not delete: " + ", ".join(left[:20])
    return client.post(f"/api/v1/licenses/{license_id}/attestations", body)


def purge(
    client: Client,
    slug: str,
    dest: str | os.PathLike[str],
    *,
    license_id: int | None = None,
    host: str | None = None,
    confirm: Callable[[Plan, ApiObject], bool] | None = None,
) -> PurgeReport:
    """Delete what ``kdc fetch`` wrote into ``dest`` for ``slug`` and attest it.

    ``confirm(plan, licence)`` may stop before anything is deleted (return False).
    """
    root = Path(dest).resolve()
    host = host or socket.gethostname()
    receipt = _receipt_path(root)
    if receipt.exists():
        return _resubmit(client, slug, root, host)
    lic = find_license(client, slug, license_id)
    checked = plan(root, slug)
    if not checked.present:
        raise PurgeRefused(
            f"none of the files kdc fetch recorded in {root} is still there; nothing to delete."
        )
    try:
        submit(client, int(lic["id"]), checked.present, host=host, dest=root, left=[], dry_run=True)
    except ApiError as exc:
        raise PurgeRefused(
            f"the server refused the listing: {exc.detail} Nothing was deleted."
        ) from exc
    if confirm is not None and not confirm(checked, lic):
        raise PurgeRefused("stopped; nothing was deleted.")
    receipt.write_text(
        json.dumps(
            {"dataset": slug, "license": int(lic["id"]), "objects": checked.present},
            ensure_ascii=False,
        ),
        "utf-8",
    )
    left = delete(root, checked.present)
    result = submit(client, int(lic["id"]), checked.present, host=host, dest=root, left=left)
    receipt.unlink(missing_ok=True)
    try:
        (root / STATE_DIR).rmdir()
    except OSError:
        pass
    return {
        "status": "partial" if left else "attested",
        "dataset": slug,
        "license": int(lic["id"]),
        "dest": str(root),
        "host": host,
        "deleted": len([o for o in checked.present if o["key"] not in left]),
        "bytes_deleted": sum(o["size"] for o in checked.present if o["key"] not in left),
        "missing": checked.missing,
        "left": left,
        "attestation": result.get("id"),
    }


def _resubmit(client: Client, slug: str, root: Path, host: str) -> PurgeReport:
    """A purge deleted the files but the server did not hear of it: submit it again."""
    path = _receipt_path(root)
    try:
        data = json.loads(path.read_text("utf-8"))
        license_id = int(data["license"])
        objects: list[DeletedObject] = [
            {"key": str(o["key"]), "size": int(o["size"]), "sha256": str(o["sha256"])}
            for o in data["objects"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _tampered(path, f"unreadable receipt: {exc}") from exc
    if data.get("dataset") != slug:
        raise _tampered(path, f"the receipt is for {data.get('dataset')!r}")
    left = [o["key"] for o in objects if (root / safe_relative_path(o["key"])).exists()]
    result = submit(client, license_id, objects, host=host, dest=root, left=left)
    path.unlink(missing_ok=True)
    try:
        (root / STATE_DIR).rmdir()
    except OSError:
        pass
    return {
        "status": "partial" if left else "attested",
        "dataset": slug,
        "license": license_id,
        "dest": str(root),
        "host": host,
        "deleted": len(objects) - len(left),
        "bytes_deleted": sum(o["size"] for o in objects if o["key"] not in left),
        "missing": [],
        "left": left,
        "attestation": result.get("id"),
    }
