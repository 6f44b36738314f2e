"""The storage interface every backend implements, and its errors.

Keys are ``/``-separated relative paths within the store's prefix. A backend never
raises its own library's exceptions: missing objects are ``ObjectNotFound`` (also a
``FileNotFoundError``), refusals ``AccessDenied``, outages ``StorageUnavailable``.
"""

from __future__ import annotations

import abc
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
        self, keys: list[tuple[str, str | None]], expires_in: int
    ) -> list[str]:
        """Presign many GETs at once; backends override this where batching is faster."""
        return [self.presign_get(k, expires_in, filename=f) for k, f in keys]

    def read_bytes(self, key: str) -> bytes:
        with self.open(key) as fh:
            return fh.read()

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True
