"""A fetched web page as an article: its text and what the page says about itself.

trafilatura finds the article body and the metadata (title, author, date, canonical URL); the
language is the one the page declares. The source id is made from the URL, so fetching the same
article again replaces it rather than adding a copy.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from index.documents import Document, normalize_published
from index.errors import DocumentError, FetchError
from index.web.fetch import Response

_LANG = re.compile(r"<html[^>]*\blang=[\"']?([a-zA-Z]{2})(?:[-_][a-zA-Z]+)?\b", re.I)
_UNSAFE = re.compile(r"[^A-Za-z0-9._~:-]+")
SOURCE_ID_STEM = 120  # characters of host and path kept readable in a source id


@dataclass(frozen=True)
class Article:
    """One page's article; ``url`` is its canonical URL (see :func:`canonical_url`)."""

    url: str
    fetched_from: str
    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    language: str | None = None
    declared_canonical: str | None = None  # on another site: this page is a copy (syndication)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def source_id(self) -> str:
        return source_id_for(self.url)

    def document(
        self,
        *,
        source_id: str | None = None,
        title: str | None = None,
        published: str | None = None,
        language: str | None = None,
    ) -> Document:
        """The article as a document; the given fields fill in what the page itself does not say."""
        return Document(
            source_id=source_id or self.source_id,
            text=self.text,
            title=self.title or title,
            url=self.url,
            published=self.published or published,
            language=self.language or language,
            path=self.fetched_from,
        )


def strip_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def canonical_url(fetched: str, declared: str | None) -> str:
    """The page's declared canonical URL when it is on the same site, else the URL it was fetched from.

    A canonical link to another site marks a syndicated copy: the copy is still its own source (another
    outlet published it), so it keeps its own URL.
    """
    fetched = strip_fragment(fetched)
    if not declared:
        return fetched
    declared_parts = urlsplit(declared)
    if declared_parts.scheme in {"http", "https"} and declared_parts.netloc == urlsplit(fetched).netloc:
        return strip_fragment(declared)
    return fetched


def source_id_for(url: str) -> str:
    """A readable, stable source id for a URL: host and path, then a hash of the whole URL."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1].removeprefix("www.")
    path = _UNSAFE.sub("-", f"{parts.path}?{parts.query}" if parts.query else parts.path).strip("-")
    stem = f"{host}-{path}" if path else host
    digest = hashlib.sha256(url.encode()).hexdigest()[:10]
    return f"{stem[:SOURCE_ID_STEM].rstrip('-')}-{digest}"


def parse_article(response: Response) -> Article:
    """The article on a fetched HTML page; a page without article text is an error naming the URL."""
    import trafilatura

    html = response.text()
    try:
        extracted: Any = trafilatura.bare_extraction(
            html,
            url=response.url,
            with_metadata=True,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
        )
    except Exception as exc:  # trafilatura raises assorted lxml errors on broken markup
        raise FetchError(f"{response.url}: the page could not be parsed ({type(exc).__name__}: {exc})") from None
    text = (getattr(extracted, "text", None) or "").strip() if extracted is not None else ""
    if not text:
        raise FetchError(f"{response.url}: no article text found on the page")
    declared = getattr(extracted, "url", None) or None
    if declared == response.url:
        declared = None
    published: str | None = getattr(extracted, "date", None) or None
    if published:
        try:
            published = normalize_published(published)
        except DocumentError:
            published = None
    language = _LANG.search(html[:5000])
    url = canonical_url(response.url, declared)
    return Article(
        url=url,
        fetched_from=response.url,
        text=text,
        title=getattr(extracted, "title", None) or None,
        author=getattr(extracted, "author", None) or None,
        published=published,
        language=language.group(1).lower() if language else None,
        declared_canonical=declared if declared and strip_fragment(declared) != url else None,
    )
