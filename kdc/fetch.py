"""``kdc fetch``: download a licensed dataset version — parallel, resumable, SHA-256 verified.

How it works:

- The manifest is read page by page (``GET /api/v1/datasets/{slug}/manifest``); each page
  carries presigned URLs valid for a short time, so a page's files are downloaded before
  the next page is asked for, and a URL about to expire (or refused with 403 because it
  did) is replaced by asking for the same page again. A long download never dies on an
  expired URL.
- Each file is downloaded into ``DEST/.kdc/partial/<key>.part`` by one of ``jobs``
  threads and moved into place only once its size and SHA-256 match the manifest. An
  interrupted download resumes from the ``.part`` file with an HTTP ``Range`` request.
- ``DEST/.kdc/state.json`` remembers, per verified file, its size, SHA-256 and
  modification time, so a re-run skips complete files without re-hashing them; a file
  whose size or modification time changed is hashed again and re-downloaded if it no
  longer matches (``verify_all`` hashes every file regardless).
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, TypedDict, final
from urllib.parse import quote

import httpx

from kdc.client import ApiError, ApiObject, Client, json_object

STATE_DIR = ".kdc"
STATE_FORMAT = 1
CHUNK = 256 * 1024
MAX_ATTEMPTS = 5
MAX_URL_REFRESHES = 4
MAX_CHECKSUM_FAILURES = 2


class FetchAborted(Exception):
    """The whole fetch cannot go on (refused, unknown dataset, server gone)."""

    def __init__(self, error: ApiError):
        super().__init__(str(error))
        self.error = error


class FileFailed(Exception):
    pass


@final
class FetchReport(TypedDict):
    """What ``kdc fetch`` reports (``--json`` prints it as is)."""

    status: Literal["complete", "partial", "interrupted"]
    dataset: str
    version: str | None
    dest: str
    objects: int
    downloaded: int
    present: int
    repaired: int
    failed: list[dict[str, str]]
    bytes_total: int
    bytes_downloaded: int
    bytes_resumed: int
    url_refreshes: int
    seconds: float
    bytes_per_second: int


@dataclass
class Summary:
    dataset: str
    version: str | None
    dest: str
    objects: int = 0
    downloaded: int = 0
    present: int = 0
    repaired: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    bytes_downloaded: int = 0
    bytes_resumed: int = 0
    bytes_total: int = 0
    url_refreshes: int = 0
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def status(self) -> Literal["complete", "partial", "interrupted"]:
        if self.interrupted:
            return "interrupted"
        return "partial" if self.failed else "complete"

    def as_dict(self) -> FetchReport:
        rate = self.bytes_downloaded / self.seconds if self.seconds > 0 else 0.0
        return {
            "status": self.status,
            "dataset": self.dataset,
            "version": self.version,
            "dest": self.dest,
            "objects": self.objects,
            "downloaded": self.downloaded,
            "present": self.present,
            "repaired": self.repaired,
            "failed": self.failed,
            "bytes_total": self.bytes_total,
            "bytes_downloaded": self.bytes_downloaded,
            "bytes_resumed": self.bytes_resumed,
            "url_refreshes": self.url_refreshes,
            "seconds": round(self.seconds, 3),
            "bytes_per_second": round(rate),
        }


def parse_time(value: object) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def safe_relative_path(key: str) -> Path:
    """The local path of ``key`` under DEST; refuses keys that could escape it."""
    parts = key.split("/")
    if (
        not key
        or key.startswith("/")
        or "\\" in key
        or "\x00" in key
        or any(p in ("", ".", "..") for p in parts)
        or parts[0] == STATE_DIR
    ):
        raise FileFailed(f"unsafe object key {key!r}; not written")
    return Path(*parts)


def sha256_file(path: Path, stop: threading.Event | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            if stop is not None and stop.is_set():
                raise KeyboardInterrupt
            digest.update(chunk)
    return digest.hexdigest()


class RateLimiter:
    """Caps the total download rate of all threads (bytes per second)."""

    def __init__(self, rate: int | None):
        self.rate = rate
        self.lock = threading.Lock()
        self.start = time.monotonic()
        self.consumed = 0

    def consume(self, n: int) -> None:
        if not self.rate:
            return
        with self.lock:
            self.consumed += n
            due = self.start + self.consumed / self.rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class Page:
    """One manifest page: the URL that produced it, and its objects' current URLs."""

    def __init__(self, url: str, body: ApiObject) -> None:
        self.url = url
        self.lock = threading.Lock()
        self.generation = 0
        self.set(body)

    def set(self, body: ApiObject) -> None:
        self.fetched_at = time.time()
        self.objects = {o["key"]: o for o in body.get("objects", [])}


