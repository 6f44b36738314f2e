"""Previews before purchase in Chromium: the rows of a CSV and a JSON Lines file and a WAV
that plays, for an anonymous visitor and for a team member without a licence."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

SPEECH = "ebs-children-speech"
ANNALS = "joseon-annals-original"


@pytest.mark.parametrize("email", ["", "skt-member@kdc.test"], ids=["anonymous", "member"])
def test_previews_before_purchase(user_factory, email):
    user = user_factory(email)
    page = user.page
    failed: list[str] = []
    page.on(
        "response",
        lambda r: (
            failed.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.goto(f"/datasets/{SPEECH}")
    previews = page.locator("section.previews")
    expect(previews.locator("h2")).to_have_text("미리보기")

    # The CSV as rows, and its column view with the inferred types.
    csv = previews.locator("section.preview-table", has_text="speakers.csv")
    expect(csv.locator("table.preview-rows tbody tr")).to_have_count(2)
    expect(csv.locator("table.preview-rows tbody tr").first).to_contain_text("수도권")
    region = csv.locator("table.columns tr", has_text="region")
    expect(region.locator(".col-type")).to_have_text("텍스트")

    # The audio player loads the preview WAV and the browser can play it.
    audio = previews.locator("section.preview-audio audio")
    expect(audio).to_have_count(1)
    duration = audio.evaluate(
        """el => new Promise((resolve, reject) => {
            el.addEventListener('loadedmetadata', () => resolve(el.duration), {once: true});
            el.addEventListener('error', () => reject(new Error('audio error')), {once: true});
            el.load();
        })"""
    )
    assert 0.5 < duration < 1.5

    # The README, rendered.
    expect(previews.locator(".readme")).to_contain_text("Re-identifying any speaker is forbidden.")

    # A JSON Lines file on another dataset: a table of its fields.
    page.goto(f"/datasets/{ANNALS}")
    jsonl = page.locator("section.preview-table", has_text="sejong/001.jsonl")
    expect(jsonl.locator("table.preview-rows thead th")).to_have_text(
        ["id", "reign", "date", "text"]
    )
    expect(jsonl.locator("table.preview-rows tbody")).to_contain_text("上御經筵。")
    assert not failed, failed
    assert not [e for e in user.errors if "Failed to load resource" not in e], user.errors
