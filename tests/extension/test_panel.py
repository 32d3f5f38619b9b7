"""The panel in a real browser: a selection on a page, checked through the same handlers the context menu and
the keyboard shortcut call, against a real ``crosscheck serve`` and against stand-ins that refuse or stall."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import screenshot
from tests.conftest import THOUSAND_TO_ROMANIA
from tests.extension.conftest import Extension, select
from tests.live import LiveServer

pytestmark = pytest.mark.browser

CLAIM = "1,000 troops moved to Romania"


def wait_for_verdict(panel: Any) -> None:
    panel.wait_for_selector("#result:not([hidden]) #verdict[data-verdict]", timeout=30_000)


def wait_for_error(panel: Any) -> Any:
    panel.wait_for_selector("#error:not([hidden])", timeout=15_000)
    return panel.locator("#error")


def test_a_selected_sentence_is_checked_and_the_service_going_away_is_reported(
    fresh: Extension, article: str, live_server: LiveServer, tmp_path: Path
) -> None:
    server = live_server.another(tmp_path)  # this test stops its server
    try:
        fresh.configure(apiUrl=server.url)
        page = fresh.visit(article)
        assert select(page, "#claim") == CLAIM
        panel = fresh.open("panel.html")
        fresh.shortcut(article)  # reads the selection from the page, hands it to the panel

        wait_for_verdict(panel)
        assert panel.locator("#claim").inner_text() == CLAIM
        assert panel.locator("#verdict").get_attribute("data-verdict") == "supported"
        assert panel.locator("#verdict-label").inner_text().lower() == "supported"
        supporting = panel.locator("li.cc-card[data-stance='supports']")
        assert sorted(supporting.evaluate_all("cards => cards.map(c => c.dataset.sourceId)")) == list(
            THOUSAND_TO_ROMANIA
        )
        for card in supporting.all():
            assert card.locator(".cc-stance").inner_text() == "supports"
            assert card.locator(".cc-date").inner_text()  # a date, or "undated"
            assert float(card.locator(":scope > .cc-score .cc-score-value").inner_text()) > 0.5
            assert card.locator(".cc-passage").count() >= 1
            assert card.locator("mark.cc-hl[data-relation='match']").count() >= 1
        link = urlsplit(panel.locator("#full-result").get_attribute("href"))
        assert f"{link.scheme}://{link.netloc}" == server.url and parse_qs(link.query) == {"claim": [CLAIM]}
        screenshot(panel, "extension-panel-supported.png")
        assert panel.problems == []
    finally:
        server.stop()

    select(page, "#claim")
    fresh.menu_click(page.evaluate("() => String(getSelection())"), article)
    error = wait_for_error(panel)
    assert error.get_attribute("data-kind") == "unreachable"
    assert error.inner_text().startswith(f"Cannot reach the crosscheck service at {server.url}")
    assert "crosscheck serve" in error.inner_text()
    assert panel.locator("#result").is_hidden()
    screenshot(panel, "extension-panel-unreachable.png")


def test_the_full_result_link_opens_the_web_page_on_the_same_claim(
    fresh: Extension, article: str, live_server: LiveServer
) -> None:
    fresh.configure(apiUrl=live_server.url)
    fresh.visit(article)
    panel = fresh.open("panel.html")
    fresh.menu_click(CLAIM, article)
    wait_for_verdict(panel)
    with fresh.context.expect_page() as opened:
        panel.locator("#full-result").click()
    web = opened.value
    web.wait_for_selector("#result:not([hidden]) #verdict[data-verdict='supported']", timeout=30_000)
    assert web.get_by_label("Claim", exact=True).input_value() == CLAIM


def test_a_selection_in_a_form_field_is_read_by_the_shortcut(
    fresh: Extension, article: str, live_server: LiveServer
) -> None:
    fresh.configure(apiUrl=live_server.url)
    page = fresh.visit(article)
    page.locator("#field").select_text()
    panel = fresh.open("panel.html")
    fresh.shortcut(article)
    wait_for_verdict(panel)
    assert panel.locator("#claim").inner_text() == CLAIM


def test_nothing_selected_says_so(fresh: Extension, article: str) -> None:
    page = fresh.visit(article)
    page.evaluate("() => getSelection().removeAllRanges()")
    panel = fresh.open("panel.html")
    fresh.shortcut(article)
    error = wait_for_error(panel)
    assert error.get_attribute("data-kind") == "empty"
    assert error.inner_text().startswith("Nothing was selected.")
    assert panel.locator("#claim").is_hidden()


def test_a_selection_over_the_service_limit_is_not_sent(
    fresh: Extension, article: str, live_server: LiveServer
) -> None:
    fresh.configure(apiUrl=live_server.url)
    page = fresh.visit(article)
    selected = select(page, "#long")
    panel = fresh.open("panel.html")
    fresh.menu_click(selected, article)
    error = wait_for_error(panel)
    assert error.get_attribute("data-kind") == "too-long"
    length = len(" ".join(selected.split()))
    assert error.inner_text() == (
        f"The selection has {length:,} characters; the service checks at most 2,000. Select a sentence or two."
    )
    screenshot(panel, "extension-panel-too-long.png")


def check_expecting_an_error(fresh: Extension, article: str, **settings: Any) -> Any:
    """With these settings, the claim chosen from the menu on the article: the panel's error box."""
    fresh.configure(**settings)
    fresh.visit(article)
    panel = fresh.open("panel.html")
    fresh.menu_click(CLAIM, article)
    return wait_for_error(panel)


