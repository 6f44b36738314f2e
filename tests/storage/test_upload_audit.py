"""Starting and aborting an upload are audited, without a URL, signature or ticket in the event."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from catalog.db import get_session
from catalog.models.audit import AuditEvent
from tests.conftest import make_token
from tests.storage.conftest import DATASET, PROVIDER

VERSIONS = f"/api/v1/datasets/{DATASET}/versions"


def _events(app, action):
    with app.app_context():
        return list(
            get_session().scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            )
        )


def test_upload_start_and_abort_write_events(sqlite_demo_app):
    app = sqlite_demo_app
    client = app.test_client()
    h = {"Authorization": f"Bearer {make_token(app, PROVIDER)}"}
    assert client.post(VERSIONS, json={"label": "2026.1"}, headers=h).status_code == 201
    data = b"a,b\n1,2\n"
    plan = client.post(
        f"{VERSIONS}/2026.1/uploads",
        json={"key": "t/a.csv", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()},
        headers=h,
    )
    assert plan.status_code == 201
    plan = plan.get_json()
    started = _events(app, "upload:start")
    assert len(started) == 1
    ev = started[0]
    assert ev.actor == PROVIDER and ev.subject_type == "dataset_version"
    assert ev.data["key"] == "t/a.csv" and ev.data["size"] == len(data)
    assert ev.data["version"] == "2026.1" and ev.data["multipart"] is False
    r = client.delete(f"{VERSIONS}/2026.1/uploads/{plan['upload_id']}", headers=h)
    assert r.status_code == 204, r.text
    aborted = _events(app, "upload:abort")
    assert len(aborted) == 1 and aborted[0].data["upload_ref"] == ev.data["upload_ref"]
    for event in started + aborted:
        text = str(event.data)
        assert "signature" not in text and "http" not in text
        assert plan["upload_id"] not in text and plan["url"] not in text
