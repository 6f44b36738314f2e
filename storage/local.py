"""Local-directory backend: the embedded default.

Download and upload URLs point at the app itself (``/storage/…``) and carry an expiry
and an HMAC-SHA256 signature over method, key, expiry and response options (a JSON array,
so that no field can be confused with another), made with the app's secret key; the app
serves them with HTTP Range support.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import io
import json
import mimetypes
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import quote, unquote, urlencode, urlsplit

from storage.base import (
    INTERNAL_PREFIX,
    MAX_PARTS,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    StorageUnavailable,
    UploadedPart,
    check_key,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MULTIPART_DIR = ".kdc-multipart"
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class LocalStore(ObjectStore):
    scheme = "file"

    def __init__(
        self, root: str | os.PathLike[str], *, secret_key: str, public_base: str = ""
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.bucket = str(self.root)
        self._secret = secret_key.encode()
        self.public_base = public_base.rstrip("/")

    @classmethod
    def from_url(cls, url: str, *, secret_key: str, public_base: str = "") -> LocalStore:
        parts = urlsplit(url)
        path = unquote(parts.netloc + parts.path) if parts.netloc else unquote(parts.path)
        return cls(path, secret_key=secret_key, public_base=public_base)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes | BinaryIO, content_type: str | None = None) -> ObjectInfo:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary file and rename, so readers never see half an object.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, bytes | bytearray | memoryview):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, 1024 * 1024)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return self.stat(key)

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc

    def local_path(self, key: str) -> Path:
        path = self._path(key)
        try:
            if not path.is_file():
                raise ObjectNotFound(key)
        except NotADirectoryError as exc:  # a key below an existing object
            raise ObjectNotFound(key) from exc
        return path

    def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        if not path.is_file():
            raise ObjectNotFound(key)
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return ObjectInfo(
            key=key, size=st.st_size, content_type=ctype, etag=f"{st.st_mtime_ns:x}-{st.st_size:x}"
        )

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        keys = []
        for dirpath, dirs, files in os.walk(self.root):
            if Path(dirpath) == self.root:
                # Staging uploads and multipart parts are not objects.
                dirs[:] = [d for d in dirs if not d.startswith(INTERNAL_PREFIX)]
            for name in files:
                if name.startswith(".upload-"):
                    continue
                rel = Path(dirpath, name).relative_to(self.root).as_posix()
                if rel.startswith(prefix) and not rel.startswith(INTERNAL_PREFIX):
                    keys.append(rel)
        for key in sorted(keys):
            yield self.stat(key)

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except NotADirectoryError:
            pass

    def move(self, src: str, dst: str, content_type: str | None = None) -> ObjectInfo:
        source = self.local_path(src)
        target = self._path(dst)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        return self.stat(dst)

    def check_available(self) -> None:
        if not (self.root.is_dir() and os.access(self.root, os.W_OK | os.X_OK)):
            raise StorageUnavailable(f"storage directory {self.root} is missing or not writable")

    # --- multipart uploads: parts kept under .kdc-multipart/<upload id>/ ------------------

    def _upload_dir(self, key: str, upload_id: str) -> Path:
        check_key(key)
        if not _UPLOAD_ID.match(upload_id or ""):
            raise ObjectNotFound(f"no multipart upload {upload_id!r}")
        path = self.root / MULTIPART_DIR / upload_id
        try:
            if (path / "key").read_text("utf-8") != key:
                raise ObjectNotFound(f"no multipart upload {upload_id!r} for {key!r}")
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"no multipart upload {upload_id!r}") from exc
        return path

    def create_multipart(self, key: str, content_type: str | None = None) -> str:
        check_key(key)
        upload_id = secrets.token_urlsafe(24)
        path = self.root / MULTIPART_DIR / upload_id
        path.mkdir(parents=True)
        (path / "key").write_text(key, "utf-8")
        return upload_id

    def presign_upload_parts(
        self, key: str, upload_id: str, part_numbers: builtins.list[int], expires_in: int
    ) -> builtins.list[str]:
        check_key(key)
        expires = int(time.time()) + int(expires_in)
        urls = []
        for number in part_numbers:
            extra = f"{upload_id}:{int(number)}"
            sig = self._signature("PUT-PART", key, expires, extra)
            urls.append(
                self._url(
                    "put-part",
                    key,
                    {
                        "upload_id": upload_id,
                        "part": int(number),
                        "expires": expires,
                        "signature": sig,
                    },
                )
            )
        return urls

    def write_part(
        self, key: str, upload_id: str, part_number: int, data: BinaryIO
    ) -> UploadedPart:
        """Store one part (the app's ``/storage/put-part/`` route calls this)."""
        if not 1 <= part_number <= MAX_PARTS:
            raise ValueError(f"part number must be 1 … {MAX_PARTS}")
        path = self._upload_dir(key, upload_id)
        fd, tmp = tempfile.mkstemp(dir=path, prefix=".upload-")
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := data.read(1024 * 1024):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
            os.replace(tmp, path / f"part-{part_number:05d}")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return UploadedPart(number=part_number, size=size, etag=digest.hexdigest())

    def list_parts(self, key: str, upload_id: str) -> builtins.list[UploadedPart]:
        path = self._upload_dir(key, upload_id)
        parts = []
        for entry in sorted(path.glob("part-*")):
            parts.append(UploadedPart(number=int(entry.name[5:]), size=entry.stat().st_size))
        return parts

    def complete_multipart(self, key: str, upload_id: str) -> ObjectInfo:
        path = self._upload_dir(key, upload_id)
        parts = sorted(path.glob("part-*"))
        if not parts:
            raise ValueError("a multipart upload needs at least one part")

        with io.BufferedReader(_Concatenated(parts), buffer_size=1024 * 1024) as stream:
            info = self.put(key, stream)
        shutil.rmtree(path, ignore_errors=True)
        return info

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            path = self._upload_dir(key, upload_id)
        except ObjectNotFound:
            return
        shutil.rmtree(path, ignore_errors=True)

    # --- signed URLs -----------------------------------------------------------------

    def _signature(self, method: str, key: str, expires: int, extra: str = "") -> str:
        # The fields as a JSON array: every field is quoted and escaped, so no choice of key,
        # file name or upload id can make one field read as another (a key with a newline
        # once could: "k\n<far expiry>" signed what "k" with that expiry needed).
        msg = json.dumps(["kdc-url-v2", method, key, int(expires), extra], ensure_ascii=True)
        return hmac.new(self._secret, msg.encode(), hashlib.sha256).hexdigest()

    def _url(self, action: str, key: str, params: dict[str, str | int]) -> str:
        return f"{self.public_base}/storage/{action}/{quote(key, safe='/~')}?{urlencode(params)}"

    def presign_get(
        self,
        key: str,
        expires_in: int,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        _expires: int | None = None,
    ) -> str:
        check_key(key)
        expires = _expires if _expires is not None else int(time.time()) + int(expires_in)
        params: dict[str, str | int] = {"expires": expires}
        if filename:
            params["filename"] = filename
        sig = self._signature("GET", key, expires, filename or "")
        params["signature"] = sig
        return self._url("get", key, params)

    def presign_get_many(
        self,
        keys: builtins.list[tuple[str, str | None]],
        expires_in: int,
        *,
        issued_at: datetime | None = None,
    ) -> builtins.list[str]:
        start = int(issued_at.timestamp()) if issued_at is not None else int(time.time())
        expires = start + int(expires_in)
        return [self.presign_get(k, expires_in, filename=f, _expires=expires) for k, f in keys]

    def presign_put(self, key: str, expires_in: int, *, content_type: str | None = None) -> str:
        check_key(key)
        expires = int(time.time()) + int(expires_in)
        sig = self._signature("PUT", key, expires)
        return self._url("put", key, {"expires": expires, "signature": sig})

    def check_signature(
        self, method: str, key: str, expires: str, signature: str, extra: str = ""
    ) -> str | None:
        """Return why a signed URL is refused, or ``None`` if it is good."""
        try:
            exp = int(expires)
        except (TypeError, ValueError):
            return "malformed"
        good = self._signature(method, key, exp, extra)
        if not hmac.compare_digest(good, signature or ""):
            return "bad_signature"
        if exp < time.time():
            return "expired"
        return None


class _Concatenated(io.RawIOBase):
    """The parts of a multipart upload read one after the other, as one binary stream."""

    def __init__(self, files: Sequence[Path]) -> None:
        super().__init__()
        self._files = list(files)
        self._current: io.BufferedReader | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        while self._files or self._current is not None:
            if self._current is None:
                self._current = self._files.pop(0).open("rb")
            n = self._current.readinto(view)
            if n:
                return n
            self._current.close()
            self._current = None
        return 0

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
        super().close()
