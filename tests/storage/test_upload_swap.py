"""An upload URL that is still valid cannot swap the bytes between the completion's check and
the publication: what is published is what was hashed (local store and S3 on moto)."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import select

from catalog.db import get_session
from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion
from catalog.services.versions import full_key
from tests.storage.conftest import DATASET, PROVIDER, Blob, new_version, upload

GOOD = Blob("swap/data.csv", b"id,value\n" + b"1,honest\n" * 500)
EVIL = b"id,value\n" + b"1,swapped\n"[:9] * 500  # the same size as GOOD
assert len(EVIL) == len(GOOD.data) and EVIL != GOOD.data


def test_a_put_after_the_hash_is_never_published(served, monkeypatch):
    label = new_version(served)
    plan = upload(served, label, GOOD, complete=False)
    store = served.app.extensions["kdc_store"]
    hashed = store.hash_object
    swaps = []

    def hash_then_swap(key):
        result = hashed(key)
        # The attacker's PUT lands right after the bytes were checked.
        swaps.append(httpx.put(plan["url"], content=EVIL, timeout=30).status_code)
        return result

    monkeypatch.setattr(store, "hash_object", hash_then_swap)
    base = f"/api/v1/datasets/{DATASET}/versions/{label}/uploads/{plan['upload_id']}"
    done = served.as_user(PROVIDER, "POST", base + "/complete")
    assert done.status_code == 201, done.text
    assert swaps == [200]  # the URL was still good, and the PUT was accepted
    monkeypatch.undo()
    with served.app.app_context():
        s = get_session()
        version = s.scalar(
            select(DatasetVersion)
            .join(Dataset, Dataset.id == DatasetVersion.dataset_id)
            .where(Dataset.slug == DATASET, DatasetVersion.label == label)
        )
        row = s.scalar(select(DatasetObject).where(DatasetObject.version_id == version.id))
        target = full_key(version, GOOD.key)
    published = store.read_bytes(target)
    assert hashlib.sha256(published).hexdigest() == row.sha256 == GOOD.sha256
    assert published == GOOD.data
    # Nothing the attacker sent stays behind in the store's internal area either.
    staging = (
        "/".join(plan["url"].split("?")[0].split("/")[-2:]) if store.scheme == "file" else None
    )
    if staging:
        assert not store.exists(staging)
