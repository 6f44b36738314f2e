"""The to-do landing page of every role, the purchase timeline and the one status
vocabulary, joint purchases (deadline, shares, invitations, elimination), and one
Korean style on the pages, through the Flask test client."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.web.conftest import text_of

ANNALS = "joseon-annals-original"


def _offer(run, mode: str, slug: str = ANNALS) -> int:
    from catalog.models.datasets import Dataset
    from catalog.models.offers import Offer, OfferMode

    return run(
        lambda s: s.scalar(
            select(Offer.id)
            .join(Dataset)
            .where(Dataset.slug == slug, Offer.mode == OfferMode(mode))
        )
    )


def _purchase(run, pid: int):
    from catalog.models.purchases import Purchase

    def read(s):
        p = s.get(Purchase, pid)
        return {"status": p.status.value, "deadline": p.deadline, "created": p.created_at}

    return run(read)


def _steps(page: str) -> dict[str, str]:
    """step → done / current / todo / stopped, from the purchase page's timeline."""
    return {
        key: state for state, key in re.findall(r'class="step step-(\w+)" data-step="(\w+)"', page)
    }


def test_every_role_lands_on_its_to_do_list(sqlite_demo_app):
    for email, heading in (
        ("naver-lead@kdc.test", None),
        ("nikh@kdc.test", None),
        ("admin@kdc.test", "Budgets"),
        ("auditor@kdc.test", "Audit chain"),
    ):
        client = sqlite_demo_app.test_client()
        client.post("/lang/en")
        resp = client.post("/login", data={"email": email, "password": "kdc-demo"})
        assert resp.status_code == 302 and resp.headers["Location"] == "/todo", email
        page = text_of(client.get("/todo"))
        assert "To do" in page
        if heading:
            assert heading in page, email
    # A page asked for before signing in still wins over the to-do list.
    client = sqlite_demo_app.test_client()
    resp = client.post(
        "/login?next=/purchases/", data={"email": "skt-lead@kdc.test", "password": "kdc-demo"}
    )
    assert resp.headers["Location"] == "/purchases/"
    # Signed out, the to-do page asks to sign in.
    resp = sqlite_demo_app.test_client().get("/todo")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_a_members_request_tells_one_story_from_request_to_provider(ui, run):
    member = ui("naver-member@kdc.test")
    resp = member.post(
        f"/datasets/{ANNALS}/purchases", data={"offer_id": _offer(run, "individual")}
    )
    pid = int(resp.headers["Location"].rsplit("/", 1)[1])
    resp = member.get(f"/purchases/{pid}")
    page = resp.get_data(as_text=True)
    flashes = re.findall(r'class="flash flash-(\w+)" role="status">([^<]*)<', page)
    # One message about it, not "sent to the provider" next to "a lead must confirm first".
    about = [(kind, text) for kind, text in flashes if f"#{pid}" in text or "리더" in text]
    assert [kind for kind, _text in about] == ["success"], flashes
    text = text_of(resp)
    assert "리더" in text and "제공 기관에 보냈습니다" not in text
    assert 'class="tag status-lead_pending"' in page
    steps = _steps(page)
    assert steps["request"] == "done" and steps["confirm"] == "current"
    assert steps["approve"] == "todo" and steps["download"] == "todo"
    assert "join" not in steps  # an individual purchase has no joint steps
    # The member's to-do says it waits for the lead; the lead's asks to confirm, with a badge.
    todo = member.get("/todo").get_data(as_text=True)
    assert 'data-kind="await_lead"' in todo and 'id="todo-count"' not in todo
    lead = ui("naver-lead@kdc.test")
    todo = lead.get("/todo").get_data(as_text=True)
    assert 'data-kind="confirm"' in todo
    assert re.search(r'id="todo-count"[^>]*>\s*1\s*<', todo)
    assert re.search(r'id="purchases-count"[^>]*>\s*1\s*<', todo)
    # Once the lead confirms, the status is no longer "requested": it waits for the provider.
    lead.post(f"/purchases/{pid}/confirm")
    page = lead.get(f"/purchases/{pid}").get_data(as_text=True)
    assert 'class="tag status-lead_confirmed"' in page
    assert "제공 기관 승인 대기" in text_of(lead.get(f"/purchases/{pid}"))
    steps = _steps(page)
    assert steps["confirm"] == "done" and steps["approve"] == "current"
    assert 'id="todo-count"' not in lead.get("/todo").get_data(as_text=True)
    # The provider's to-do now asks for a decision.
    provider = ui("nikh@kdc.test")
    todo = provider.get("/todo").get_data(as_text=True)
    assert 'data-kind="approve"' in todo and f"/purchases/{pid}" in todo
    provider.post(f"/purchases/{pid}/approve", data={"note": ""})
    page = member.get(f"/purchases/{pid}").get_data(as_text=True)
    steps = _steps(page)
    assert steps["approve"] == "done" and steps["terms"] == "current"
    # Terms to accept is on the team's list.
    assert 'data-kind="accept_terms"' in member.get("/todo").get_data(as_text=True)


