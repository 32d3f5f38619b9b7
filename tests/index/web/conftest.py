"""The local news sites (tests/index/web/site.py) as a fixture, and a fetch policy that can reach them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from index.web.fetch import FetchPolicy
from tests.index.web.site import NewsSites, news_sites

# Below the slow page's delay and the huge page's size, so both fail as they would on the web.
TEST_TIMEOUT = 1.0
TEST_MAX_BYTES = 1024 * 1024


@pytest.fixture
def sites() -> Iterator[NewsSites]:
    with news_sites() as running:
        yield running


@pytest.fixture
def policy() -> FetchPolicy:
    """The test servers are on 127.0.0.1, so private addresses are allowed, as CROSSCHECK_FETCH_ALLOW_PRIVATE=1 does."""
    return FetchPolicy(timeout=TEST_TIMEOUT, max_bytes=TEST_MAX_BYTES, allow_private=True)
