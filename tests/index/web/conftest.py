"""A fetch policy that can reach the local news sites (the ``sites`` fixture, tests/index/web/site.py)."""

from __future__ import annotations

import pytest

from index.web.fetch import FetchPolicy

# Below the slow page's delay and the huge page's size, so both fail as they would on the web.
TEST_TIMEOUT = 1.0
TEST_MAX_BYTES = 1024 * 1024


@pytest.fixture
def policy() -> FetchPolicy:
    """The test servers are on 127.0.0.1, so private addresses are allowed, as CROSSCHECK_FETCH_ALLOW_PRIVATE=1 does."""
    return FetchPolicy(timeout=TEST_TIMEOUT, max_bytes=TEST_MAX_BYTES, allow_private=True)
