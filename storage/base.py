"""The storage interface every backend implements, and its errors.

Keys are ``/``-separated relative paths within the store's prefix. A backend never
raises its own library's exceptions: missing objects are ``ObjectNotFound`` (also a
``FileNotFoundError``), refusals ``AccessDenied``, outages ``StorageUnavailable``.
"""

from __future__ import annotations

import abc
import builtins
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO


class StorageError(Exception):
    """Any failure of the object store."""


class ObjectNotFound(StorageError, FileNotFoundError):
    pass


class AccessDenied(StorageError, PermissionError):
    pass


class StorageUnavailable(StorageError):
    """The store cannot be reached or answers with a server error; retry later."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    content_type: str = "application/octet-stream"
    etag: str = ""
    last_modified: datetime | None = None


def check_key(key: str) -> str:
    """Refuse keys that could escape a prefix or confuse a backend."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise ValueError(f"invalid object key: {key!r}")
    parts = key.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"invalid object key: {key!r}")
    return key


# Staging area for uploads that are not yet verified, and (local backend) multipart parts.
# Keys whose first segment starts with ".kdc-" are internal and never listed.
INTERNAL_PREFIX = ".kdc-"
STAGING_PREFIX = ".kdc-uploads"
# Uploads being verified: moved here out of reach of every upload URL, hashed, then published.
SEALED_PREFIX = ".kdc-sealed"
# S3's limits, which every backend honours so that a client works against both.
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_SIZE = 5 * 1024**3
MAX_PARTS = 10_000
MAX_SINGLE_PUT = 5 * 1024**3
HASH_CHUNK = 1024 * 1024


def is_internal_key(key: str) -> bool:
    return key.startswith(INTERNAL_PREFIX)


_PLAIN_FILENAME = re.compile(r"[ !#$&-\[\]-~]*")  # printable ASCII but " \\ %
_NOT_PLAIN = re.compile(r"[^ !#$&-\[\]-~]")
_RFC5987_KEEP = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~")
_RFC5987_TABLE = [chr(i) if i in _RFC5987_KEEP else f"%{i:02X}" for i in range(256)]


def _rfc5987(value: str) -> str:
    # Percent-encode the UTF-8 bytes through a table (the loop runs in C).
    return "".join(map(_RFC5987_TABLE.__getitem__, value.encode("utf-8")))


def content_disposition(filename: str) -> str:
    """``attachment`` with ``filename`` per RFC 6266: an ASCII fallback plus RFC 5987 UTF-8.

    A plain ASCII name travels as ``filename="…"``; any other gets a fallback with ``_`` for
    each character that cannot be sent, and the exact name in ``filename*=UTF-8''…``.
    """
    if _PLAIN_FILENAME.fullmatch(filename):
        return f'attachment; filename="{filename}"'
    fallback = _NOT_PLAIN.sub("_", filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{_rfc5987(filename)}"


@dataclass(frozen=True)
class UploadedPart:
    number: int
    size: int
    etag: str = ""


class ObjectStore(abc.ABC):
    """A bucket-like store of immutable objects addressed by key."""

    scheme: str = ""
    bucket: str = ""

    @abc.abstractmethod
    def put(self, key: str, data: bytes | BinaryIO, content_type: str | None = None) -> ObjectInfo:
        """Store ``data`` under ``key`` (replacing any object there)."""

    @abc.abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the object; the caller closes it."""

    @abc.abstractmethod
    def stat(self, key: str) -> ObjectInfo:
        """Size and metadata of one object."""

    @abc.abstractmethod
    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, in key order."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove an object; removing a missing object is not an error."""

    @abc.abstractmethod
    def presign_get(
        self,
        key: str,
        expires_in: int,
        *,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> str:
        """A URL anyone holding it may GET until it expires (``expires_in`` seconds)."""

    @abc.abstractmethod
    def presign_put(self, key: str, expires_in: int, *, content_type: str | None = None) -> str:
        """A URL to upload one object with a single PUT until it expires."""

    def presign_get_many(
        self,
        keys: builtins.list[tuple[str, str | None]],
        expires_in: int,
        *,
        issued_at: datetime | None = None,
    ) -> builtins.list[str]:
        """Presign many GETs at once, each valid until ``issued_at`` + ``expires_in``.

        Backends override this where batching is faster; ``issued_at`` (whole seconds,
        UTC) lets the caller state the URLs' true expiry.
        """
        return [self.presign_get(k, expires_in, filename=f) for k, f in keys]

    def presign_downloads(
        self,
        prefix: str,
        keys: builtins.list[tuple[str, str | None]],
        expires_in: int,
        *,
        issued_at: datetime | None = None,
    ) -> builtins.list[str]:
        """Presign GETs of ``prefix/key`` for ``(key, quoted)`` pairs, each saved under its
        base name; ``quoted`` is ``storage.sigv4.quote_key(key)``, stored when the object was
        registered (or None). Backends whose URLs carry the encoded key use it as it is."""
        return self.presign_get_many(
            [(f"{prefix}/{k}", k.rpartition("/")[2]) for k, _q in keys],
            expires_in,
            issued_at=issued_at,
        )

    # --- multipart uploads (parts of 5 MiB … 5 GiB, at most 10,000) ----------------------

    @abc.abstractmethod
    def create_multipart(self, key: str, content_type: str | None = None) -> str:
        """Start a multipart upload to ``key``; returns its upload id."""

    def presign_upload_part(
        self, key: str, upload_id: str, part_number: int, expires_in: int
    ) -> str:
        """A URL to PUT part ``part_number`` (1 … 10,000) of an upload."""
        return self.presign_upload_parts(key, upload_id, [part_number], expires_in)[0]

    @abc.abstractmethod
    def presign_upload_parts(
        self, key: str, upload_id: str, part_numbers: builtins.list[int], expires_in: int
    ) -> builtins.list[str]:
        """URLs to PUT each of ``part_numbers`` of an upload, in the order given."""

    @abc.abstractmethod
    def list_parts(self, key: str, upload_id: str) -> builtins.list[UploadedPart]:
        """The parts received so far, by part number (``ObjectNotFound`` if no such upload)."""

    @abc.abstractmethod
    def complete_multipart(self, key: str, upload_id: str) -> ObjectInfo:
        """Assemble every received part, in part-number order, into the object."""

    @abc.abstractmethod
    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Discard an upload and its parts; aborting a finished or unknown one is a no-op."""

    # --- housekeeping ------------------------------------------------------------------

    def move(self, src: str, dst: str, content_type: str | None = None) -> ObjectInfo:
        """Move an object to another key (replacing what is there)."""
        with self.open(src) as fh:
            info = self.put(dst, fh, content_type=content_type)
        self.delete(src)
        return info

    def check_available(self) -> None:
        """Raise ``StorageUnavailable`` when the store cannot be used right now."""
        return None

    def hash_object(self, key: str) -> tuple[int, str]:
        """Read the whole object: its size and SHA-256 (hex)."""
        digest = hashlib.sha256()
        size = 0
        with self.open(key) as fh:
            while chunk := fh.read(HASH_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return size, digest.hexdigest()

    def read_bytes(self, key: str) -> bytes:
        with self.open(key) as fh:
            return fh.read()

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True
