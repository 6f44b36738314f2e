"""Local-directory backend: the embedded default.

Download and upload URLs point at the app itself (``/storage/…``) and carry an expiry
and an HMAC-SHA256 signature over method, key, expiry and response options, made with
the app's secret key; the app serves them with HTTP Range support.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, unquote, urlencode, urlsplit

from storage.base import ObjectInfo, ObjectNotFound, ObjectStore, check_key


class LocalStore(ObjectStore):
    scheme = "file"

    def __init__(self, root: str | os.PathLike, *, secret_key: str, public_base: str = ""):
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

    def put(self, key: str, data, content_type: str | None = None) -> ObjectInfo:
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
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise ObjectNotFound(key) from exc

    def local_path(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return path

    def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            st = path.stat()
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        if not path.is_file():
            raise ObjectNotFound(key)
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return ObjectInfo(key=key, size=st.st_size, content_type=ctype,
                          etag=f"{st.st_mtime_ns:x}-{st.st_size:x}")

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        keys = []
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith(".upload-"):
                    continue
                rel = Path(dirpath, name).relative_to(self.root).as_posix()
                if rel.startswith(prefix):
                    keys.append(rel)
        for key in sorted(keys):
            yield self.stat(key)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    # --- signed URLs -----------------------------------------------------------------

    def _signature(self, method: str, key: str, expires: int, extra: str = "") -> str:
        msg = f"{method}\n{key}\n{expires}\n{extra}".encode()
        return hmac.new(self._secret, msg, hashlib.sha256).hexdigest()

    def _url(self, action: str, key: str, params: dict) -> str:
        return f"{self.public_base}/storage/{action}/{quote(key, safe='/~')}?{urlencode(params)}"

    def presign_get(self, key, expires_in, *, filename=None, content_type=None) -> str:
        check_key(key)
        expires = int(time.time()) + int(expires_in)
        params = {"expires": expires}
        if filename:
            params["filename"] = filename
        sig = self._signature("GET", key, expires, filename or "")
        params["signature"] = sig
        return self._url("get", key, params)

    def presign_put(self, key, expires_in, *, content_type=None) -> str:
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
