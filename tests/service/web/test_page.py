"""The web page in a real browser: Debian's chromium driven by Playwright against a real ``crosscheck serve``.

Skipped when /usr/bin/chromium is missing, unless CROSSCHECK_REQUIRE_BROWSER=1 (CI sets it).
The screenshots land in tests/artifacts/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO
from tests.service.conftest import API_KEY, LiveServer

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
THOUSAND_TO_ROMANIA = ["000_64af60602162f07a", "002_31380c5700cbb35e", "004_f612fa7a56b26ca2"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CROSSCHECK_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.problems = problems
    yield page
    context.close()


def check(page: Any, claim: str) -> None:
    """Type the claim as a person would and press Enter; wait for the verdict."""
    box = page.get_by_label("Claim")
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
    assert sorted(ids) == THOUSAND_TO_ROMANIA
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

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-verify-supported.png"), full_page=True)
    assert page.problems == []  # no script errors, no content-security-policy violations


def test_an_empty_claim_is_refused_in_the_page(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url)
    page.get_by_role("button", name="Check").click()
    assert page.get_by_role("alert").inner_text() == "Type a claim first."
    page.get_by_label("Claim").fill("x" * 2001)
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
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-escaping.png"), full_page=True)
    finally:
        httpx.delete(f"{live_server.url}/v1/documents/xss-probe", headers=headers)
