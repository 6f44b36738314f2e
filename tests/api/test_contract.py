"""The OpenAPI document is a contract a generated client can use as-is: every property
typed, every operation named, public operations marked, the headers scripts read declared."""

from __future__ import annotations

import pytest

from tests.conftest import make_token

COMBINATORS = ("allOf", "anyOf", "oneOf")


def _untyped(node, where: str, spec: dict, out: list[str]) -> None:
    """Collect every schema (property, array item, map value) that says nothing about its type."""
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        return
    if not any(k in node for k in ("type", *COMBINATORS)):
        out.append(where)
        return
    for combinator in COMBINATORS:
        for i, sub in enumerate(node.get(combinator, [])):
            _untyped(sub, f"{where}/{combinator}/{i}", spec, out)
    for name, prop in (node.get("properties") or {}).items():
        _untyped(prop, f"{where}.{name}", spec, out)
    if "items" in node:
        _untyped(node["items"], f"{where}[]", spec, out)
    if node.get("additionalProperties"):  # {}: a free-form JSON object, typed "object"
        _untyped(node["additionalProperties"], f"{where}{{}}", spec, out)


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "delete", "patch"):
                yield path, method, op


@pytest.fixture
def spec(sqlite_demo_app):
    return sqlite_demo_app.test_client().get("/api/v1/openapi.json").json


def test_every_property_has_a_type(spec):
    untyped: list[str] = []
    for name, schema in spec["components"]["schemas"].items():
        _untyped(schema, name, spec, untyped)
    for path, method, op in _operations(spec):
        where = f"{method.upper()} {path}"
        for param in op.get("parameters", []):
            _untyped(param.get("schema", {}), f"{where} {param['name']}", spec, untyped)
        for media in (op.get("requestBody") or {}).get("content", {}).values():
            _untyped(media.get("schema", {"type": "string"}), f"{where} body", spec, untyped)
        for status, resp in op["responses"].items():
            for media_type, media in resp.get("content", {}).items():
                _untyped(media.get("schema", {}), f"{where} {status} {media_type}", spec, untyped)
            for header, decl in resp.get("headers", {}).items():
                _untyped(decl.get("schema", {}), f"{where} {status} {header}", spec, untyped)
    assert not untyped, "untyped: " + ", ".join(untyped)


def test_the_fields_scripts_read_are_named_schemas(spec):
    schemas = spec["components"]["schemas"]
    dataset = schemas["DatasetSummary"]["properties"]
    assert dataset["offers"]["items"] == {"$ref": "#/components/schemas/Offer"}
    assert dataset["versions"]["items"] == {"$ref": "#/components/schemas/VersionSummary"}
    assert dataset["status"] == {"$ref": "#/components/schemas/DatasetStatus"}
    assert dataset["institution"]["type"] == "string"
    purchase = schemas["Purchase"]["properties"]
    assert purchase["participants"]["items"] == {"$ref": "#/components/schemas/Participant"}
    assert purchase["mode"] == {"$ref": "#/components/schemas/OfferMode"}
    assert purchase["status"] == {"$ref": "#/components/schemas/PurchaseStatus"}
    assert purchase["actions"]["items"] == {"$ref": "#/components/schemas/PurchaseAction"}
    assert purchase["min_teams"] == {"type": "integer", "nullable": True}
    licence = schemas["License"]["properties"]
    assert licence["terms"] == {
        "$ref": "#/components/schemas/LicenceTerms",
        "description": "Frozen copy of the offer's terms",
    } or licence["terms"]["allOf"] == [{"$ref": "#/components/schemas/LicenceTerms"}]
    assert licence["usage"]["allOf"] == [{"$ref": "#/components/schemas/Usage"}]
    # A nullable enum is the same named enum, wrapped once: no second class of it.
    assert licence["attestation"]["allOf"] == [{"$ref": "#/components/schemas/AttestationState"}]
    assert licence["attestation"]["nullable"] is True
    assert schemas["OfferMode"] == {"type": "string", "enum": ["individual", "joint"]}


def test_every_operation_is_named_and_public_ones_say_so(spec):
    ids = []
    for path, method, op in _operations(spec):
        where = f"{method.upper()} {path}"
        assert op.get("operationId"), f"{where} has no operationId"
        ids.append(op["operationId"])
        assert op["operationId"][0].islower() and "_" not in op["operationId"], where
        assert "security" in op, where
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    public = {op["operationId"] for _path, _method, op in _operations(spec) if op["security"] == []}
    assert public == {"listDatasets", "getDataset", "listInstitutions", "getAuditPublicKey"}


