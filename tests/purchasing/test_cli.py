"""``flask --app app budgets grant``, ``teams eliminate`` and ``tick``."""

from __future__ import annotations

from datetime import timedelta

from catalog.db import get_session, utcnow
from tests.purchasing.conftest import audit_actions, balance


def test_budgets_grant_and_clawback(sqlite_demo_app):
    app = sqlite_demo_app
    runner = app.test_cli_runner()
    before = balance(app, "naver")
    res = runner.invoke(args=["budgets", "grant", "naver", "5000", "--memo", "2026 H1"])
    assert res.exit_code == 0, res.output
    assert "granted ₩5,000 to naver" in res.output and f"₩{before + 5000:,}" in res.output
    res = runner.invoke(args=["budgets", "grant", "naver", "-3000"])
    assert res.exit_code == 0, res.output
    assert "clawed back ₩3,000 from naver" in res.output
    assert balance(app, "naver") == before + 2000
    # A claw-back can never take the balance below zero.
    res = runner.invoke(args=["budgets", "grant", "naver", str(-(before + 2001))])
    assert res.exit_code == 1 and "error:" in res.output
    assert balance(app, "naver") == before + 2000
    for bad in (
        ["budgets", "grant", "naver", "0"],
        ["budgets", "grant", "nope", "5"],
        ["budgets", "grant", "naver", "1.5"],
    ):
        res = runner.invoke(args=bad)
        assert res.exit_code != 0, bad
    res = runner.invoke(args=["budgets", "show"])
    assert res.exit_code == 0 and "ledger total (must be 0): 0" in res.output
    assert "naver" in res.output and "lgai" in res.output
    assert audit_actions(app, "ledger_transaction")[-2:] == ["ledger:grant", "ledger:clawback"]


def test_teams_eliminate_prints_what_was_revoked(
    sqlite_demo_app, sqlite_api, sqlite_dataset_factory
):
    app, api = sqlite_demo_app, sqlite_api
    keep = sqlite_dataset_factory(individual=1000, survives=True)
    lose = sqlite_dataset_factory(individual=1000, survives=False)
    for ds in (keep, lose):
        pid = api.buy("lgai-lead", ds).json["id"]
        assert api.act("nikh", pid, "approve").status_code == 200
    runner = app.test_cli_runner()
    res = runner.invoke(args=["teams", "eliminate", "lgai", "--phase", "1"])
    assert res.exit_code == 0, res.output
    assert "team lgai eliminated at phase 1" in res.output
    assert f"({lose['slug']})" in res.output.split("revoked licence")[1].splitlines()[0]
    assert "kept licence" in res.output and keep["slug"] in res.output
    res = runner.invoke(args=["teams", "eliminate", "lgai", "--phase", "1"])
    assert res.exit_code == 1 and "already eliminated" in res.output
    res = runner.invoke(args=["teams", "eliminate", "naver"])
    assert res.exit_code != 0 and "--phase" in res.output


def test_tick_is_idempotent(sqlite_demo_app, sqlite_api, sqlite_dataset_factory):
    from catalog.models.purchases import Purchase

    app, api = sqlite_demo_app, sqlite_api
    ds = sqlite_dataset_factory(window_days=1)
    pid = api.buy("naver-lead", ds, "joint").json["id"]
    runner = app.test_cli_runner()
    res = runner.invoke(args=["tick"])
    assert res.exit_code == 0 and "0 purchase(s) closed" in res.output
    # Move the deadline into the past, as time would.
    with app.app_context():
        session = get_session()
        session.get(Purchase, pid).deadline = utcnow() - timedelta(minutes=1)
        session.commit()
    res = runner.invoke(args=["tick"])
    assert res.exit_code == 0 and f"closed purchase {pid}: failed" in res.output
    res = runner.invoke(args=["tick"])
    assert "0 purchase(s) closed, 0 licence(s) expired" in res.output
    assert audit_actions(app, "purchase", pid) == ["purchase:open", "purchase:close"]
