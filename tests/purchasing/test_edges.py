"""Odd input at the edges: huge ids, huge pages, broken JSON — 4xx problems, never a 500."""


def test_out_of_range_ids_and_broken_bodies(api):
    for path in [
        "/api/v1/purchases/99999999999999999999",
        "/api/v1/purchases/2147483648",
        "/api/v1/purchases/0",
    ]:
        r = api.get("admin", path)
        assert r.status_code == 404
        r = api.post("admin", path + "/approve", {})
        assert r.status_code == 404
    r = api.post("admin", "/api/v1/licenses/99999999999999999999/revoke", {})
    assert r.status_code == 404, r.json
    r = api.get("admin", "/api/v1/purchases", query_string={"page": 1000000, "limit": 100})
    assert r.status_code == 200, r.json
    r = api.post("naver-lead", "/api/v1/purchases", {"dataset": "x", "offer": 99999999999999999999})
    assert r.status_code in (404, 422)
    r = api.post("admin", "/api/v1/teams/naver/eliminate", {"phase": 99999999999999999999})
    assert r.status_code == 422
    r = api.client.post(
        "/api/v1/purchases",
        data="not json",
        headers={**api.headers("naver-lead"), "Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422)


def test_actions_need_no_body(sqlite_api, sqlite_dataset_factory):
    api = sqlite_api
    pid = api.buy("naver-lead", sqlite_dataset_factory(), "joint").json["id"]
    for who, action in [("skt-lead", "join"), ("naver-lead", "close"), ("nikh", "approve")]:
        r = api.client.post(f"/api/v1/purchases/{pid}/{action}", headers=api.headers(who))
        assert r.status_code == 200, (action, r.json)
    assert r.json["status"] == "approved"
