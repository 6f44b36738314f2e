"""The catalogue page as a visitor uses it: filters that say what is in force and come off
one by one, price ranges in order, the joint-offer filter, the price a team pays, marked
matches, a no-results page that helps, and a favicon. Through the test client: every
filter is a plain GET link or checkbox, so all of it works without JavaScript."""

from __future__ import annotations

import html
import re

import pytest

CARD = re.compile(r'<article class="card">.*?href="/datasets/([a-z0-9-]+)"', re.S)
CHIP = re.compile(r'<a class="chip" href="([^"]+)"[^>]*>([^<]+)<')


@pytest.fixture
def web(sqlite_demo_app):
    client = sqlite_demo_app.test_client()
    client.post("/lang/en")
    return client


def page_of(resp) -> str:
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def cards(body: str) -> list[str]:
    return CARD.findall(body)


def chips(body: str) -> dict[str, str]:
    return {html.unescape(label).strip(): html.unescape(href) for href, label in CHIP.findall(body)}


def test_chips_show_the_filters_in_force_and_each_removes_only_itself(web):
    body = page_of(web.get("/?q=실록&modality=text&institution=NIKH&sort=title"))
    found = chips(body)
    assert set(found) == {"Text", "National Institute of Korean History"}
    # Removing one filter keeps the words, the sort and the other filter.
    without_text = web.get(found["Text"])
    assert "institution=NIKH" in found["Text"] and "modality" not in found["Text"]
    assert "sort=title" in found["Text"] and "q=" in found["Text"]
    assert chips(page_of(without_text)).keys() == {"National Institute of Korean History"}
    clear = re.search(r'<a class="chip-clear" href="([^"]+)"', body).group(1)
    cleared = page_of(web.get(html.unescape(clear)))
    assert chips(cleared) == {} and sorted(cards(cleared)) == [
        "joseon-annals-original",
        "joseon-annals-translation",
    ]


def test_price_ranges_are_listed_from_cheap_to_dear(web):
    body = page_of(web.get("/"))
    order = re.findall(r'name="price" value="([a-z0-9_]+)"', body)
    assert order == [b for b in ("lt_100m", "100m_500m", "500m_1b", "gte_1b") if b in order]
    assert len(order) >= 3


def test_joint_offer_filter_keeps_only_datasets_sold_jointly(web, sqlite_demo_app):
    from sqlalchemy import select

    from catalog.db import get_session
    from catalog.models.datasets import Dataset
    from catalog.models.offers import Offer, OfferMode

    everything = page_of(web.get("/?limit=100"))
    joint_only = page_of(web.get("/?joint=1&limit=100"))
    with sqlite_demo_app.app_context():
        jointly = set(
            get_session().scalars(
                select(Dataset.slug)
                .join(Offer, Offer.dataset_id == Dataset.id)
                .where(Offer.mode == OfferMode.JOINT, Offer.active.is_(True))
            )
        )
    assert set(cards(joint_only)) == jointly
    assert 0 < len(jointly) < len(cards(everything))
    assert "Joint offer available" in chips(joint_only)
    assert re.search(r'name="joint" value="1"\s+checked', joint_only)


def test_matches_are_marked_and_markup_in_the_query_is_not(web):
    body = page_of(web.get("/", query_string={"q": "annals"}))
    assert "<mark>Annals</mark>" in body
    body = page_of(web.get("/", query_string={"q": "<b>실록"}))
    assert "<b>" not in body.split("<main", 1)[1].replace("&lt;b&gt;", "")


def test_no_results_page_suggests_what_to_do(web):
    body = html.unescape(page_of(web.get("/?q=실록 zebra&modality=audio")))
    assert cards(body) == []
    assert "No dataset matches “실록 zebra”." in body
    assert "Clear all filters" in body
    assert 'href="/?q=zebra"' in body and 'href="/?q=%EC%8B%A4%EB%A1%9D"' in body
    assert "—" not in body.split('class="no-results"', 1)[1].split("</section>", 1)[0]
    # With only the words that match, the page says the filters are what hid them.
    body = html.unescape(page_of(web.get("/?q=실록&modality=audio")))
    assert "Without the filters, 2 datasets match:" in body


def test_without_javascript_the_apply_button_is_there(web):
    body = page_of(web.get("/"))
    assert 'class="secondary apply-filters"' in body and "data-autosubmit" in body


def test_favicon_is_served(web):
    body = page_of(web.get("/"))
    icon = re.search(r'<link rel="icon" href="([^"]+)"', body).group(1)
    resp = web.get(icon)
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    assert resp.get_data().startswith(b"<svg")
    resp.close()
    resp = web.get("/favicon.ico")
    assert resp.status_code == 301 and resp.headers["Location"].endswith(icon)
