"""The web page in a real browser: Debian's chromium driven by Playwright against a real ``crosscheck serve``.

Skipped when /usr/bin/chromium is missing, unless CROSSCHECK_REQUIRE_BROWSER=1 (see tests/browser.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, record_problems, require_chromium, screenshot
from tests.conftest import REPO, THOUSAND_TO_ROMANIA
from tests.live import API_KEY, LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.problems = record_problems(page)
    yield page
    context.close()


def check(page: Any, claim: str) -> None:
    """Type the claim as a person would and press Enter; wait for the verdict."""
    box = page.get_by_label("Claim", exact=True)
    box.click()
    box.press_sequentially(claim)
    box.press("Enter")
    page.wait_for_selector("#result:not([hidden]) #verdict[data-verdict]", timeout=30_000)


def test_a_claim_shows_the_verdict_and_three_supporting_sources(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url)
    page.wait_for_selector(".cc-status[data-state='ready']", timeout=30_000)
    check(page, "1,000 troops moved to Romania")

    assert page.locator("#verdict").get_attribute("data-verdict") == "supported"
    assert page.locator("#verdict-label").inner_text().lower() == "supported"
    supporting = page.locator("li.cc-card[data-stance='supports']")
    ids = supporting.evaluate_all("cards => cards.map(c => c.dataset.sourceId)")
    assert sorted(ids) == list(THOUSAND_TO_ROMANIA)
    for card in supporting.all():
        assert card.locator(".cc-stance").inner_text() == "supports"
        assert card.locator(".cc-date").inner_text()  # a date, or "undated"
        width = card.locator(":scope > .cc-score .cc-bar-fill").evaluate("e => e.style.width")
        assert width.endswith("%") and float(width[:-1]) > 50
        matched = card.locator("mark.cc-hl[data-relation='match']")
        assert matched.count() >= 1  # the number or place that matched is marked in the passage
    first_mark = supporting.first.locator("mark.cc-hl").first
    assert first_mark.get_attribute("title").endswith("matches the claim")
    assert page.locator("li.cc-card").count() == 5

    screenshot(page, "web-verify-supported.png")
    assert page.problems == []  # no script errors, no content-security-policy violations


def test_a_claim_in_the_address_is_checked_at_once(page: Any, live_server: LiveServer) -> None:
    """The browser extension links to /?claim=... for the full result."""
    page.goto(f"{live_server.url}/?{urlencode({'claim': '1,000 troops moved to Romania', 'top_k': 2})}")
    page.wait_for_selector("#result:not([hidden]) #verdict[data-verdict]", timeout=30_000)
    assert page.get_by_label("Claim", exact=True).input_value() == "1,000 troops moved to Romania"
    assert page.locator("#top_k").input_value() == "2"
    assert page.locator("#verdict").get_attribute("data-verdict") == "supported"
    per_card = page.locator("li.cc-card").evaluate_all(
        "cards => cards.map(c => c.querySelectorAll('.cc-passage').length)"
    )
    assert max(per_card) == 2  # top_k from the address was sent
    assert page.problems == []


def test_an_empty_claim_is_refused_in_the_page(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url)
    page.get_by_role("button", name="Check").click()
    assert page.get_by_role("alert").inner_text() == "Type a claim first."
    page.get_by_label("Claim", exact=True).fill("x" * 2001)
    page.get_by_role("button", name="Check").click()
    page.wait_for_selector("#error:not([hidden])")
    assert "limit is 2,000" in page.get_by_role("alert").inner_text()
    # the browser logs the refused request itself; nothing else went wrong
    assert page.problems == [
        "console error: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]


def test_text_from_sources_is_shown_as_text_never_run(page: Any, live_server: LiveServer) -> None:
    hostile = {
        "source_id": "xss-probe",
        "title": '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>',
        "text": "Het zonnige weer in Utrecht houdt <b>nog</b> een week aan. <img src=x onerror=window.pwned=3>",
        "url": "javascript:window.pwned=4",
    }
    headers = {"X-API-Key": API_KEY}
    assert httpx.post(f"{live_server.url}/v1/documents", json=hostile, headers=headers).status_code == 201
    try:
        page.goto(live_server.url)
        check(page, "Het zonnige weer in Utrecht houdt aan")
        card = page.locator("li.cc-card[data-source-id='xss-probe']")
        assert card.locator(".cc-card-title").inner_text() == hostile["title"]
        assert card.locator(".cc-card-title a").count() == 0  # a javascript: URL is not made a link
        assert "<b>nog</b>" in card.locator(".cc-passage-text").first.inner_text()
        card.click()  # nothing happens either way
        assert page.evaluate("() => window.pwned") is None
        screenshot(page, "web-escaping.png")
    finally:
        httpx.delete(f"{live_server.url}/v1/documents/xss-probe", headers=headers)


def test_the_claimreview_button_shows_valid_json_ld(page: Any, live_server: LiveServer) -> None:
    import json

    from tests.service.schemaorg import claimreview_problems

    page.goto(live_server.url)
    page.wait_for_selector(".cc-status[data-state='ready']", timeout=30_000)
    assert page.locator("#publish").is_hidden()  # nothing to publish before a check
    check(page, "1,000 troops moved to Romania")
    page.get_by_role("button", name="ClaimReview JSON-LD").click()
    output = page.locator("#claimreview-output")
    output.wait_for(state="visible", timeout=30_000)
    review = json.loads(output.inner_text())
    assert claimreview_problems(review) == []
    assert review["claimReviewed"] == "1,000 troops moved to Romania"
    assert review["reviewRating"]["alternateName"] == "Supported"
    assert review["url"].startswith(f"{live_server.url}/?claim=")
    assert sorted(c["identifier"] for c in review["citation"]) == list(THOUSAND_TO_ROMANIA)
    screenshot(page, "web-claimreview.png")
    assert page.problems == []


def republication_of_004(live_url: str) -> dict[str, str]:
    """Seed 004 as another outlet reprints it a month later, with small edits and its own address."""
    text = (REPO / "seeds" / "004_f612fa7a56b26ca2.txt").read_text().replace(" date 2022-02 ", "", 1)
    text = text.replace("vandaag", "woensdag").replace("zo'n", "ongeveer").replace("militairen", "soldaten", 2)
    return {
        "source_id": "republished-004",
        "title": "Amerikaanse troepen op weg naar Roemenië (herpublicatie)",
        "text": text,
        "url": "https://news.example.org/2022/03/01/troepen-roemenie",
        "published": "2022-03-01",  # a month on: 004 is dated to the month only
        "language": "nl",
    }


def test_links_confidence_meaning_families_and_copy_as_text(
    browser: Any, live_server: LiveServer, tmp_path: Any
) -> None:
    """A fact-checker's view: the original article's link, what the confidence means, which sources copy
    which, and the verdict copied as text for a draft (read back from the clipboard)."""
    server = live_server.another(tmp_path)  # this test adds a source
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-GB")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    problems = record_problems(page)
    try:
        copy = republication_of_004(server.url)
        assert httpx.post(f"{server.url}/v1/documents", json=copy, headers={"X-API-Key": API_KEY}).status_code == 201
        page.goto(server.url)
        check(page, "1,000 troops moved to Romania")

        summary = page.locator("#summary").inner_text()
        assert summary == "4 sources support the claim (2 independent), none conflict"
        meaning = page.locator("#confidence-meaning").inner_text()
        assert meaning.startswith("Confidence (0–1) is how firmly") and "not the probability" in meaning
        card = page.locator("li.cc-card[data-source-id='republished-004']")
        original = card.locator("a.cc-original")
        assert original.inner_text() == "original article" and original.get_attribute("href") == copy["url"]
        assert card.locator(".cc-relations li[data-relation='copies']").inner_text() == (
            "Copies: Pentagon: zo'n 2.000 troepen naar Oost-Europa"
        )
        pentagon = page.locator("li.cc-card[data-source-id='004_f612fa7a56b26ca2']")
        assert pentagon.locator(".cc-relations li[data-relation='copied_by']").inner_text() == (
            f"Copied by: {copy['title']}"
        )
        assert pentagon.locator("a.cc-original").count() == 0  # the seeds have no address
        wire = page.locator("li.cc-card[data-source-id='000_64af60602162f07a']")
        assert wire.locator(".cc-relations li[data-relation='shares_text_with']").inner_text() == (
            "Shares text with: Tweeduizend militairen naar Duitsland en Polen, duizend naar Roemenië"
        )

        page.get_by_role("button", name="Copy as text").click()
        page.wait_for_selector("#copy-status:text('Copied')")
        text = page.evaluate("() => navigator.clipboard.readText()")
        lines = text.splitlines()
        assert lines[:3] == [
            "Claim: 1,000 troops moved to Romania",
            f"Verdict: Supported (confidence {page.locator('#confidence').inner_text().split()[1]})",
            "4 sources support the claim (2 independent), none conflict.",
        ]
        assert lines[3] == meaning
        assert (
            f"- supports ({card.locator(':scope > .cc-score .cc-score-value').inner_text()}): {copy['title']} " in text
        )
        assert f"(2022-03-01, {copy['url']})" in text
        assert "  Copies: Pentagon: zo'n 2.000 troepen naar Oost-Europa" in lines
        assert "  · destination matches: Roemenië" in lines
        assert lines[-1] == "Checked with crosscheck."
        screenshot(page, "web-families-and-copy.png")
        (ARTIFACTS / "web-copied-verdict.txt").write_text(text)
        assert problems == []
    finally:
        context.close()
        server.stop()