def test_headers_scripts_read_are_declared(spec):
    paths = spec["paths"]
    created = paths["/api/v1/purchases"]["post"]["responses"]["201"]
    assert created["headers"]["Location"]["required"] is True
    assert "Idempotent-Replayed" in created["headers"]
    assert created["links"]["approve"]["operationId"] == "approvePurchase"
    redirect = paths["/api/v1/datasets/{slug}/files/{key}"]["get"]["responses"]["302"]
    assert {"Location", "X-Expires-At"} <= set(redirect["headers"])
    tokens = paths["/api/v1/tokens"]["post"]["responses"]
    assert {"RateLimit", "RateLimit-Policy"} <= set(tokens["201"]["headers"])
    assert tokens["429"]["headers"]["Retry-After"]["required"] is True
    assert "ETag" in paths["/api/v1/datasets"]["get"]["responses"]["200"]["headers"]
    for path, method, op in _operations(spec):
        for status, resp in op["responses"].items():
            if status == "201":
                assert "Location" in resp["headers"], f"{method} {path}"
            if status == "503":
                assert "Retry-After" in resp["headers"], f"{method} {path}"
    export = paths["/api/v1/audit/export"]["get"]["responses"]["200"]["content"]
    assert export["application/x-ndjson"]["schema"]["type"] == "string"


def test_problems_name_a_page_of_this_service(sqlite_demo_app):
    client = sqlite_demo_app.test_client()
    problem = client.get("/api/v1/purchases").json
    assert problem["code"] == "authentication_required"
    assert problem["type"] == "http://localhost/problems/authentication_required"
    assert problem["title"] == "Unauthorized"
    page = client.get("/problems/authentication_required")
    assert page.status_code == 200 and "authentication_required" in page.text
    assert client.get("/problems/no_such_code").status_code == 404
    # Two ways to a 404 carry the same title.
    assert client.get("/api/v1/datasets/nope").json["title"] == "Not Found"
    assert client.get("/api/v1/nothing-here").json["title"] == "Not Found"


def test_problem_table_is_the_one_in_the_docs():
    from pathlib import Path

    from catalog import problems

    doc = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    assert problems.markdown_table() in doc


def test_bodies_are_json_and_request_lines_bounded(sqlite_demo_app):
    client = sqlite_demo_app.test_client()
    token = make_token(sqlite_demo_app, "naver-lead@kdc.test")
    auth = {"Authorization": f"Bearer {token}"}
    resp = client.post(
        "/api/v1/tokens",
        data="name=x",
        headers=auth,
        content_type="application/x-www-form-urlencoded",
    )
    assert resp.status_code == 415 and resp.json["code"] == "unsupported_media_type"
    resp = client.get("/api/v1/datasets?q=" + "가" * 3000)
    assert resp.status_code == 414 and resp.json["code"] == "uri_too_long"
    assert resp.content_type == "application/problem+json"


def test_token_creation_announces_its_limit(sqlite_demo_app):
    sqlite_demo_app.config["RATE_LIMIT_TOKEN_CREATE"] = (2, 3600)
    client = sqlite_demo_app.test_client()
    auth = {"Authorization": f"Bearer {make_token(sqlite_demo_app, 'naver-lead@kdc.test')}"}
    first = client.post("/api/v1/tokens", json={}, headers=auth)
    assert first.status_code == 201
    assert first.headers["RateLimit-Policy"] == '"token-create";q=2;w=3600'
    assert first.headers["RateLimit"].startswith('"token-create";r=1;t=')
    assert first.headers["Location"] == f"/api/v1/tokens/{first.json['id']}"
    second = client.post("/api/v1/tokens", json={}, headers=auth)
    assert second.headers["RateLimit"].startswith('"token-create";r=0;')
    third = client.post("/api/v1/tokens", json={}, headers=auth)
    assert third.status_code == 429 and int(third.headers["Retry-After"]) >= 1


def test_booleans_and_keys_are_what_the_document_says(sqlite_demo_app):
    client = sqlite_demo_app.test_client()
    auth = {"Authorization": f"Bearer {make_token(sqlite_demo_app, 'naver-lead@kdc.test')}"}
    resp = client.post(
        "/api/v1/purchases",
        json={"dataset": "x", "offer": 1},
        headers={**auth, "Idempotency-Key": ""},
    )
    assert resp.status_code == 422 and resp.json["code"] == "invalid_idempotency_key"
    kbs = {"Authorization": f"Bearer {make_token(sqlite_demo_app, 'kbs@kdc.test')}"}
    body = {"key": "a.txt", "size": 1, "sha256": "0" * 64, "multipart": 0}
    resp = client.post(
        "/api/v1/datasets/kbs-news-speech/versions/v9/uploads", json=body, headers=kbs
    )
    assert resp.status_code == 422 and "multipart" in resp.json["errors"]
