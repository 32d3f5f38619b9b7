"""Crawling the three local news sites: every reachable article with its metadata, every failure named,
nothing fetched twice, new items picked up."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.documents import Document
from index.errors import DocumentError
from index.web import Crawler, CrawlState, Fetcher, FetchPolicy
from index.web.pages import source_id_for
from tests.index.web.site import NewsSites, dutch_article


def crawl(
    policy: FetchPolicy, state: CrawlState | None, targets: list[str]
) -> tuple[list[Document], list[str], Crawler]:
    errors: list[str] = []

    def record(error: DocumentError) -> None:
        errors.append(str(error))

    with Fetcher(policy) as fetcher:
        crawler = Crawler(fetcher, state, on_error=record)
        documents = list(crawler.documents(targets))
        crawler.commit()
    return documents, errors, crawler


@pytest.fixture
def state(tmp_path: Path) -> CrawlState:
    return CrawlState(tmp_path / "fetched.sqlite")


def test_the_feeds_give_every_reachable_article_with_its_metadata(
    sites: NewsSites, policy: FetchPolicy, state: CrawlState
) -> None:
    documents, errors, crawler = crawl(policy, state, sites.feeds)

    assert len(documents) == 30
    assert len({d.source_id for d in documents}) == 30
    by_url = {d.url: d for d in documents}
    for site in sites.sites:
        for article in site.articles:
            document = by_url[site.url(article.path)]
            assert document.title == article.title
            assert document.published == article.published
            assert document.language == article.language
            assert document.path == site.url(article.path)
            assert article.paragraphs[0] in document.text
    moved = sites.wire.unlisted[0]
    assert by_url[sites.wire.url(moved.path)].title == moved.title  # reached through the redirect
    assert {d.language for d in documents if sites.nieuws.base in (d.url or "")} == {"nl"}
    # the syndicated copies stay sources of their own (another outlet published them), under their own URL
    copies = [d for d in documents if "/wire/" in (d.url or "")]
    assert len(copies) == 2
    for copy in copies:
        assert copy.source_id == source_id_for(copy.url or "")
    # every failure names its URL and why; the rest of the feed was ingested regardless
    assert len(errors) == len(sites.failing) == crawler.report.failed
    for url, why in sites.failing.items():
        (message,) = [e for e in errors if e.startswith(f"{url}: ")]
        assert why in message, message
    assert crawler.report.fetched == 30 and crawler.report.listings == 3
    assert "/private/memo" not in {r.path for r, _ in sites.wire.server.log}  # robots.txt was obeyed


def test_a_second_crawl_fetches_nothing(sites: NewsSites, policy: FetchPolicy, state: CrawlState) -> None:
    crawl(policy, state, sites.feeds)
    fetched_before = sites.page_fetches()
    log_before = [len(site.server.log) for site in sites.sites]

    documents, errors, crawler = crawl(policy, state, sites.feeds)

    assert documents == [] and errors == []
    assert sites.page_fetches() == fetched_before
    # one request per feed, answered 304 Not Modified; the failed items wait (backing off) rather than retried
    new_requests = [site.server.log[n:] for site, n in zip(sites.sites, log_before, strict=True)]
    assert [[(r.path, resp.status_code) for r, resp in log] for log in new_requests] == [[("/feed.xml", 304)]] * 3
    assert crawler.report.listings_unchanged == 3


def test_a_new_item_is_the_only_page_fetched(sites: NewsSites, policy: FetchPolicy, state: CrawlState) -> None:
    crawl(policy, state, sites.feeds)
    fetched_before = sites.page_fetches()
    sites.nieuws.articles.append(dutch_article(40, "/nieuws/bericht-40"))

    documents, errors, crawler = crawl(policy, state, sites.feeds)

    assert errors == []
    assert [d.url for d in documents] == [sites.nieuws.url("/nieuws/bericht-40")]
    assert documents[0].language == "nl" and documents[0].published == "2022-03-14"
    assert sites.page_fetches() == fetched_before + 1
    assert crawler.report.seen == 10  # the Dutch feed's other items


def test_without_state_everything_is_fetched_again(sites: NewsSites, policy: FetchPolicy) -> None:
    crawl(policy, None, sites.feeds)
    documents, _, _ = crawl(policy, None, sites.feeds)
    assert len(documents) == 30


def test_a_sitemap_and_a_feed_file(sites: NewsSites, policy: FetchPolicy, tmp_path: Path) -> None:
    documents, errors, _ = crawl(policy, None, [sites.wire.url("/sitemap.xml")])
    assert errors == []
    assert sorted(d.url or "" for d in documents) == sorted(sites.wire.url(a.path) for a in sites.wire.articles)
    assert all(d.published and d.language == "en" for d in documents)

    feed_file = tmp_path / "nieuws.atom"
    feed_file.write_text(sites.nieuws.feed(), encoding="utf-8")
    documents, errors, _ = crawl(policy, None, [str(feed_file)])
    assert errors == [] and len(documents) == 10 and {d.language for d in documents} == {"nl"}


def test_an_article_url_and_bad_targets(sites: NewsSites, policy: FetchPolicy, tmp_path: Path) -> None:
    story = sites.wire.articles[3]
    junk = tmp_path / "junk.xml"
    junk.write_text("this is not xml", encoding="utf-8")
    targets = [sites.wire.url(story.path), sites.wire.url("/missing"), str(junk), str(tmp_path / "absent.rss")]
    documents, errors, _ = crawl(policy, None, targets)
    assert [d.title for d in documents] == [story.title]
    assert len(errors) == 3
    assert errors[0].startswith(sites.wire.url("/missing")) and "404" in errors[0]
    assert "not an RSS or Atom feed" in errors[1]
    assert errors[2].startswith(str(tmp_path / "absent.rss")) and "cannot read" in errors[2]


def test_private_addresses_are_refused_by_default(sites: NewsSites, policy: FetchPolicy) -> None:
    from dataclasses import replace

    documents, errors, _ = crawl(replace(policy, allow_private=False), None, [sites.wire.feed_url])
    assert documents == []
    assert errors == [
        f"{sites.wire.feed_url}: the address is 127.0.0.1, an address on a loopback, private or link-local network; "
        "such addresses are fetched only with CROSSCHECK_FETCH_ALLOW_PRIVATE=1"
    ]