class Fetcher:
    def __init__(
        self,
        client: Client,
        slug: str,
        dest: str | os.PathLike[str],
        *,
        version: str | None = None,
        jobs: int = 4,
        include: Iterable[str] = (),
        verify_all: bool = False,
        limit_rate: int | None = None,
        page_limit: int | None = None,
        on_total: Callable[[int], None] | None = None,
        on_bytes: Callable[[int], None] | None = None,
        on_file: Callable[[str, str], None] | None = None,
    ) -> None:
        self.client = client
        self.slug = slug
        self.dest = Path(dest)
        self.version = version
        self.jobs = max(1, jobs)
        self.include = list(include)
        self.verify_all = verify_all
        self.limiter = RateLimiter(limit_rate)
        self.page_limit = page_limit
        self.on_total = on_total or (lambda n: None)
        self.on_bytes = on_bytes or (lambda n: None)
        self.on_file = on_file or (lambda key, outcome: None)
        self.state_dir = self.dest / STATE_DIR
        self.partial_dir = self.state_dir / "partial"
        self.state_path = self.state_dir / "state.json"
        self.state_lock = threading.Lock()
        self.summary_lock = threading.Lock()
        self.stop = threading.Event()
        self.summary = Summary(dataset=slug, version=version, dest=str(self.dest))
        # What state.json remembers of each verified file: size, sha256, mtime_ns.
        self.files: dict[str, dict[str, object]] = {}

    # --- state ---------------------------------------------------------------------

    def _load_state(self) -> None:
        try:
            data = json.loads(self.state_path.read_text())
            if isinstance(data, dict) and isinstance(data.get("files"), dict):
                self.files = data["files"]
        except (OSError, ValueError):
            pass

    def _save_state(self) -> None:
        with self.state_lock:
            data = json.dumps(
                {
                    "format": STATE_FORMAT,
                    "files": self.files,
                    "dataset": self.slug,
                    "version": self.summary.version,
                },
                ensure_ascii=False,
            )
            tmp = self.state_path.with_suffix(".tmp")
            tmp.write_text(data)
            os.replace(tmp, self.state_path)

    def _remember(self, key: str, path: Path, size: int, sha256: str) -> None:
        st = path.stat()
        with self.state_lock:
            self.files[key] = {"size": size, "sha256": sha256, "mtime_ns": st.st_mtime_ns}

    def _forget(self, key: str) -> None:
        with self.state_lock:
            self.files.pop(key, None)

    # --- manifest ------------------------------------------------------------------

    def _first_page_url(self) -> str:
        params = []
        if self.version:
            params.append(f"version={quote(self.version, safe='')}")
        if self.page_limit:
            params.append(f"limit={self.page_limit}")
        query = ("?" + "&".join(params)) if params else ""
        return f"/api/v1/datasets/{quote(self.slug, safe='')}/manifest{query}"

    def _get_page(self, url: str) -> ApiObject:
        try:
            return json_object(self.client.request("GET", url))
        except ApiError as exc:
            raise FetchAborted(exc) from exc

    def _refresh(self, page: Page, seen_generation: int) -> None:
        """Ask for ``page`` again for fresh URLs, unless another thread just did."""
        with page.lock:
            if page.generation != seen_generation:
                return
            page.set(self._get_page(page.url))
            page.generation += 1
            with self.summary_lock:
                self.summary.url_refreshes += 1

    def _current_url(self, page: Page, key: str) -> tuple[str, int]:
        """A URL for ``key`` that will not expire in the next moments, and its generation."""
        for _ in range(MAX_URL_REFRESHES):
            with page.lock:
                obj, generation, fetched = page.objects.get(key), page.generation, page.fetched_at
            if obj is None:
                raise FileFailed("the object vanished from the manifest")
            expires = parse_time(obj.get("expires_at"))
            url = obj.get("url")
            if url and (expires is None or expires - time.time() > _margin(fetched, expires)):
                return self.client.absolute(url), generation
            if not url:
                return self._resolve_file_url(key), generation
            self._refresh(page, generation)
        raise FileFailed("could not obtain an unexpired download URL")

    def _resolve_file_url(self, key: str) -> str:
        """No URL in the manifest: ask ``/files/{key}`` for a redirect to the bytes."""
        path = f"/api/v1/datasets/{quote(self.slug, safe='')}/files/{quote(key, safe='/')}"
        if self.summary.version:
            path += f"?version={quote(self.summary.version, safe='')}"
        resp = self.client.request("GET", path)
        location = resp.headers.get("Location")
        if resp.status_code not in (301, 302, 303, 307, 308) or not location:
            raise FileFailed(f"no download URL for {key}")
        return self.client.absolute(location)

    # --- one file ------------------------------------------------------------------

    def _local_ok(self, key: str, path: Path, size: int, sha256: str) -> str | None:
        """``present`` if ``path`` already holds the object, ``corrupt`` if it differs."""
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        if not path.is_file():
            raise FileFailed(f"{path} exists and is not a file")
        if st.st_size != size:
            return "corrupt"
        known = self.files.get(key)
        if (
            not self.verify_all
            and known
            and known.get("sha256") == sha256
            and known.get("size") == size
            and known.get("mtime_ns") == st.st_mtime_ns
        ):
            return "present"
        if sha256_file(path, self.stop) == sha256:
            self._remember(key, path, size, sha256)
            return "present"
        return "corrupt"

    def fetch_one(self, page: Page, obj: ApiObject) -> str:
        key, size, sha256 = obj["key"], int(obj["size"]), str(obj["sha256"]).lower()
        final = self.dest / safe_relative_path(key)
        local = self._local_ok(key, final, size, sha256)
        if local == "present":
            self.on_bytes(size)
            return "present"
        part = self.partial_dir / (str(safe_relative_path(key)) + ".part")
        part.parent.mkdir(parents=True, exist_ok=True)
        refreshes = checksum_failures = 0
        attempt = 0
        while True:
            if self.stop.is_set():
                raise KeyboardInterrupt
            url, generation = self._current_url(page, key)
            try:
                outcome = self._download(url, part, size)
            except _UrlRefused:
                refreshes += 1
                if refreshes > MAX_URL_REFRESHES:
                    raise FileFailed("the storage keeps refusing fresh URLs (403)") from None
                self._refresh(page, generation)
                continue
            except (httpx.TransportError, _Retry) as exc:
                attempt += 1
                if attempt >= MAX_ATTEMPTS:
                    raise FileFailed(f"download failed after {attempt} attempts: {exc}") from exc
                time.sleep(min(10.0, 0.5 * 2.0**attempt))
                continue
            if outcome == "short":
                attempt += 1
                if attempt >= MAX_ATTEMPTS:
                    raise FileFailed("the connection kept closing before the end of the file")
                continue
            digest = sha256_file(part, self.stop)
            if digest != sha256:
                part.unlink(missing_ok=True)
                self.on_bytes(-size)  # the progress bar takes the bad bytes back
                checksum_failures += 1
                if checksum_failures >= MAX_CHECKSUM_FAILURES:
                    raise FileFailed(f"SHA-256 mismatch: got {digest}, manifest says {sha256}")
                continue
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, final)
            self._remember(key, final, size, sha256)
            return "repaired" if local == "corrupt" else "downloaded"

    def _download(self, url: str, part: Path, size: int) -> str:
        """Fill ``part`` up to ``size`` bytes from ``url``; ``complete`` or ``short``."""
        offset = part.stat().st_size if part.exists() else 0
        if offset > size:
            part.unlink()
            offset = 0
        if offset == size:
            part.touch()  # an empty object has no bytes to ask for
            return "complete"
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        with self.client.transfer.stream("GET", url, headers=headers) as resp:
            if resp.status_code == 403:
                raise _UrlRefused()
            if resp.status_code == 416:
                part.unlink(missing_ok=True)
                raise _Retry("the server refused the resume range; starting over")
            if resp.status_code in (429, 500, 502, 503, 504):
                raise _Retry(f"HTTP {resp.status_code} from the storage")
            if resp.status_code == 404:
                raise FileFailed("the storage has no such object (404)")
            if resp.status_code >= 400:
                raise FileFailed(f"HTTP {resp.status_code} from the storage")
            mode = "ab"
            if offset and resp.status_code == 206:
                start = _content_range_start(resp.headers.get("Content-Range", ""))
                if start != offset:
                    part.unlink(missing_ok=True)
                    raise _Retry("the server answered another range; starting over")
                with self.summary_lock:
                    self.summary.bytes_resumed += offset
                self.on_bytes(offset)
            elif offset:
                mode = "wb"  # the server ignored Range: a full body follows
                offset = 0
            else:
                mode = "wb"
            written = offset
            with part.open(mode) as out:
                for chunk in resp.iter_bytes(CHUNK):
                    if self.stop.is_set():
                        raise KeyboardInterrupt
                    out.write(chunk)
                    written += len(chunk)
                    with self.summary_lock:
                        self.summary.bytes_downloaded += len(chunk)
                    self.on_bytes(len(chunk))
                    self.limiter.consume(len(chunk))
                    if written > size:
                        break
            if written > size:
                part.unlink(missing_ok=True)
                raise _Retry("the server sent more bytes than the manifest says")
        return "complete" if written == size else "short"

    # --- the whole run -------------------------------------------------------------

    def wanted(self, key: str) -> bool:
        return not self.include or any(fnmatch.fnmatchcase(key, g) for g in self.include)

    def run(self) -> Summary:
        started = time.monotonic()
        self.dest.mkdir(parents=True, exist_ok=True)
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        self._load_state()
        pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="kdc-fetch")
        try:
            url: str | None = self._first_page_url()
            while url:
                body = self._get_page(url)
                if self.summary.version is None:
                    self.summary.version = _version_label(body)
                page = Page(url, body)
                objects = [o for o in body.get("objects", []) if self.wanted(o["key"])]
                self._run_page(pool, page, objects)
                self._save_state()
                url = body.get("next")
        except KeyboardInterrupt:
            self.stop.set()
            self.summary.interrupted = True
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            with contextlib.suppress(OSError):
                self._save_state()
            self.summary.seconds = time.monotonic() - started
        return self.summary

    def _run_page(self, pool: ThreadPoolExecutor, page: Page, objects: list[ApiObject]) -> None:
        size = sum(int(o["size"]) for o in objects)
        self.summary.objects += len(objects)
        self.summary.bytes_total += size
        self.on_total(size)
        futures: dict[Future[str], ApiObject] = {
            pool.submit(self.fetch_one, page, o): o for o in objects
        }
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in done:
                    self._record(futures[fut], fut)
        except BaseException:
            self.stop.set()
            raise

    def _record(self, obj: ApiObject, fut: Future[str]) -> None:
        key = obj["key"]
        try:
            outcome = fut.result()
        except FetchAborted:
            raise
        except KeyboardInterrupt:
            return
        except (FileFailed, ApiError, OSError, httpx.HTTPError) as exc:
            self.summary.failed.append({"key": key, "error": str(exc)})
            self._forget(key)
            self.on_file(key, "failed")
            return
        if outcome == "present":
            self.summary.present += 1
        elif outcome == "repaired":
            self.summary.repaired += 1
            self.summary.downloaded += 1
        else:
            self.summary.downloaded += 1
        self.on_file(key, outcome)


class _UrlRefused(Exception):
    pass


class _Retry(Exception):
    pass


def _margin(fetched_at: float, expires_at: float | None) -> float:
    """Seconds of validity a URL must have left to be used: a quarter of its life, ≤ 30 s."""
    if expires_at is None:
        return 0.0
    return max(0.0, min(30.0, (expires_at - fetched_at) / 4))


def _content_range_start(value: str) -> int | None:
    # "bytes 100-199/200"
    try:
        unit, _, rest = value.partition(" ")
        if unit != "bytes":
            return None
        return int(rest.split("-", 1)[0])
    except ValueError:
        return None


def _version_label(body: ApiObject) -> str | None:
    version = body.get("version")
    if isinstance(version, dict):
        return version.get("label")
    return version if isinstance(version, str) else None