def test_one_purchase_menu_for_both_modes(ui, run):
    member = ui("skt-member@kdc.test", lang="en")
    member.post(f"/datasets/{ANNALS}/purchases", data={"offer_id": _offer(run, "individual")})
    page = member.get("/purchases/")
    text = text_of(page)
    assert "Purchases" in text and "Joint purchases" not in re.sub(
        r"Joint purchases my team joined", "", text
    )
    assert "My team's purchases" in text and "Individual purchase" in text
    nav = page.get_data(as_text=True).split("</nav>")[0]
    assert ">Purchases" in nav and "Joint purchases" not in nav


def test_opener_picks_the_deadline_within_the_offers_window(ui, run):
    from catalog.models.offers import Offer

    offer_id = _offer(run, "joint")
    window = run(lambda s: s.get(Offer, offer_id).join_window_days)
    lead = ui("naver-lead@kdc.test", lang="en")
    dataset = lead.get(f"/datasets/{ANNALS}").get_data(as_text=True)
    assert 'name="deadline"' in dataset and 'type="date"' in dataset
    # Too far: refused, nothing opened.
    too_far = (datetime.now(UTC) + timedelta(days=window + 3)).date().isoformat()
    resp = lead.post(
        f"/datasets/{ANNALS}/purchases",
        data={"offer_id": offer_id, "deadline": too_far},
        follow_redirects=True,
    )
    assert "Choose a deadline between tomorrow and the end of the offer's join window" in text_of(
        resp
    )
    assert resp.request.path == f"/datasets/{ANNALS}"
    # Ten days ahead: the deadline is the end of that day in Korea.
    day = (datetime.now(UTC) + timedelta(days=10)).date()
    resp = lead.post(
        f"/datasets/{ANNALS}/purchases", data={"offer_id": offer_id, "deadline": day.isoformat()}
    )
    pid = int(resp.headers["Location"].rsplit("/", 1)[1])
    deadline = _purchase(run, pid)["deadline"].astimezone(UTC)
    assert deadline == datetime(day.year, day.month, day.day, 14, 59, tzinfo=UTC)
    page = lead.get(f"/purchases/{pid}").get_data(as_text=True)
    assert f"{day.isoformat()} 23:59" in page
    # The share table shows what each team pays for 2 … max teams.
    rows = re.findall(r'<tr data-teams="(\d+)"', page)
    from catalog.models.offers import Offer as O

    lo, hi = run(lambda s: (s.get(O, offer_id).min_teams, s.get(O, offer_id).max_teams))
    assert [int(r) for r in rows] == list(range(max(2, lo), hi + 1))
    assert "₩300,000,000" in page  # 2 teams share ₩600,000,000


def test_a_team_invites_another_which_gets_a_notice(ui, run):
    lead = ui("naver-lead@kdc.test", lang="en")
    resp = lead.post(f"/datasets/{ANNALS}/purchases", data={"offer_id": _offer(run, "joint")})
    pid = int(resp.headers["Location"].rsplit("/", 1)[1])
    page = lead.get(f"/purchases/{pid}").get_data(as_text=True)
    assert 'name="team"' in page and '<option value="lgai">' in page
    assert '<option value="naver">' not in page  # not your own team
    resp = lead.post(f"/purchases/{pid}/invite", data={"team": "lgai"}, follow_redirects=True)
    assert "Team lgai was invited" in text_of(resp)
    inbox = text_of(ui("lgai-member@kdc.test", lang="en").get("/notifications"))
    assert f"Team naver invites your team to joint purchase #{pid}" in inbox
    # An outsider to the purchase may not invite; an unknown team is refused in words.
    other = ui("skt-lead@kdc.test", lang="en")
    resp = other.post(f"/purchases/{pid}/invite", data={"team": "lgai"}, follow_redirects=True)
    assert "does not take part" in text_of(resp)
    resp = lead.post(f"/purchases/{pid}/invite", data={"team": "nobody"}, follow_redirects=True)
    assert "no active team with that code" in text_of(resp)
    # The board shows the purchase under "joined" for naver.
    board = lead.get("/purchases/").get_data(as_text=True)
    joined = board.split('id="joined"')[1].split("</section>")[0]
    assert f'id="purchase-{pid}"' in joined


