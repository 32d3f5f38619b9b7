"""Feeds (RSS, Atom) and sitemaps: lists of article URLs with what the listing says about each.

feedparser reads every feed dialect; a sitemap (or sitemap index) is plain XML in the sitemaps.org
namespace, with Google News' extension read for titles, dates and languages when present.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urljoin

from index.documents import normalize_published
from index.errors import DocumentError, FetchError

ListingKind = Literal["feed", "sitemap", "sitemap index"]
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@dataclass(frozen=True)
class Item:
    """One entry of a listing: an article URL and the listing's hints about it."""

    url: str
    title: str | None = None
    published: str | None = None
    language: str | None = None
    fingerprint: str = ""  # changes when the listing's entry changes (title, date, summary)


@dataclass(frozen=True)
class Listing:
    kind: ListingKind
    url: str
    title: str | None = None
    items: list[Item] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # the sitemaps a sitemap index names


def looks_like_listing(body: bytes) -> bool:
    """Whether a body is XML (a feed or sitemap) rather than an HTML page."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<?xml") or head.startswith((b"<rss", b"<feed", b"<rdf", b"<urlset", b"<sitemapindex"))


def parse_listing(body: bytes, url: str) -> Listing:
    """A feed or sitemap from its bytes; ``url`` is where it came from (relative links resolve against it)."""
    root = _root_name(body)
    if root in {"urlset", "sitemapindex"}:
        return _sitemap(body, url)
    return _feed(body, url)


def _root_name(body: bytes) -> str | None:
    try:
        for _event, element in ET.iterparse(_BytesReader(body), events=("start",)):
            return str(element.tag).rsplit("}", 1)[-1]
    except ET.ParseError:
        return None
    return None


class _BytesReader:
    """A minimal file object over bytes, read in small pieces so iterparse stops early."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        size = 4096 if size < 0 else min(size, 4096)
        chunk = self._data[self._at : self._at + size]
        self._at += len(chunk)
        return chunk


def _feed(body: bytes, url: str) -> Listing:
    import feedparser

    parsed: Any = feedparser.parse(body, response_headers={"content-location": url})
    entries = parsed.get("entries") or []
    version = parsed.get("version") or ""
    if not version and not entries:
        problem = parsed.get("bozo_exception")
        why = f" ({problem})" if problem else ""
        raise FetchError(f"{url}: not an RSS or Atom feed, nor a sitemap{why}")
    feed = parsed.get("feed") or {}
    language = _language(feed.get("language"))
    items: list[Item] = []
    for entry in entries:
        link = entry.get("link") or _alternate(entry)
        if not link:
            continue
        # dict.get: feedparser's own get maps a missing 'updated' to 'published' with a warning
        updated = dict.get(entry, "updated")
        published = _struct_date(entry.get("published_parsed") or dict.get(entry, "updated_parsed"))
        items.append(
            Item(
                url=urljoin(url, link),
                title=entry.get("title") or None,
                published=published,
                language=_language(entry.get("language")) or language,
                fingerprint=_fingerprint(
                    link, entry.get("title"), updated or entry.get("published"), entry.get("summary")
                ),
            )
        )
    return Listing("feed", url, title=feed.get("title") or None, items=items)


def _alternate(entry: Any) -> str | None:
    for link in entry.get("links") or []:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    return None


def _sitemap(body: bytes, url: str) -> Listing:
    try:
        root = ET.fromstring(body)  # ElementTree resolves no external entities
    except ET.ParseError as exc:
        raise FetchError(f"{url}: not a readable sitemap ({exc})") from None
    if root.tag.endswith("sitemapindex"):
        children = [urljoin(url, loc) for loc in _texts(root, "sitemap", "loc")]
        return Listing("sitemap index", url, children=children)
    items: list[Item] = []
    for node in root:
        if not node.tag.endswith("url"):
            continue
        loc = _child_text(node, "loc")
        if not loc:
            continue
        lastmod = _child_text(node, "lastmod")
        news = node.find(f"{NEWS}news")
        title = language = published = None
        if news is not None:
            title = _child_text(news, "title")
            published = _child_text(news, "publication_date")
            publication = news.find(f"{NEWS}publication")
            language = _language(_child_text(publication if publication is not None else news, "language"))
        items.append(
            Item(
                url=urljoin(url, loc),
                title=title,
                published=_iso_date(published or lastmod),
                language=language,
                fingerprint=_fingerprint(loc, title, lastmod or published, None),
            )
        )
    return Listing("sitemap", url, items=items)


def _texts(root: ET.Element, child: str, leaf: str) -> list[str]:
    out: list[str] = []
    for node in root:
        if node.tag.endswith(child):
            text = _child_text(node, leaf)
            if text:
                out.append(text)
    return out


def _child_text(node: ET.Element, name: str) -> str | None:
    for child in node:
        if child.tag.rsplit("}", 1)[-1] == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def _language(value: Any) -> str | None:
    if not isinstance(value, str) or len(value.strip()) < 2 or not value.strip()[:2].isalpha():
        return None
    return value.strip()[:2].lower()


def _struct_date(value: time.struct_time | None) -> str | None:
    if value is None:
        return None
    return time.strftime("%Y-%m-%d", time.gmtime(calendar.timegm(value)))


def _iso_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return normalize_published(value)
    except DocumentError:
        return None


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps([p if isinstance(p, str) else None for p in parts]).encode()).hexdigest()[:32]
