"""The read API of the catalogue, on both databases."""

from __future__ import annotations

import pytest


def test_search_finds_two_syllable_korean_words(client):
    for q, slug in [("실록", "joseon-annals-original"), ("annals", "joseon-annals-translation")]:
        resp = client.get("/api/v1/datasets", query_string={"q": q})
        assert resp.status_code == 200
        slugs = {d["slug"] for d in resp.json["items"]}
        assert slug in slugs, (q, slugs)


def test_search_terms_are_anded_and_unmatched_query_is_empty(client):
    resp = client.get("/api/v1/datasets", query_string={"q": "실록 번역"})
    assert [d["slug"] for d in resp.json["items"]] == ["joseon-annals-translation"]
    resp = client.get("/api/v1/datasets", query_string={"q": "존재하지않는말"})
    assert resp.json["items"] == [] and resp.json["total"] == 0


def test_dataset_list_has_stable_fields_and_paging(client):
    resp = client.get("/api/v1/datasets", query_string={"limit": 1})
    body = resp.json
    assert body["limit"] == 1 and body["page"] == 1 and body["total"] >= 2
    assert body["next"] and "cursor=" in body["next"]
    item = body["items"][0]
    for field in ("slug", "institution", "title_ko", "title_en", "modality", "offers", "versions"):
        assert field in item
    offer = item["offers"][0]
    assert {"id", "mode", "price_krw", "term_months", "uses"} <= set(offer)
    assert isinstance(offer["price_krw"], int)
    version = item["versions"][0]
    assert {"label", "object_count", "total_bytes"} <= set(version)


def test_filters_and_facets(client):
    resp = client.get(
        "/api/v1/datasets", query_string={"institution": "NIKH", "use": "publish_excerpts"}
    )
    assert resp.status_code == 200
    assert all(d["institution"] == "NIKH" for d in resp.json["items"])
    assert all(
        any("publish_excerpts" in o["uses"] for o in d["offers"]) for d in resp.json["items"]
    )
    facets = resp.json["facets"]
    # The institution facet ignores its own filter, so other institutions still show counts.
    assert facets["institution"]["NIKH"] >= 1


def test_joint_filter_keeps_datasets_with_an_active_joint_offer(client):
    every = client.get("/api/v1/datasets", query_string={"limit": 100}).json["items"]
    joint = client.get("/api/v1/datasets", query_string={"joint": "true", "limit": 100}).json
    expected = {d["slug"] for d in every if any(o["mode"] == "joint" for o in d["offers"])}
    assert {d["slug"] for d in joint["items"]} == expected
    assert 0 < len(expected) < len(every)
    assert client.get("/api/v1/datasets", query_string={"joint": "maybe"}).status_code == 422


def test_dataset_detail_and_unknown_slug(client):
    resp = client.get("/api/v1/datasets/joseon-annals-original")
    assert resp.status_code == 200
    assert resp.json["institution"] == "NIKH"
    assert resp.json["licensed_by"] == []
    resp = client.get("/api/v1/datasets/no-such-thing")
    assert resp.status_code == 404
    assert resp.content_type == "application/problem+json"
    assert resp.json["code"] == "not_found" and resp.json["status"] == 404
    assert "no-such-thing" in resp.json["detail"]


@pytest.mark.parametrize(
    "params, name",
    [
        ({"limit": "0"}, "limit"),
        ({"page": "x"}, "page"),
        ({"modality": "smell"}, "modality"),
        ({"sort": "random"}, "sort"),
        ({"bogus": "1"}, "bogus"),
    ],
)
def test_bad_query_parameters_are_problems_naming_the_parameter(client, params, name):
    resp = client.get("/api/v1/datasets", query_string=params)
    assert resp.status_code in (400, 422)
    assert resp.content_type == "application/problem+json"
    assert name in resp.json["detail"]
    assert name in resp.json["errors"]


def test_institutions(client):
    resp = client.get("/api/v1/institutions")
    codes = {i["code"] for i in resp.json["items"]}
    assert {"NAK", "NIKH", "KOSTAT", "KIPO", "KBS", "MBC", "SBS", "EBS"} <= codes


def test_team_balance_only_for_its_members(client, token_for):
    resp = client.get("/api/v1/teams/naver", headers=token_for("naver-member@kdc.test"))
    assert resp.status_code == 200
    assert resp.json["code"] == "naver" and resp.json["balance_krw"] > 0
    resp = client.get("/api/v1/teams/naver", headers=token_for("upstage-member@kdc.test"))
    assert resp.status_code == 200 and resp.json["balance_krw"] is None
    resp = client.get("/api/v1/teams/naver")
    assert resp.status_code == 401 and resp.json["code"] == "authentication_required"
    resp = client.get("/api/v1/teams/nope", headers=token_for("auditor@kdc.test"))
    assert resp.status_code == 404


def test_openapi_document(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    paths = resp.json["paths"]
    assert "/api/v1/datasets" in paths and "/api/v1/datasets/{slug}" in paths
    assert "bearerAuth" in resp.json["components"]["securitySchemes"]


def test_wrong_method_is_a_problem_with_allow_header(client):
    resp = client.delete("/api/v1/datasets")
    assert resp.status_code == 405
    assert resp.content_type == "application/problem+json"
    assert "GET" in resp.headers["Allow"]
