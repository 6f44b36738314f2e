"""A client generated with openapi-python-client from the live OpenAPI document runs the
whole journey of a team: search, request, confirm, approve, accept the terms, read the
manifest, download and check every file's SHA-256 — and its models are typed.

The generator reads the document a live server serves (not the app's internal copy), into
a temporary directory; one configuration line maps the audit export's JSON Lines to text.
"""

from __future__ import annotations

import hashlib
import importlib
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from tests.conftest import make_token

CONFIG = "content_type_overrides:\n  application/x-ndjson: text/plain\npost_hooks: []\n"


def generate(url: str, where: Path):
    doc = where / "openapi.json"
    doc.write_bytes(httpx.get(url + "/api/v1/openapi.json", timeout=10).content)
    (where / "config.yml").write_text(CONFIG)
    tool = Path(sys.executable).parent / "openapi-python-client"
    out = subprocess.run(
        [
            str(tool),
            "generate",
            "--path",
            str(doc),
            "--output-path",
            str(where / "kdcgen"),
            "--meta",
            "none",
            "--config",
            str(where / "config.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    # Nothing the generator had to leave out (it says why on standard output).
    assert "WARNING parsing" not in out.stdout, out.stdout
    sys.path.insert(0, str(where))
    try:
        return importlib.import_module("kdcgen")
    finally:
        sys.path.remove(str(where))


def annotation(model, name: str) -> str:
    return str(model.__annotations__[name])


def test_generated_client_runs_the_journey(live_server, tmp_path):
    gen = generate(live_server.url, tmp_path)
    from kdcgen import AuthenticatedClient, Client, models  # noqa: PLC0415 - generated now
    from kdcgen.api.datasets import list_datasets
    from kdcgen.api.licenses import accept_license_terms, get_license_text, list_licenses
    from kdcgen.api.manifest import get_manifest
    from kdcgen.api.purchases import approve_purchase, confirm_purchase, create_purchase

    assert gen.__name__ == "kdcgen"
    # What a script reads is typed: no Any.
    for model, fields in {
        models.DatasetSummary: ["offers", "versions", "institution", "status"],
        models.Purchase: ["participants", "actions", "status", "mode", "opener_team"],
        models.License: ["status", "team", "dataset", "terms", "usage"],
        models.Offer: ["mode", "uses", "price_krw"],
        models.Participant: ["team", "share_krw", "confirmed"],
    }.items():
        for name in fields:
            assert "Any" not in annotation(model, name), (model.__name__, name)
    assert "list[Offer]" in annotation(models.DatasetSummary, "offers")
    assert "list[Participant]" in annotation(models.Purchase, "participants")
    assert "LicenceTerms" in annotation(models.License, "terms")
    # Members always present are required: no `Unset` to test for.
    assert annotation(models.Purchase, "participants") == "list[Participant]"
    assert annotation(models.Purchase, "status") == "PurchaseStatus"
    assert annotation(models.Purchase, "min_teams") == "int | None"

    app, base = live_server.app, live_server.url
    public = Client(base_url=base)
    found = list_datasets.sync(client=public, q="실록")
    dataset = next(d for d in found.items if d.slug == "joseon-annals-original")
    assert dataset.status == models.DatasetStatus.PUBLISHED
    offer = next(o for o in dataset.offers if o.mode == models.OfferMode.INDIVIDUAL)

    def as_user(email: str):
        return AuthenticatedClient(base_url=base, token=make_token(app, email))

    member, lead = as_user("naver-member@kdc.test"), as_user("naver-lead@kdc.test")
    provider = as_user(f"{dataset.institution.lower()}@kdc.test")

    purchase = create_purchase.sync(
        client=member,
        body=models.PurchaseCreate(dataset=dataset.slug, offer=offer.id),
        idempotency_key=str(uuid.uuid4()),
    )
    assert isinstance(purchase, models.Purchase), purchase
    assert [p.team for p in purchase.participants] == ["naver"]
    assert purchase.participants[0].confirmed is False
    purchase = confirm_purchase.sync(purchase.id, client=lead, body=models.Empty())
    assert purchase.participants[0].confirmed is True
    purchase = approve_purchase.sync(purchase.id, client=provider, body=models.Decision())
    assert purchase.status == models.PurchaseStatus.APPROVED and purchase.shares_final

    licences = list_licenses.sync(client=lead, dataset=dataset.slug)
    licence = licences.items[0]
    assert licence.status == models.LicenseStatus.ACTIVE and licence.team == "naver"
    assert licence.terms.offer_id == offer.id
    text = get_license_text.sync(licence.id, client=lead)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    accepted = accept_license_terms.sync(
        licence.id, client=lead, body=models.AcceptTerms(text_sha256=sha)
    )
    assert accepted.terms_accepted_at is not None

    manifest = get_manifest.sync(dataset.slug, client=member)
    assert isinstance(manifest, models.ManifestPage), manifest
    assert manifest.objects
    for obj in manifest.objects:
        data = httpx.get(obj.url, timeout=10).content
        assert hashlib.sha256(data).hexdigest() == obj.sha256, obj.key
