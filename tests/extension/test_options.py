"""The options page: the service's address, the API key and the timeout, kept in the extension's local storage."""

from __future__ import annotations

import pytest

from tests.browser import screenshot
from tests.extension.conftest import Extension

pytestmark = pytest.mark.browser


def test_the_options_page_shows_the_defaults_and_saves_what_is_typed(fresh: Extension) -> None:
    options = fresh.open("options.html")
    address = options.get_by_label("Service address")
    assert address.input_value() == "http://127.0.0.1:8000"
    assert options.get_by_label("API key").input_value() == ""
    assert options.get_by_label("Give up after (seconds)").input_value() == "30"

    address.fill("  http://localhost:8123/crosscheck/  ")
    options.get_by_label("API key").fill("key-0123456789abcdef")
    options.get_by_label("Give up after (seconds)").fill("12")
    options.get_by_role("button", name="Save").click()
    options.wait_for_selector("#saved[data-state='saved']")
    assert (
        options.locator("#saved").inner_text() == "Saved. Selections are checked with http://localhost:8123/crosscheck."
    )
    assert fresh.settings() == {
        "apiUrl": "http://localhost:8123/crosscheck",
        "apiKey": "key-0123456789abcdef",
        "timeoutSeconds": 12,
    }
    screenshot(options, "extension-options.png")

    options.reload()  # what was saved is what the page shows next time
    assert options.get_by_label("Service address").input_value() == "http://localhost:8123/crosscheck"
    assert options.get_by_label("API key").input_value() == "key-0123456789abcdef"
    assert options.problems == []


ALONE = "Give the service's address alone, without a user name, query or fragment"


@pytest.mark.parametrize(
    ("address", "timeout", "message"),
    [
        ("127.0.0.1:8000", "30", "Enter the service's address, e.g. http://127.0.0.1:8000"),
        ("ftp://127.0.0.1/", "30", "The address must start with http:// or https://"),
        (
            "http://127.0.0.1:8000/?x=1",
            "30",
            "Give the service's address alone, without a user name, query or fragment",
        ),
        ("http://127.0.0.1:8000", "0", "Give up after: a whole number of seconds from 1 to 600."),
    ],
)
def test_a_wrong_setting_is_explained_and_not_saved(fresh: Extension, address: str, timeout: str, message: str) -> None:
    options = fresh.open("options.html")
    options.get_by_label("Service address").fill(address)
    options.get_by_label("Give up after (seconds)").fill(timeout)
    options.get_by_role("button", name="Save").click()
    options.wait_for_selector("#saved[data-state='error']")
    assert options.locator("#saved").inner_text() == message
    assert fresh.settings() == {}
