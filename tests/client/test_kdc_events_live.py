"""``kdc whoami`` and ``kdc events`` (with ``--follow``) against a real server process."""

from __future__ import annotations

import json
import queue
import threading

from catalog.db import get_session
from catalog.services import ledger
from catalog.services.context import Actor


def grant(app, team: str, amount: int) -> None:
    with app.app_context():
        ledger.grant_budget(get_session(), Actor.system("test"), team, amount)


def test_whoami_human_and_json(kdc):
    lead = kdc.as_("naver-lead")
    res = lead.run("whoami")
    assert res.code == 0, res.err
    assert "naver-lead@kdc.test" in res.out and "team_lead" in res.out and "team naver" in res.out
    me = lead.run("whoami", "--json").json()
    assert me["role"] == "team_lead" and me["team"]["code"] == "naver"
    assert lead.token.startswith(me["token"]["prefix"])
    ids = [t["id"] for t in lead.run("tokens", "list", "--json").json()["items"]]
    assert me["token"]["id"] in ids
    provider = kdc.as_("kbs").run("whoami", "--json").json()
    assert provider["role"] == "provider" and provider["institution"]["code"] == "KBS"
    assert provider["team"] is None
    res = kdc.run("whoami")  # no token
    assert res.code == 3 and "authentication_required" in res.err


def test_events_lists_then_follows(kdc):
    member = kdc.as_("naver-member")
    grant(kdc.server.app, "naver", 1234)
    listed = member.run("events", "--json", "--kind", "budget.granted")
    assert listed.code == 0, listed.err
    events = [json.loads(line) for line in listed.out.splitlines()]
    assert events and events[-1]["data"]["amount_krw"] == 1234
    last = events[-1]["id"]
    assert f"--after {last}" in listed.err
    human = member.run("events", "--after", str(last - 1))
    assert "budget.granted" in human.out and "team:naver" in human.out

    proc = member.popen("events", "--follow", "--json", "--after", str(last))
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True)
    reader.start()
    try:
        # Another team's grant is not ours to see; ours arrives while kdc waits.
        grant(kdc.server.app, "upstage", 55)
        grant(kdc.server.app, "naver", 4321)
        event = json.loads(lines.get(timeout=60))
        assert event["type"] == "budget.granted" and event["data"]["amount_krw"] == 4321
        assert event["id"] > last and event["audience"] == "team:naver"
        assert proc.poll() is None  # still following
    finally:
        proc.terminate()
        proc.communicate(timeout=10)  # reaps it and closes its pipes
        reader.join(10)
