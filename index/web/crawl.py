"""From URLs and feed files to documents: article pages, and every item of feeds and sitemaps.

:meth:`Crawler.documents` is a generator the ingest pipeline consumes like any other source of
documents. Each failure (a 404, a timeout, a page too large, robots.txt saying no) is reported with
its URL and reason and the crawl goes on with the next item. What was ingested is written to the
crawl state only by :meth:`Crawler.commit`, after the index has saved it, so a crash never marks an
article seen that the index does not hold.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from index.documents import Document
from index.errors import DocumentError, FetchError
from index.web.fetch import Fetcher
from index.web.listings import Item, Listing, looks_like_listing, parse_listing
from index.web.pages import Article, parse_article
from index.web.state import CrawlState

LISTING_SUFFIXES = frozenset({".xml", ".rss", ".atom"})
MAX_SITEMAP_DEPTH = 2  # a sitemap index of sitemap indexes, no deeper
PAGES_IN_FLIGHT = 8  # items handed to the fetch threads at a time, per concurrent fetch

ErrorHandler = Callable[[DocumentError], None]


def is_url(target: str | Path) -> bool:
    return isinstance(target, str) and "://" in target[:12]


def is_listing_file(target: str | Path) -> bool:
    return not is_url(target) and Path(target).suffix.lower() in LISTING_SUFFIXES


@dataclass
class CrawlReport:
    """What a crawl did, in numbers; failures are reported as they happen, to the error handler."""

    listings: int = 0  # feeds and sitemaps read
    listings_unchanged: int = 0  # answered 304 Not Modified
    listings_deferred: int = 0  # skipped: failed recently, backing off
    items: int = 0  # article URLs listed
    seen: int = 0  # listed as before: not fetched again
    deferred: int = 0  # failed recently: not fetched again yet
    fetched: int = 0  # pages fetched and read
    duplicates: int = 0  # listed twice, or the same canonical URL as another item of this crawl
    unchanged: int = 0  # fetched again (its entry changed) but the article is as ingested before
    failed: int = 0
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.listings} feeds/sitemaps read"]
        if self.listings_unchanged:
            parts.append(f"{self.listings_unchanged} unchanged")
        parts.append(f"{self.items} item{'s' if self.items != 1 else ''} listed")
        parts.append(f"{self.fetched} page{'s' if self.fetched != 1 else ''} fetched")
        if self.seen:
            parts.append(f"{self.seen} seen before")
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicates")
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        if self.deferred or self.listings_deferred:
            parts.append(f"{self.deferred + self.listings_deferred} deferred after failures")
        if self.failed:
            parts.append(f"{self.failed} failed")
        return ", ".join(parts)


@dataclass(frozen=True)
class _Pending:
    url: str
    fingerprint: str
    article: Article


class Crawler:
    """Turns URLs and listing files into documents, remembering what it saw in a :class:`CrawlState`."""

    def __init__(
        self,
        fetcher: Fetcher,
        state: CrawlState | None = None,
        *,
        on_error: ErrorHandler | None = None,
        listing_backoff: float | None = None,
    ) -> None:
        """``listing_backoff``: seconds to wait before reading a feed or sitemap again after it failed
        (doubling with each failure in a row); None reads every listing given, as a person asked."""
        self.fetcher = fetcher
        self.state = state
        self.report = CrawlReport()
        self._on_error = on_error
        self._listing_backoff = listing_backoff
        self._pending: list[_Pending] = []
        self._this_run: set[str] = set()  # item URLs and canonical URLs handled in this crawl

    # -- entry points --

    def documents(self, targets: Iterable[str | Path]) -> Iterator[Document]:
        """Documents for article URLs, feed and sitemap URLs, and feed or sitemap files, in order."""
        for target in targets:
            try:
                if is_url(target):
                    try:
                        yield from self._url(str(target))
                    except DocumentError as exc:
                        if self.state:
                            self.state.listing_failed(str(target), str(exc), self._listing_backoff or 0.0)
                        raise
                else:
                    path = Path(target)
                    try:
                        body = path.read_bytes()
                    except OSError as exc:
                        raise DocumentError(f"{path}: cannot read ({exc.strerror or exc})") from None
                    yield from self._listing(parse_listing(body, path.resolve().as_uri()), depth=0)
            except DocumentError as exc:
                self._fail(exc)

    def article(self, url: str) -> Article:
        """One page fetched and read (for an API call that adds a single article)."""
        return parse_article(self.fetcher.get(url, kind="page"))

    def commit(self) -> None:
        """Remember the articles handed out so far; call once the index has saved them."""
        if self.state is not None and self._pending:
            self.state.record_items(
                [
                    (
                        p.url,
                        p.fingerprint,
                        p.article.url,
                        p.article.content_hash,
                        p.article.source_id,
                        p.article.title,
                        p.article.author,
                    )
                    for p in self._pending
                ]
            )
        self._pending.clear()

    # -- the work --

    def _url(self, url: str) -> Iterator[Document]:
        if self._deferred_listing(url):
            return
        seen = self.state.listing(url) if self.state else None
        response = self.fetcher.get(
            url, kind="any", etag=seen.etag if seen else None, last_modified=seen.last_modified if seen else None
        )
        if response.not_modified:
            self.report.listings += 1
            self.report.listings_unchanged += 1
            return
        if response.content_type in {"text/html", "application/xhtml+xml"} and not looks_like_listing(response.body):
            item = Item(url=url, fingerprint="")
            yield from self._articles([(item, parse_article(response))])
            return
        listing = parse_listing(response.body, response.url)
        yield from self._listing(listing, depth=0)
        if self.state:
            self.state.listing_read(url, response.etag, response.last_modified)

    def _deferred_listing(self, url: str) -> bool:
        if self._listing_backoff is None or self.state is None:
            return False
        seen = self.state.listing(url)
        if seen and seen.retry_after and seen.retry_after > time.time():
            self.report.listings_deferred += 1
            return True
        return False

    def _listing(self, listing: Listing, depth: int) -> Iterator[Document]:
        self.report.listings += 1
        for child in listing.children:
            if depth >= MAX_SITEMAP_DEPTH:
                self._fail(FetchError(f"{child}: sitemap indexes nested deeper than {MAX_SITEMAP_DEPTH}; not read"))
                continue
            try:
                if not self.fetcher.allowed(child):
                    raise FetchError(f"{child}: robots.txt of {urlsplit(child).netloc} does not allow crosscheck")
                response = self.fetcher.get(child, kind="sitemap")
                yield from self._listing(parse_listing(response.body, response.url), depth + 1)
            except DocumentError as exc:
                self._fail(exc)
        todo = [item for item in listing.items if self._wanted(item)]
        step = max(1, self.fetcher.policy.concurrency) * PAGES_IN_FLIGHT
        for start in range(0, len(todo), step):
            batch = todo[start : start + step]
            with ThreadPoolExecutor(max_workers=max(1, self.fetcher.policy.concurrency)) as pool:
                outcomes = list(pool.map(self._fetch_item, batch))
            yield from self._articles(list(zip(batch, outcomes, strict=True)))

    def _wanted(self, item: Item) -> bool:
        """Whether an item must be fetched: not handled in this crawl, changed or new, not backing off."""
        self.report.items += 1
        if item.url in self._this_run:
            self.report.duplicates += 1
            return False
        self._this_run.add(item.url)
        seen = self.state.item(item.url) if self.state else None
        if seen is not None:
            if seen.source_id is not None and seen.fingerprint == item.fingerprint:
                self.report.seen += 1
                return False
            if seen.retry_after and seen.retry_after > time.time():
                self.report.deferred += 1
                return False
        return True

    def _fetch_item(self, item: Item) -> Article | DocumentError:
        try:
            if not self.fetcher.allowed(item.url):
                raise FetchError(f"{item.url}: robots.txt of {urlsplit(item.url).netloc} does not allow crosscheck")
            return parse_article(self.fetcher.get(item.url, kind="page"))
        except DocumentError as exc:
            return exc

    def _articles(self, outcomes: list[tuple[Item, Article | DocumentError]]) -> Iterator[Document]:
        for item, outcome in outcomes:
            if isinstance(outcome, DocumentError):
                self._fail(outcome, item_url=item.url)
                continue
            article = outcome
            self.report.fetched += 1
            if article.url != item.url and article.url in self._this_run:
                self.report.duplicates += 1
                continue
            self._this_run.add(article.url)
            if self.state and self.state.known_article(article.url, article.content_hash):
                self.report.unchanged += 1
                self._pending.append(_Pending(item.url, item.fingerprint, article))
                continue
            try:
                document = article.document(title=item.title, published=item.published, language=item.language)
            except DocumentError as exc:
                self._fail(FetchError(f"{item.url}: {exc}"), item_url=item.url)
                continue
            self._pending.append(_Pending(item.url, item.fingerprint, article))
            yield document

    def _fail(self, error: DocumentError, *, item_url: str | None = None) -> None:
        self.report.failed += 1
        self.report.failures.append(str(error))
        if self.state and item_url:
            self.state.item_failed(item_url, str(error))
        if self._on_error:
            self._on_error(error)
