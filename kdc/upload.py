"""``kdc upload``: a provider uploads a directory as a version of a dataset.

For each file: its SHA-256 is computed locally, ``POST …/versions/{label}/uploads``
declares key, size and checksum and returns either one presigned PUT URL or, for large
files, one presigned URL per part of a multipart upload; the bytes go straight to the
object store; ``POST …/uploads/{id}/complete`` makes the server read them back and check
size and SHA-256 before the file enters the draft's manifest.

Interrupted runs resume: the upload ids of unfinished files (and the checksums of files
already hashed) are kept in ``~/.cache/kdc/uploads/`` (``XDG_CACHE_HOME``), and a re-run
asks the server which parts it already holds and sends only the rest. Files the draft
already holds are skipped.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import math
import mimetypes
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Literal, TypedDict, final
from urllib.parse import quote

import httpx

from kdc.client import ApiError, ApiObject, Client
from kdc.fetch import RateLimiter

CHUNK = 1024 * 1024
MAX_ATTEMPTS = 5
# Parts of 16 MiB: S3 allows 5 MiB–5 GiB; 10,000 parts of 16 MiB cover 156 GiB, and
# bigger files get bigger parts (the part count stays at most 10,000).
PART_SIZE = 16 * 1024**2
MULTIPART_THRESHOLD = 64 * 1024**2
MAX_PARTS = 10_000
MIN_PART_SIZE = 5 * 1024**2


def seg(value: str) -> str:
    return quote(value, safe="")


def part_size_for(size: int, wanted: int = PART_SIZE) -> int:
    """``wanted`` (at least S3's 5 MiB), or larger if the file would need > 10,000 parts."""
    wanted = max(MIN_PART_SIZE, wanted)
    if math.ceil(size / wanted) <= MAX_PARTS:
        return wanted
    return math.ceil(size / MAX_PARTS / 1024**2) * 1024**2


class UploadFailed(Exception):
    pass


class FileState(TypedDict, total=False):
    """What the resume cache remembers of one local file."""

    size: int
    mtime_ns: int
    sha256: str
    upload_id: str  # the unfinished upload to resume
    done: bool


@final
class UploadSummary(TypedDict):
    """What ``kdc upload`` reports (``--json`` prints it as is)."""

    status: Literal["complete", "partial"]
    dataset: str
    version: str
    objects: int
    uploaded: int
    skipped: int
    failed: list[dict[str, str]]
    bytes_total: int
    bytes_uploaded: int
    published: bool
    seconds: float
    bytes_per_second: int


Outcome = Literal["uploaded", "skipped"]


class _Expired(Exception):
    pass


class Uploader:
    def __init__(
        self,
        client: Client,
        slug: str,
        version: str,
        directory: str | os.PathLike[str],
        *,
        jobs: int = 4,
        include: Iterable[str] = (),
        notes: str | None = None,
        publish: bool = False,
        part_size: int | None = None,
        multipart_above: int | None = None,
        limit_rate: int | None = None,
        on_total: Callable[[int], None] | None = None,
        on_bytes: Callable[[int], None] | None = None,
        on_file: Callable[[str, str], None] | None = None,
    ) -> None:
        self.client = client
        self.slug = slug
        self.version = version
        self.root = Path(directory)
        self.jobs = max(1, jobs)
        self.include = list(include)
        self.notes = notes
        self.publish = publish
        self.part_size = part_size
        self.limiter = RateLimiter(limit_rate)
        self.multipart_above = MULTIPART_THRESHOLD if multipart_above is None else multipart_above
        self.on_total = on_total or (lambda n: None)
        self.on_bytes = on_bytes or (lambda n: None)
        self.on_file = on_file or (lambda key, outcome: None)
        self.base = f"/api/v1/datasets/{seg(slug)}/versions"
        self.lock = threading.Lock()
        self.bytes_uploaded = 0
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        ident = hashlib.sha256(
            f"{client.base_url}|{slug}|{version}|{self.root.resolve()}".encode()
        ).hexdigest()[:24]
        self.state_path = cache / "kdc" / "uploads" / f"{ident}.json"
        self.state: dict[str, FileState] = {}

    # --- state ---------------------------------------------------------------------

    def _load_state(self) -> None:
        try:
            self.state = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            self.state = {}

    def _save_state(self) -> None:
        with self.lock:
            data = json.dumps(self.state)
        try:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_path.with_suffix(f".{threading.get_ident()}.tmp")
            tmp.write_text(data)
            os.replace(tmp, self.state_path)
        except OSError:
            pass  # resuming is a convenience; the upload itself does not need it

    def _entry(self, key: str, path: Path) -> FileState:
        st = path.stat()
        with self.lock:
            entry = self.state.get(key)
            if (
                not entry
                or entry.get("size") != st.st_size
                or entry.get("mtime_ns") != st.st_mtime_ns
            ):
                entry = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
                self.state[key] = entry
            return entry

    # --- files -----------------------------------------------------------------------

    def files(self) -> list[tuple[str, Path]]:
        out = []
        for path in sorted(self.root.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            key = path.relative_to(self.root).as_posix()
            if any(part.startswith(".kdc") for part in key.split("/")):
                continue
            if self.include and not any(fnmatch.fnmatchcase(key, g) for g in self.include):
                continue
            out.append((key, path))
        return out

    def _sha256(self, key: str, path: Path) -> str:
        entry = self._entry(key, path)
        known = entry.get("sha256")
        if known is not None:
            return known
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        with self.lock:
            entry["sha256"] = digest.hexdigest()
        return entry["sha256"]

    def _stream(self, path: Path, offset: int, length: int, sent: list[int]) -> Iterator[bytes]:
        with path.open("rb") as fh:
            fh.seek(offset)
            left = length
            while left > 0:
                chunk = fh.read(min(CHUNK, left))
                if not chunk:
                    raise UploadFailed(f"{path} shrank while being uploaded")
                left -= len(chunk)
                sent[0] += len(chunk)
                with self.lock:
                    self.bytes_uploaded += len(chunk)
                self.on_bytes(len(chunk))
                self.limiter.consume(len(chunk))
                yield chunk

    def _put(
        self, url: str, path: Path, offset: int, length: int, content_type: str | None
    ) -> None:
        """PUT ``length`` bytes of ``path`` from ``offset``; a failed PUT's bytes don't count."""
        headers = {"Content-Length": str(length)}
        if content_type:
            headers["Content-Type"] = content_type
        sent = [0]
        try:
            resp = self.client.transfer.put(
                url, content=self._stream(path, offset, length, sent), headers=headers
            )
        except httpx.TransportError:
            self._take_back(sent[0])
            raise
        if resp.status_code == 403:
            self._take_back(sent[0])
            raise _Expired()
        if resp.status_code >= 400:
            self._take_back(sent[0])
            raise UploadFailed(f"the store answered HTTP {resp.status_code} to a PUT")

    def _take_back(self, sent: int) -> None:
        with self.lock:
            self.bytes_uploaded -= sent
        self.on_bytes(-sent)

    def _plan(self, key: str, path: Path, size: int, sha: str) -> ApiObject:
        entry = self._entry(key, path)
        upload_id = entry.get("upload_id")
        if upload_id:
            try:
                return self.client.get(f"{self.base}/{seg(self.version)}/uploads/{seg(upload_id)}")
            except ApiError as exc:
                if exc.status not in (404, 409):
                    raise
        body: dict[str, object] = {"key": key, "size": size, "sha256": sha}
        ctype = mimetypes.guess_type(path.name)[0]
        if ctype:
            body["content_type"] = ctype
        if size > self.multipart_above:
            body.update(multipart=True, part_size=part_size_for(size, self.part_size or PART_SIZE))
        plan = self.client.post(f"{self.base}/{seg(self.version)}/uploads", body)
        with self.lock:
            entry["upload_id"] = plan["upload_id"]
        self._save_state()
        return plan

    def upload_one(self, key: str, path: Path) -> Outcome:
        size = path.stat().st_size
        sha = self._sha256(key, path)
        for attempt in range(MAX_ATTEMPTS):
            try:
                plan = self._plan(key, path, size, sha)
            except ApiError as exc:
                if exc.code == "object_exists":
                    return "skipped"
                raise
            try:
                if plan["multipart"]:
                    for part in plan["parts"]:
                        offset = (part["number"] - 1) * plan["part_size"]
                        self._put(part["url"], path, offset, part["size"], None)
                elif plan.get("url"):
                    self._put(plan["url"], path, 0, size, plan.get("content_type"))
            except (_Expired, httpx.TransportError):
                time.sleep(min(10.0, 0.5 * 2.0**attempt))
                continue  # ask for the upload's status again: fresh URLs, missing parts only
            try:
                self.client.post(
                    f"{self.base}/{seg(self.version)}/uploads/{seg(plan['upload_id'])}/complete"
                )
            except ApiError as exc:
                if exc.code in ("upload_incomplete", "upload_missing"):
                    continue
                if exc.code in (
                    "checksum_mismatch",
                    "size_mismatch",
                    "parts_invalid",
                    "upload_finished",
                    "upload_not_found",
                ):
                    self._forget_upload(key)
                raise
            self._forget_upload(key, done=True)
            return "uploaded"
        raise UploadFailed(f"gave up after {MAX_ATTEMPTS} attempts")

    def _forget_upload(self, key: str, done: bool = False) -> None:
        with self.lock:
            entry = self.state.get(key)
            if entry:
                entry.pop("upload_id", None)
                if done:
                    entry["done"] = True
        self._save_state()

    # --- the whole run -------------------------------------------------------------

    def _ensure_version(self) -> ApiObject:
        try:
            version = self.client.get(f"{self.base}/{seg(self.version)}")
        except ApiError as exc:
            if exc.status != 404:
                raise
            body: dict[str, object] = {"label": self.version}
            if self.notes is not None:
                body["release_notes"] = self.notes
            version = self.client.post(self.base, body)
        if version.get("status") == "published":
            raise ApiError(
                409,
                "version_published",
                f"Version {self.version} of {self.slug} is published; its manifest "
                "is frozen. Upload into a new version.",
            )
        return version

    def run(self) -> UploadSummary:
        started = time.monotonic()
        self._ensure_version()
        self._load_state()
        files = self.files()
        total = sum(p.stat().st_size for _, p in files)
        self.on_total(total)
        result: UploadSummary = {
            "status": "complete",
            "dataset": self.slug,
            "version": self.version,
            "objects": len(files),
            "uploaded": 0,
            "skipped": 0,
            "failed": [],
            "bytes_total": total,
            "bytes_uploaded": 0,
            "published": False,
            "seconds": 0.0,
            "bytes_per_second": 0,
        }
        try:
            with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="kdc-upload") as pool:
                futures = {
                    pool.submit(self.upload_one, key, path): (key, path) for key, path in files
                }
                for fut in as_completed(futures):
                    key, path = futures[fut]
                    try:
                        outcome = fut.result()
                    except (ApiError, UploadFailed, OSError, httpx.HTTPError) as exc:
                        if isinstance(exc, ApiError) and exc.refused:
                            raise
                        result["failed"].append({"key": key, "error": str(exc)})
                        self.on_file(key, "failed")
                        continue
                    result[outcome] += 1
                    if outcome == "skipped":
                        self.on_bytes(path.stat().st_size)
                    self.on_file(key, outcome)
        finally:
            self._save_state()
        if self.publish and not result["failed"]:
            self.client.post(f"{self.base}/{seg(self.version)}/publish")
            result["published"] = True
        result["bytes_uploaded"] = self.bytes_uploaded
        result["seconds"] = round(time.monotonic() - started, 3)
        result["bytes_per_second"] = (
            round(self.bytes_uploaded / result["seconds"]) if result["seconds"] else 0
        )
        if result["failed"]:
            result["status"] = "partial"
        return result
