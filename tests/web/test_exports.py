"""Machine-readable cards: Croissant 1.1 per dataset (checked by mlcroissant) and the
DCAT-AP 3 catalogue (parsed with rdflib), as JSON-LD and Turtle."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF

SPEECH = "ebs-children-speech"
ANNALS = "joseon-annals-original"
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")


@pytest.fixture
def web(sqlite_demo_app):
    return sqlite_demo_app.test_client()


def test_dataset_page_links_its_croissant(web):
    body = web.get(f"/datasets/{SPEECH}").get_data(as_text=True)
    assert re.search(
        rf'<link rel="alternate" type="application/ld\+json" title="Croissant" '
        rf'href="/datasets/{SPEECH}/croissant.json">',
        body,
    )


def test_croissant_is_valid_and_describes_every_file(web):
    import mlcroissant as mlc

    resp = web.get(f"/datasets/{SPEECH}/croissant.json")
    assert resp.status_code == 200
    assert resp.content_type == "application/ld+json"
    doc = resp.json
    meta = mlc.Metadata.from_json(mlc.Context(), doc)  # raises on validation errors
    assert not meta.ctx.issues.errors, meta.ctx.issues.report()
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    files = {f["name"]: f for f in doc["distribution"]}
    assert set(files) == {
        "README.txt",
        "audio/C0001_001.wav",
        "audio/C0002_001.wav",
        "speakers.csv",
        "transcripts.tsv",
    }
    assert all(re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) for f in files.values())
    assert "/preview/" in files["speakers.csv"]["contentUrl"]
    assert "/preview/" not in files["audio/C0002_001.wav"]["contentUrl"]
    assert doc["license"] == "https://www.kogl.or.kr/info/licenseType4.do"
    assert "re-identify" in doc["rai:personalSensitiveInformation"]
    assert doc["rai:dataUseCases"] and doc["rai:dataLimitations"]
    record_sets = {rs["name"] for rs in doc["recordSet"]}
    assert {"preview/speakers.csv", "preview/transcripts.tsv"} <= record_sets


def test_every_demo_dataset_has_a_valid_croissant_and_a_page(web):
    import mlcroissant as mlc

    from catalog.demo import data

    for spec in data.DATASETS:
        slug = spec["slug"]
        assert web.get(f"/datasets/{slug}").status_code == 200, slug
        doc = web.get(f"/datasets/{slug}/croissant.json").json
        meta = mlc.Metadata.from_json(mlc.Context(), doc)
        assert not meta.ctx.issues.errors, (slug, meta.ctx.issues.report())
        assert len(doc["distribution"]) == len(spec["files"]), slug


def test_croissant_preview_records_read_through_mlcroissant(live_server, tmp_path, monkeypatch):
    import mlcroissant as mlc

    monkeypatch.setenv("CROISSANT_CACHE", str(tmp_path / "cache"))
    doc = httpx.get(f"{live_server.url}/datasets/{SPEECH}/croissant.json").json()
    # Links use the service's configured public address; this server listens elsewhere.
    for f in doc["distribution"]:
        f["contentUrl"] = re.sub(r"^https?://[^/]+", live_server.url, f["contentUrl"])
    dataset = mlc.Dataset(jsonld=doc)
    records = list(dataset.records(record_set="preview/speakers.csv"))
    assert len(records) == 2
    first = records[0]
    assert first["preview/speakers.csv/speaker"] == b"C0001"
    assert first["preview/speakers.csv/region"].decode() == "수도권"


def _graph(web, path: str, fmt: str) -> Graph:
    resp = web.get(path)
    assert resp.status_code == 200
    graph = Graph()
    data = resp.get_data(as_text=True)
    graph.parse(data=data, format=fmt)
    return graph


@pytest.mark.parametrize(
    ("path", "fmt", "ctype"),
    [
        ("/catalog.jsonld", "json-ld", "application/ld+json"),
        ("/catalog.ttl", "turtle", "text/turtle"),
    ],
)
def test_dcat_catalogue_has_dcat_ap_mandatory_properties(web, path, fmt, ctype):
    assert web.get(path).content_type.startswith(ctype)
    g = _graph(web, path, fmt)
    catalogues = list(g.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogues) == 1
    cat = catalogues[0]
    # dcat:Catalog: dct:title, dct:description, dct:publisher (mandatory in DCAT-AP 3).
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher):
        assert g.value(cat, prop) is not None, prop
    datasets = set(g.objects(cat, DCAT.dataset))
    from catalog.demo import data

    assert len(datasets) == len(data.DATASETS)
    assert set(g.subjects(RDF.type, DCAT.Dataset)) == datasets
    for ds in datasets:
        # dcat:Dataset: dct:title and dct:description (mandatory), in Korean and English.
        assert {t.language for t in g.objects(ds, DCTERMS.title)} == {"ko", "en"}
        assert {t.language for t in g.objects(ds, DCTERMS.description)} == {"ko", "en"}
        publisher = g.value(ds, DCTERMS.publisher)
        assert (publisher, RDF.type, FOAF.Agent) in g
        assert g.value(publisher, FOAF.name) is not None  # foaf:name is mandatory
        policies = list(g.objects(ds, ODRL.hasPolicy))
        assert policies and all(str(p).endswith("/policy.jsonld") for p in policies)
        for dist in g.objects(ds, DCAT.distribution):
            assert (dist, RDF.type, DCAT.Distribution) in g
            assert g.value(dist, DCAT.accessURL) is not None  # mandatory
    speech = URIRef(next(str(d) for d in datasets if SPEECH in str(d)))
    inst = g.value(speech, DCTERMS.publisher)
    assert "한국교육방송공사" in {str(n) for n in g.objects(inst, FOAF.name)}


def test_offer_policies_linked_from_dcat_resolve(web):
    doc = web.get("/catalog.jsonld").json
    node = next(n for n in doc["@graph"] if n["@id"].endswith(f"/datasets/{ANNALS}#dataset"))
    for link in node["odrl:hasPolicy"]:
        path = re.sub(r"^https?://[^/]+", "", link["@id"])
        policy = web.get(path)
        assert policy.status_code == 200
        offer = json.loads(policy.get_data(as_text=True))
        assert offer["type"] == "Offer"
        assert offer["uid"].endswith(path)
