"""The extension in a real browser: Debian's chromium (headless) with the built extension loaded, driven by
Playwright; pages it can be used on, and stand-ins for a service that refuses or never answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from extension.build import build
from tests.browser import CHROMIUM, CHROMIUM_ARGS, record_problems, require_chromium

ARTICLE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A news article</title></head>
<body>
  <h1>Allies reinforce the eastern flank</h1>
  <p>Several countries announced deployments this week. <span id="claim">1,000 troops moved to Romania</span>,
  the ministry said on Wednesday.</p>
  <p id="long">{long}</p>
  <form><textarea id="field">1,000 troops moved to Romania</textarea></form>
</body></html>
"""


@dataclass
class Extension:
    """The loaded extension: its id, its service worker and the browser context it lives in."""

    context: Any
    worker: Any
    id: str

    def url(self, page: str) -> str:
        return f"chrome-extension://{self.id}/{page}"

    def visit(self, url: str) -> Any:
        page = self.context.new_page()
        page.goto(url)
        return page

    def open(self, page: str) -> Any:
        tab = self.context.new_page()
        tab.problems = record_problems(tab)
        tab.goto(self.url(page))
        return tab

    def configure(self, **settings: Any) -> None:
        """Settings as the options page stores them (that page has its own test)."""
        self.worker.evaluate("settings => chrome.storage.local.set(settings)", settings)

    def settings(self) -> dict[str, Any]:
        stored: dict[str, Any] = self.worker.evaluate("() => chrome.storage.local.get(null)")
        return stored

    def menu_click(self, selection_text: str, page_url: str) -> None:
        """What choosing "Check with crosscheck" does: the browser passes the selection to the menu's handler."""
        self.worker.evaluate(
            """async ([text, url]) => {
                const [tab] = await chrome.tabs.query({ url });
                await crosscheck.onMenuClick({ menuItemId: crosscheck.MENU_ID, selectionText: text }, tab);
            }""",
            [selection_text, page_url],
        )

    def shortcut(self, page_url: str) -> None:
        """What the keyboard shortcut does: the handler reads the selection from the tab itself."""
        self.worker.evaluate(
            """async (url) => {
                const [tab] = await chrome.tabs.query({ url });
                await crosscheck.onCommand(crosscheck.COMMAND, tab);
            }""",
            page_url,
        )


@pytest.fixture(scope="session")
def extension_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Chromium build, made the way `make extension` makes it."""
    root = tmp_path_factory.mktemp("extension")
    return build(root / "build", root / "dist").directories["chromium"]


@pytest.fixture(scope="module")
def extension(extension_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Extension]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")),
            headless=True,
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, f"--disable-extensions-except={extension_dir}", f"--load-extension={extension_dir}"],
            viewport={"width": 420, "height": 900},
            locale="en-GB",
        )
        worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
        yield Extension(context, worker, worker.url.split("/")[2])
        context.close()


@pytest.fixture
def fresh(extension: Extension) -> Iterator[Extension]:
    """The extension with default settings and no tabs left over from the test before."""
    extension.worker.evaluate("() => Promise.all([chrome.storage.local.clear(), chrome.storage.session.clear()])")
    yield extension
    for page in extension.context.pages[1:]:  # the first keeps the browser's window open
        page.close()


def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on a free loopback port, in a thread, for the fixture's lifetime."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def article() -> Iterator[str]:
    """A page on loopback (which the extension may script, as it may the tab a shortcut is pressed in)."""
    page = ARTICLE.format(long="The long paragraph goes on. " * 80).encode()

    class Article(Quiet):
        def do_GET(self) -> None:
            self.answer(200, page, "text/html; charset=utf-8")

    for base in serve(Article):
        yield f"{base}/article.html"  # a path, so the URL is also a match pattern for tabs.query


@dataclass
class StandIn:
    url: str
    headers: list[dict[str, str]]  # of each POST received


@pytest.fixture
def stand_in() -> Iterator[Callable[[int, dict[str, Any] | None], StandIn]]:
    """A service that answers /v1/verify with the given status and JSON (None: never answers within the test)."""
    started: list[Iterator[str]] = []

    def start(status: int, body: dict[str, Any] | None) -> StandIn:
        received: list[dict[str, str]] = []

        class Handler(Quiet):
            def do_GET(self) -> None:  # no OpenAPI document: the panel learns no claim limit
                self.answer(404, b'{"error": "not_found", "message": "no such page"}', "application/json")

            def do_POST(self) -> None:
                received.append(dict(self.headers))
                if body is None:
                    time.sleep(5)  # longer than the panel's timeout in the test; the thread is a daemon
                    return
                self.answer(status, json.dumps(body).encode(), "application/json")

        servers = serve(Handler)
        started.append(servers)
        return StandIn(next(servers), received)

    yield start
    for servers in started:
        next(servers, None)


def select(page: Any, selector: str) -> str:
    """Select an element's text as a person would with the mouse; returns what the browser calls the selection."""
    text: str = page.evaluate(
        """selector => {
            const range = document.createRange();
            range.selectNodeContents(document.querySelector(selector));
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            return selection.toString();
        }""",
        selector,
    )
    return text