TOO_LONG = "the claim has 2,345 characters; the limit is 2,000 (one claim is a sentence or two, not a document)"


@pytest.mark.parametrize(
    ("status", "body", "kind", "shown"),
    [
        # A service whose limit the panel could not learn says itself that a claim is too long.
        (422, {"error": "invalid_claim", "message": TOO_LONG}, "refused",
         f"The service refused the claim (422): {TOO_LONG}"),
        (503, {"error": "not_ready", "message": "the index is still loading"}, "server",
         "The service failed (503): the index is still loading"),
    ],
)  # fmt: skip
def test_the_service_s_own_message_is_shown_when_it_refuses_or_fails(
    fresh: Extension, article: str, stand_in: Any, status: int, body: dict[str, str], kind: str, shown: str
) -> None:
    service = stand_in(status, body)
    error = check_expecting_an_error(fresh, article, apiUrl=service.url, apiKey="key-0123456789abcdef")
    assert error.get_attribute("data-kind") == kind
    assert error.inner_text() == shown
    assert [headers.get("X-API-Key") for headers in service.headers] == ["key-0123456789abcdef"]


def test_a_service_that_does_not_answer_times_out(fresh: Extension, article: str, stand_in: Any) -> None:
    api = stand_in(200, None).url
    error = check_expecting_an_error(fresh, article, apiUrl=api, timeoutSeconds=1)
    assert error.get_attribute("data-kind") == "timeout"
    assert error.inner_text() == f"The service at {api} did not answer within 1 s."


def test_an_address_the_extension_may_not_reach_is_explained(fresh: Extension, article: str) -> None:
    # an address saved before its permission was taken back (Firefox lets the user do that)
    error = check_expecting_an_error(fresh, article, apiUrl="https://crosscheck.example.org")
    assert error.get_attribute("data-kind") == "permission"
    assert error.inner_text() == (
        "crosscheck may not reach https://crosscheck.example.org yet: open Settings and save the address to allow it."
    )


def test_the_panel_says_what_confidence_means_which_sources_copy_and_copies_the_verdict_as_text(
    fresh: Extension, article: str, live_server: LiveServer
) -> None:
    """The seeds 000 and 002 print one wire report: the panel shows it, counts two independent sources, and
    "Copy as text" puts the verdict with its reasons and sources on the clipboard (read back here)."""
    # an extension's origin cannot be granted clipboard-read: the text is read back on the article's page
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(article))
    fresh.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    fresh.configure(apiUrl=live_server.url)
    page = fresh.visit(article)
    panel = fresh.open("panel.html")
    fresh.menu_click(CLAIM, article)
    wait_for_verdict(panel)

    assert panel.locator("#summary").inner_text() == "3 sources support the claim (2 independent), none conflict"
    meaning = panel.locator("#confidence-meaning").inner_text()
    assert meaning.startswith("Confidence (0–1) is how firmly") and "not the probability" in meaning
    wire = panel.locator("li.cc-card[data-source-id='000_64af60602162f07a']")
    assert wire.locator(".cc-relations li[data-relation='shares_text_with']").inner_text() == (
        "Shares text with: Tweeduizend militairen naar Duitsland en Polen, duizend naar Roemenië"
    )
    assert wire.locator(".cc-relations li[data-relation='copies']").inner_text() == (
        "Copies: Biden overweegt duizenden troepen naar Oost-Europa te sturen"
    )
    assert panel.locator("a.cc-original").count() == 0  # no seed has an address to link to

    panel.get_by_role("button", name="Copy as text").click()
    panel.wait_for_selector("#copy-status:text('Copied')")
    page.bring_to_front()
    lines = page.evaluate("() => navigator.clipboard.readText()").splitlines()
    panel.bring_to_front()
    assert lines[0] == f"Claim: {CLAIM}"
    assert lines[2] == "3 sources support the claim (2 independent), none conflict."
    assert lines[3] == meaning
    assert "  Shares text with: Tweeduizend militairen naar Duitsland en Polen, duizend naar Roemenië" in lines
    assert "  · destination matches: Roemenië" in lines and lines[-1] == "Checked with crosscheck."
    screenshot(panel, "extension-panel-families-and-copy.png")
    assert panel.problems == []
