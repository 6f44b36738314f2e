"""The pages that change things, through the Flask test client: purchases from the
dataset page and the board, approval, terms acceptance and downloads, API tokens."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import func, select

from tests.web.conftest import text_of

ANNALS = "joseon-annals-original"


def _offer(run, mode: str) -> int:
    from catalog.models.datasets import Dataset
    from catalog.models.offers import Offer, OfferMode

    return run(
        lambda s: s.scalar(
            select(Offer.id)
            .join(Dataset)
            .where(Dataset.slug == ANNALS, Offer.mode == OfferMode(mode))
        )
    )


def _events(run, action: str) -> list[dict]:
    from catalog.models.audit import AuditEvent

    return run(
        lambda s: [e.data for e in s.scalars(select(AuditEvent).where(AuditEvent.action == action))]
    )


def _joint_purchase_approved(ui, run) -> int:
    naver = ui("naver-lead@kdc.test", lang="en")
    resp = naver.post(f"/datasets/{ANNALS}/purchases", data={"offer_id": _offer(run, "joint")})
    pid = int(resp.headers["Location"].rsplit("/", 1)[1])
    upstage = ui("upstage-lead@kdc.test", lang="en")
    board = text_of(upstage.get("/purchases/"))
    assert "If your team joins, each pays about ₩300,000,000" in board
    upstage.post(f"/purchases/{pid}/join", data={"next": "/purchases/"})
    page = text_of(naver.get(f"/purchases/{pid}"))
    assert page.count("₩300,000,000") >= 2
    assert "Your team joined" not in page  # flashes stay with their own user
    naver.post(f"/purchases/{pid}/close")
    provider = ui("nikh@kdc.test", lang="en")
    queue = text_of(provider.get("/provider/"))
    # The queue says whose lead confirmed; a provider never sees a team's balance.
    assert f"#{pid}" in queue and "Confirmed by a lead" in queue
    assert "Can pay" not in queue and "₩20,000,000,000" not in queue
    resp = provider.post(
        f"/purchases/{pid}/approve",
        data={"note": "ok", "next": "/provider/"},
        follow_redirects=True,
    )
    assert f"Purchase #{pid} is approved" in text_of(resp)
    return pid


def test_dataset_page_offers_the_actions_a_role_allows(ui):
    anonymous = text_of(ui(lang="en").get(f"/datasets/{ANNALS}"))
    assert "Sign in as a team member" in anonymous.replace("  ", " ")
    assert "Open a joint purchase" not in anonymous
    member = text_of(ui("skt-member@kdc.test", lang="en").get(f"/datasets/{ANNALS}"))
    assert "holds no licence for this dataset yet" in member
    assert "Open a joint purchase" in member and "Request individual purchase" in member
    auditor = text_of(ui("auditor@kdc.test", lang="en").get(f"/datasets/{ANNALS}"))
    assert "Open a joint purchase" not in auditor
    provider = text_of(ui("nikh@kdc.test", lang="en").get(f"/datasets/{ANNALS}"))
    assert "Manage this dataset in the provider console" in provider


def test_a_member_request_waits_for_the_lead_and_refusals_are_explained(ui, run):
    member = ui("skt-member@kdc.test", lang="en")
    resp = member.post(
        f"/datasets/{ANNALS}/purchases",
        data={"offer_id": _offer(run, "individual")},
        follow_redirects=True,
    )
    page = text_of(resp)
    # One message: the lead confirms first, then it goes to the provider.
    assert "waits for a lead of your team to confirm it; then it goes to the provider" in page
    assert "was sent to the provider" not in page
    assert "waiting for a lead" in page
    # A second request for the same dataset is refused in words, not a 500.
    resp = member.post(
        f"/datasets/{ANNALS}/purchases",
        data={"offer_id": _offer(run, "joint")},
        follow_redirects=True,
    )
    assert "already takes part in an undecided purchase" in text_of(resp)
    # The catalogue card says the team has a purchase under way.
    assert "Your team has a purchase under way" in text_of(member.get("/?q=실록"))
    # An auditor cannot buy.
    resp = ui("auditor@kdc.test").post(
        f"/datasets/{ANNALS}/purchases", data={"offer_id": _offer(run, "individual")}
    )
    assert resp.status_code == 403


def test_joint_purchase_approval_then_terms_then_download(ui, run, sqlite_demo_app):
    from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion

    pid = _joint_purchase_approved(ui, run)
    member = ui("naver-member@kdc.test", lang="en")
    team = text_of(member.get("/team"))
    assert "₩19,700,000,000" in team and "to accept" in team
    assert "Your team holds a licence" in text_of(member.get("/?q=실록"))
    lic_id = int(
        re.search(r'href="/team/licenses/(\d+)"', member.get("/team").get_data(as_text=True)).group(
            1
        )
    )
    key = "sejong/001.jsonl"
    # Before acceptance, the download is refused and sends the user to the terms.
    resp = member.get(f"/datasets/{ANNALS}/download/{key}")
    assert resp.status_code == 302 and resp.headers["Location"] == f"/team/licenses/{lic_id}"
    page = text_of(member.get(f"/team/licenses/{lic_id}"))
    assert "Accept the terms above to download files." in page
    assert f"kdc fetch {ANNALS} --version 2025.1 --dest ./{ANNALS}" in page
    # Submitting without ticking the box puts the error next to the box.
    resp = member.post(f"/team/licenses/{lic_id}/accept", data={})
    assert resp.status_code == 400 and "Tick the box to accept." in text_of(resp)
    resp = member.post(
        f"/team/licenses/{lic_id}/accept", data={"accept": "y"}, follow_redirects=True
    )
    assert "Accepted for the team on" in text_of(resp)
    [event] = _events(run, "license:accept_terms")
    assert event["team_id"] and event["terms"]["price_krw"] == 600_000_000
    resp = member.get(f"/datasets/{ANNALS}/download/{key}?version=2025.1")
    assert resp.status_code == 302 and resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Location"].startswith("/storage/get/")
    with member.get(resp.headers["Location"]) as stored:
        data = stored.get_data()
    want = run(
        lambda s: s.scalar(
            select(DatasetObject.sha256)
            .join(DatasetVersion)
            .join(Dataset)
            .where(Dataset.slug == ANNALS, DatasetObject.key == key)
        )
    )
    assert hashlib.sha256(data).hexdigest() == want
    # Accepting again changes nothing; the other team still has to accept its own.
    member.post(f"/team/licenses/{lic_id}/accept", data={"accept": "y"})
    assert len(_events(run, "license:accept_terms")) == 1
    upstage = ui("upstage-member@kdc.test", lang="en")
    assert upstage.get(f"/team/licenses/{lic_id}").status_code == 404
    assert upstage.get(f"/datasets/{ANNALS}/download/{key}").status_code == 302
    assert pid


def test_refusals_of_downloads_say_why(ui):
    resp = ui("skt-member@kdc.test", lang="en").get(f"/datasets/{ANNALS}/download/README.txt")
    assert resp.status_code == 403
    page = text_of(resp)
    assert "Download refused" in page and "holds no licence for this dataset" in page
    assert "license_required" in page
    resp = ui("auditor@kdc.test", lang="en").get(f"/datasets/{ANNALS}/download/README.txt")
    assert resp.status_code == 403
    resp = ui("skt-member@kdc.test", lang="en").get("/datasets/nope/download/README.txt")
    assert resp.status_code == 404 and "Download refused" in text_of(resp)


def test_leave_and_cancel_from_the_board(ui, run):
    naver = ui("naver-lead@kdc.test", lang="en")
    pid = int(
        naver.post(f"/datasets/{ANNALS}/purchases", data={"offer_id": _offer(run, "joint")})
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    skt = ui("skt-lead@kdc.test", lang="en")
    skt.post(f"/purchases/{pid}/join")
    resp = naver.post(f"/purchases/{pid}/leave", follow_redirects=True)
    assert "cannot leave it; cancel it instead" in text_of(resp)
    resp = skt.post(f"/purchases/{pid}/leave", follow_redirects=True)
    assert f"Your team left purchase #{pid}." in text_of(resp)
    resp = naver.post(f"/purchases/{pid}/cancel", data={"note": "x" * 1001}, follow_redirects=True)
    assert "cancelled" not in text_of(resp).split("·")[0] or "1000" in text_of(resp)
    resp = naver.post(
        f"/purchases/{pid}/cancel", data={"note": "changed plans"}, follow_redirects=True
    )
    assert f"Purchase #{pid} was cancelled." in text_of(resp)
    assert "No joint purchase is open right now" in text_of(naver.get("/purchases/"))


def test_tokens_are_shown_once_and_revocable(ui, run):
    from catalog.models.users import ApiToken

    client = ui("naver-member@kdc.test", lang="en")
    page = text_of(client.get("/tokens"))
    assert "You have no tokens yet." in page and "data:read" in page
    assert "provider:write" not in page  # not a member's scope
    resp = client.post(
        "/tokens", data={"name": "cluster", "days": "30", "scopes": ["data:read", "catalog:read"]}
    )
    assert resp.status_code == 201 and resp.headers["Cache-Control"] == "no-store"
    raw = re.search(r'<code id="new-token">(kdc_[^<]+)</code>', resp.get_data(as_text=True))
    assert raw
    token = raw.group(1)
    assert client.get("/tokens").get_data(as_text=True).count(token) == 0  # shown once
    api = client.application.test_client()
    assert (
        api.get("/api/v1/licenses", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    resp = client.post("/tokens", data={"days": "999"})
    assert resp.status_code == 400 and 'aria-invalid="true"' in resp.get_data(as_text=True)
    resp = client.post("/tokens", data={"days": "30", "scopes": ["admin:write"]})
    assert resp.status_code == 400 and "not a valid choice" in text_of(resp)
    tid = run(lambda s: s.scalar(select(func.max(ApiToken.id))))
    resp = client.post(f"/tokens/{tid}/revoke", follow_redirects=True)
    assert "is revoked" in text_of(resp) and "revoked" in text_of(resp)
    assert (
        api.get("/api/v1/licenses", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    # Someone else's token is not found.
    other = ui("skt-member@kdc.test", lang="en")
    resp = other.post(f"/tokens/{tid}/revoke", follow_redirects=True)
    assert "flash-error" in resp.get_data(as_text=True)
