"""Articles from the web: pages, RSS/Atom feeds and sitemaps, fetched safely and politely.

``fetch`` is the HTTP client with its safety rules, ``pages`` reads an article off a page,
``listings`` reads feeds and sitemaps, ``crawl`` turns URLs into documents for ingest, and
``state`` remembers what was seen so a second crawl fetches only what is new.
"""

from index.web.crawl import Crawler, CrawlReport, is_listing_file, is_url
from index.web.fetch import Fetcher, FetchPolicy
from index.web.pages import Article
from index.web.state import CrawlState, state_path

__all__ = [
    "Article",
    "CrawlReport",
    "CrawlState",
    "Crawler",
    "FetchPolicy",
    "Fetcher",
    "is_listing_file",
    "is_url",
    "state_path",
]
