"""``flask --app app storage …``: register existing bucket prefixes as versions, check the store.

flask --app app storage sync DATASET VERSION s3://bucket/prefix [--publish]
flask --app app storage sync DATASET VERSION file:///path/inside/the/store [--publish]
flask --app app storage check
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import click
from flask import current_app
from flask.cli import AppGroup

from catalog.db import get_session
from catalog.errors import DomainError
from catalog.services.bucket_sync import sync_version
from catalog.services.context import Actor
from catalog.services.versions import storage_errors
from storage.base import ObjectStore
from storage.local import LocalStore

storage_cli = AppGroup(
    "storage", help="Object storage: sync a prefix as a version, check the store."
)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def resolve_location(store: ObjectStore, url: str) -> tuple[ObjectStore, str]:
    """The store and key prefix a sync URL names, relative to the configured store."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if not isinstance(store, LocalStore):
            raise click.UsageError("file:// needs KDC_STORAGE_URL to be a file:// store")
        path = Path(unquote(parts.netloc + parts.path)).resolve()
        root = store.root.resolve()
        if not path.is_relative_to(root) or path == root:
            raise click.UsageError(f"{path} is not a directory inside the store {root}")
        return store, path.relative_to(root).as_posix()
    if parts.scheme == "s3":
        if store.scheme != "s3":
            raise click.UsageError("s3:// needs KDC_STORAGE_URL to be an s3:// store")
        bucket, prefix = parts.netloc, unquote(parts.path).strip("/")
        if not bucket or not prefix:
            raise click.UsageError("give a bucket and a prefix: s3://bucket/prefix")
        if bucket == store.bucket and store.prefix:  # type: ignore[attr-defined]
            base = store.prefix + "/"  # type: ignore[attr-defined]
            if not prefix.startswith(base):
                raise click.UsageError(
                    f"in bucket {bucket} the catalogue uses only keys under {base}"
                )
            return store, prefix[len(base) :]
        return store.for_bucket(bucket), prefix  # type: ignore[attr-defined]
    raise click.UsageError("the location must be s3://bucket/prefix or file:///path")


@storage_cli.command("sync")
@click.argument("dataset")
@click.argument("version")
@click.argument("location")
@click.option("--publish", is_flag=True, help="Publish the version at once (freezes it).")
@click.option("--notes", default="", help="Release notes of the version.")
@click.option(
    "--workers",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Objects read in parallel to compute SHA-256.",
)
def storage_sync(
    dataset: str, version: str, location: str, publish: bool, notes: str, workers: int
) -> None:
    """Register every object under LOCATION as VERSION of DATASET.

    Each object is read once to compute its SHA-256; the manifest is written in one
    transaction, so an interrupted sync leaves nothing behind.
    """
    store, prefix = resolve_location(current_app.extensions["kdc_store"], location)
    last = [0]

    def progress(done: int, total: int) -> None:
        if done == total or done - last[0] >= 1000:
            last[0] = done
            click.echo(f"  hashed {done}/{total}", err=True)

    try:
        result = sync_version(
            get_session(),
            Actor.system("cli"),
            store,
            dataset,
            version,
            prefix,
            publish=publish,
            release_notes=notes,
            workers=workers,
            progress=progress,
        )
    except DomainError as exc:
        _fail(exc.detail)
    state = "published" if publish else "draft"
    click.echo(
        f"{dataset} {version}: {result.object_count} objects, {result.total_bytes} bytes "
        f"registered ({state})"
    )


@storage_cli.command("check")
def storage_check() -> None:
    """Check that the configured object store answers."""
    store = current_app.extensions["kdc_store"]
    try:
        with storage_errors():
            store.check_available()
    except DomainError as exc:
        _fail(exc.detail)
    click.echo(f"object store ok ({store.scheme}: {store.bucket})")
