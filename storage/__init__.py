"""Object storage behind one small interface: a local directory (embedded default) and S3."""

from storage.base import (
    AccessDenied,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StorageUnavailable,
)


def get_store(
    url: str,
    *,
    secret_key: str = "",
    public_base: str = "",
    short_timeout: float | None = None,
    transfer_timeout: float | None = None,
) -> ObjectStore:
    """Return the backend for ``KDC_STORAGE_URL`` (``file://…`` or ``s3://bucket/prefix?…``).

    The timeouts (seconds) apply to S3 (``storage.s3.Timeouts``; its defaults when None).
    """
    from urllib.parse import urlsplit

    scheme = urlsplit(url).scheme
    if scheme == "file":
        from storage.local import LocalStore

        return LocalStore.from_url(url, secret_key=secret_key, public_base=public_base)
    if scheme == "s3":
        from storage.s3 import S3Store, Timeouts

        defaults = Timeouts()
        return S3Store.from_url(
            url,
            Timeouts(
                short=defaults.short if short_timeout is None else short_timeout,
                transfer=defaults.transfer if transfer_timeout is None else transfer_timeout,
            ),
        )
    raise ValueError(f"unknown storage scheme {scheme!r}")


__all__ = [
    "AccessDenied",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "StorageError",
    "StorageUnavailable",
    "get_store",
]