def test_an_eliminated_team_sees_no_buy_button_and_what_elimination_did(ui, run, sqlite_demo_app):
    from catalog.services import elimination

    def eliminate(s):
        from catalog.services.context import Actor

        elimination.eliminate_team(s, Actor.system(), "skt", 1)
        s.commit()

    naver = ui("naver-lead@kdc.test")
    resp = naver.post(f"/datasets/{ANNALS}/purchases", data={"offer_id": _offer(run, "joint")})
    pid = int(resp.headers["Location"].rsplit("/", 1)[1])
    board = ui("skt-member@kdc.test").get("/purchases/").get_data(as_text=True)
    assert f"/purchases/{pid}/join" in board  # before: skt may join
    with sqlite_demo_app.app_context():
        from catalog.db import get_session

        eliminate(get_session())
    member = ui("skt-member@kdc.test", lang="en")
    page = member.get(f"/datasets/{ANNALS}").get_data(as_text=True)
    assert "Request individual purchase" not in page and "Open a joint purchase" not in page
    assert "can no longer buy data" in text_of(member.get(f"/datasets/{ANNALS}"))
    team = text_of(member.get("/team"))
    assert "Your team was eliminated at evaluation phase 1" in team
    assert "licences were revoked" in team or "licence was revoked" in team
    assert "remaining balance is ₩" in team
    todo = member.get("/todo").get_data(as_text=True)
    assert 'data-kind="eliminated"' in todo
    # No join button on the board either.
    board = member.get("/purchases/").get_data(as_text=True)
    assert f'id="purchase-{pid}"' in board and f"/purchases/{pid}/join" not in board


def test_admin_and_auditor_to_do(ui):
    admin = text_of(ui("admin@kdc.test", lang="en").get("/todo"))
    assert "Evaluation phases" in admin
    auditor = ui("auditor@kdc.test", lang="en").get("/todo").get_data(as_text=True)
    assert 'data-kind="never_verified"' in auditor
    assert 'data-kind="no_checkpoint"' in auditor or 'data-kind="checkpoint"' in auditor


def test_korean_ui_speaks_korean_and_english_ui_english(ui, run):
    lead = ui("naver-lead@kdc.test")
    team = text_of(lead.get("/team"))
    # System memos and roles in Korean, not raw values.
    assert "initial data budget" not in team and "team_lead" not in team
    assert "초기 데이터 예산" in team and "팀 리더" in text_of(lead.get("/todo"))
    # One date format with a four-digit year.
    assert re.search(r"20\d\d-\d\d-\d\d \d\d:\d\d", team)
    assert not re.search(r"\b\d\d\. \d{1,2}\. \d{1,2}\.", team)
    # One brand.
    page = lead.get("/todo").get_data(as_text=True)
    assert "K-데이터 카탈로그" not in page and "K-Data Catalog" in page
    # The English UI names institutions in English.
    provider = ui("nikh@kdc.test", lang="en")
    assert "National Institute of Korean History" in text_of(provider.get("/todo"))
    assert "국사편찬위원회" not in text_of(provider.get("/todo"))


def test_auditor_event_details_are_readable_with_utc_on_hover(ui, run, sqlite_demo_app):
    lead = ui("naver-lead@kdc.test")
    lead.post(f"/datasets/{ANNALS}/purchases", data={"offer_id": _offer(run, "joint")})
    page = ui("auditor@kdc.test").get("/auditor/events?action=purchase:").get_data(as_text=True)
    assert "\\u" not in page
    assert re.search(r'<time datetime="[^"]+" title="20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC">', page)
    assert "&#34;dataset&#34;: &#34;joseon-annals-original&#34;" in page


def test_particles_in_flash_messages_follow_the_number(ui, run):
    lead = ui("naver-lead@kdc.test")
    resp = lead.post(f"/datasets/{ANNALS}/purchases", data={"offer_id": _offer(run, "joint")})
    pid = int(resp.headers["Location"].rsplit("/", 1)[1])
    text = text_of(lead.post(f"/purchases/{pid}/cancel", data={"note": ""}, follow_redirects=True))
    assert "을(를)" not in text and "이(가)" not in text
