"""Debian's chromium for the browser tests, driven by Playwright (which never downloads a browser here).

Without /usr/bin/chromium the browser tests are skipped, unless CROSSCHECK_REQUIRE_BROWSER=1 (CI sets it)
makes that a failure. Screenshots land in tests/artifacts/.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

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


def require_chromium() -> None:
    """Skip the calling test (or fail it, in CI) when Debian's chromium is not installed."""
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CROSSCHECK_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


def record_problems(page: Any) -> list[str]:
    """The page's script errors and console errors (CSP violations among them), collected as they happen."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    return problems


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
