"""The auditor's web console through the Flask test client (SQLite demo catalogue plus
realistic purchases): pages, filters, charts, exports, one-click verify, and who may see."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from sqlalchemy import text

from catalog.db import get_session
from tests.audit.conftest import login


def page(resp) -> str:
    assert resp.content_type.startswith("text/html"), resp.content_type
    return html.unescape(resp.get_data(as_text=True))


def rows(body: str) -> list[str]:
    tbody = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [r for r in re.findall(r"<tr.*?</tr>", tbody, re.S) if 'class="empty"' not in r]


@pytest.mark.parametrize("who", ["naver-lead@kdc.test", "naver-member@kdc.test", "nikh@kdc.test"])
def test_non_auditors_get_403_on_every_page(sqlite_demo_app, who):
    client = login(sqlite_demo_app.test_client(), who)
    for path in [
        "/auditor/",
        "/auditor/purchases",
        "/auditor/purchases.csv",
        "/auditor/teams",
        "/auditor/access",
        "/auditor/ledger",
        "/auditor/events",
        "/auditor/chain",
        "/auditor/chain/export.jsonl",
    ]:
        assert client.get(path).status_code == 403, path
    assert client.post("/auditor/chain/verify").status_code == 403


def test_anonymous_visitors_are_sent_to_login(sqlite_demo_app):
    resp = sqlite_demo_app.test_client().get("/auditor/purchases")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_admin_may_view(sqlite_demo_app, sqlite_scenario):
    client = login(sqlite_demo_app.test_client(), "admin@kdc.test")
    assert client.get("/auditor/purchases").status_code == 200


def test_purchase_ledger_lists_modes_participants_shares_and_approvals(
    auditor_web, sqlite_scenario
):
    body = page(auditor_web.get("/auditor/purchases"))
    assert len(rows(body)) == 5
    joint = next(r for r in rows(body) if "joseon-annals-original" in r)
    assert "Joint" in joint or "공동" in joint
    for team in ("naver", "skt", "lgai"):
        assert f"{team}: ₩200,000,000" in html.unescape(joint)
    assert "nikh@kdc.test" in joint  # the provider who approved
    assert "naver-lead@kdc.test" in joint  # a lead's confirmation
    # The open joint purchase shows a preview share, not a charge.
    open_row = next(r for r in rows(body) if "mbc-drama-scripts" in r)
    assert "₩1,300,000,000" in html.unescape(open_row)


@pytest.mark.parametrize(
    "query,expected",
    [
        ("mode=joint", {"joseon-annals-original", "kbs-news-speech", "mbc-drama-scripts"}),
        ("mode=individual", {"census-microdata", "patent-full-texts"}),
        ("team=naver", {"joseon-annals-original", "census-microdata"}),
        ("institution=KIPO", {"patent-full-texts"}),
        ("dataset=kbs-news-speech", {"kbs-news-speech"}),
        ("status=rejected", {"patent-full-texts"}),
        ("team=skt&mode=joint&status=approved", {"joseon-annals-original"}),
        ("date_from=2000-01-01&date_to=2000-12-31", set()),
    ],
)
def test_purchase_ledger_filters(auditor_web, query, expected):
    body = page(auditor_web.get("/auditor/purchases?" + query))
    found = {m for r in rows(body) for m in re.findall(r'/datasets/([a-z0-9-]+)"', r)}
    assert found == expected


def test_bad_filters_are_a_400_with_the_reason(auditor_web):
    resp = auditor_web.get("/auditor/purchases?mode=sideways&date_from=yesterday")
    assert resp.status_code == 400
    body = page(resp)
    assert "mode" in body and "date_from" in body
    assert not rows(body)
    assert (
        auditor_web.get("/auditor/purchases?date_from=2026-02-01&date_to=2026-01-01").status_code
        == 400
    )
    assert auditor_web.get("/auditor/purchases?colour=red").status_code == 400
    assert auditor_web.get("/auditor/purchases.csv?mode=sideways").status_code == 400
    assert auditor_web.get("/auditor/purchases.xml").status_code == 404
    assert auditor_web.get("/auditor/access?page=0").status_code == 400


def test_exports_of_a_filtered_view_as_csv_and_json_lines(auditor_web):
    resp = auditor_web.get("/auditor/purchases.csv?mode=joint&status=approved")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert {r["dataset"] for r in table} == {"joseon-annals-original", "kbs-news-speech"}
    joseon = next(r for r in table if r["dataset"] == "joseon-annals-original")
    assert joseon["participants"] == "naver=200000000; skt=200000000; lgai=200000000"
    assert joseon["decided_by"] == "nikh@kdc.test"

    resp = auditor_web.get("/auditor/purchases.jsonl?team=naver")
    assert resp.mimetype == "application/x-ndjson"
    items = [json.loads(line) for line in resp.get_data(as_text=True).splitlines()]
    assert {i["dataset"] for i in items} == {"joseon-annals-original", "census-microdata"}
    assert all(isinstance(i["participants"], list) for i in items)

    resp = auditor_web.get("/auditor/access.csv?team=naver")
    table = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(int(r["object_count"]) for r in table) == [4, 7]
    assert {r["user"] for r in table} == {"naver-member@kdc.test"}

    for path in [
        "/auditor/teams.csv",
        "/auditor/teams.jsonl",
        "/auditor/institutions.csv",
        "/auditor/ledger.jsonl?kind=purchase",
        "/auditor/events.csv?action=purchase:",
    ]:
        resp = auditor_web.get(path)
        assert resp.status_code == 200 and resp.get_data(), path


def test_csv_cells_cannot_smuggle_spreadsheet_formulas(auditor_web, sqlite_demo_app):
    with sqlite_demo_app.app_context():
        s = get_session()
        s.execute(
            text(
                "UPDATE purchases SET decision_note = '=HYPERLINK(\"x\")' WHERE status = 'rejected'"
            )
        )
        s.commit()
    resp = auditor_web.get("/auditor/purchases.csv?status=rejected")
    table = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0]["decision_note"] == '\'=HYPERLINK("x")'


def test_joint_vs_individual_by_team_with_svg_charts(auditor_web):
    resp = auditor_web.get("/auditor/teams")
    body = page(resp)
    assert resp.status_code == 200
    assert body.count("<svg") >= 2 and 'class="bar bar-joint"' in body
    assert "style=" not in body.split("<main", 1)[1]  # the CSP forbids inline styles
    table = body.split('<table class="audit-table">', 1)[1].split("</table>", 1)[0]
    naver = next(r for r in re.findall(r"<tr>.*?</tr>", table, re.S) if ">naver<" in r)
    assert "joseon-annals-original" in naver and "census-microdata" in naver
    assert "₩200,000,000" in naver and "₩180,000,000" in naver  # joint share, individual
    teams = json.loads(
        "["
        + ",".join(auditor_web.get("/auditor/teams.jsonl").get_data(as_text=True).splitlines())
        + "]"
    )
    by = {t["team"]: t for t in teams}
    assert by["naver"]["joint_datasets"] == ["joseon-annals-original"]
    assert by["naver"]["individual_datasets"] == ["census-microdata"]
    assert by["naver"]["paid_joint_krw"] == 200_000_000
    assert by["upstage"]["paid_joint_krw"] == 900_000_000
    assert by["naver"]["remaining_krw"] == by["naver"]["granted_krw"] - 380_000_000
    insts = [
        json.loads(line)
        for line in auditor_web.get("/auditor/institutions.jsonl")
        .get_data(as_text=True)
        .splitlines()
    ]
    revenue = {i["institution"]: i["revenue_krw"] for i in insts}
    assert revenue["NIKH"] == 600_000_000 and revenue["KBS"] == 1_800_000_000
    assert revenue["KIPO"] == 0
    # The bars are proportional to the amounts.
    widths = {
        name: int(w)
        for w, name in re.findall(
            r'width="(\d+)" height="\d+" class="bar bar-revenue"><title>([A-Z]+):', body
        )
    }
    assert abs(widths["KBS"] - 3 * widths["NIKH"]) <= 2 and widths["KIPO"] == 0


def test_access_log_and_ledger_pages(auditor_web):
    body = page(auditor_web.get("/auditor/access?dataset=joseon-annals-original"))
    assert len(rows(body)) == 2
    assert "skt-member@kdc.test" in body and "192.0.2.7" in body
    body = page(auditor_web.get("/auditor/ledger?kind=purchase&account=naver"))
    assert len(rows(body)) == 2
    assert "team:naver" in body and "institution:NIKH" in body


def test_event_log_filters_by_action_prefix(auditor_web):
    body = page(auditor_web.get("/auditor/events?action=purchase:approve"))
    assert len(rows(body)) == 3
    body = page(auditor_web.get("/auditor/events?action=access:"))
    assert len(rows(body)) == 3


def test_chain_status_one_click_verify_and_export(auditor_web, sqlite_demo_app, tmp_path):
    body = page(auditor_web.get("/auditor/chain"))
    assert "never" in body or "없음" in body or "Last verification" in body
    resp = auditor_web.post("/auditor/chain/verify", follow_redirects=True)
    body = page(resp)
    assert "events valid" in body or "유효" in body
    assert "audit:verify" not in body  # the flash speaks English, not event names
    assert re.search(r"\d+/\d+ events valid", body)

    resp = auditor_web.get("/auditor/chain/export.jsonl")
    assert resp.mimetype == "application/x-ndjson"
    path = tmp_path / "chain.jsonl"
    path.write_bytes(resp.get_data())
    from auditchain import verify_export

    result = verify_export(str(path))
    assert result.ok and result.valid_events > 100

    # Tamper with the database behind the app's back: the one-click verify says so.
    with sqlite_demo_app.app_context():
        s = get_session()
        s.execute(text("DROP TRIGGER audit_events_no_update"))  # as one with the file could
        s.execute(
            text(
                "UPDATE audit_events SET data = '{\"price_krw\": 1}' "
                "WHERE action = 'purchase:approve'"
            )
        )
        s.commit()
        seq = s.execute(
            text("SELECT min(seq) FROM audit_events WHERE action = 'purchase:approve'")
        ).scalar()
    body = page(auditor_web.post("/auditor/chain/verify", follow_redirects=True))
    assert f"first problem at event {seq} (edited)" in body
    body = page(auditor_web.get("/auditor/chain"))
    assert "INVALID" in body
