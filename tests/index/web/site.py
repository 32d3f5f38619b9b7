"""Three small news sites on local HTTP servers, for the fetch and crawl tests (nothing reaches the internet).

- ``wire``: an English wire service; an RSS 2.0 feed of 12 articles plus the failure cases (a 404, a slow
  page, a page over the size limit, a binary file, a redirect loop, a page robots.txt forbids) and one
  item behind a working redirect; a sitemap of its articles. The feed answers 304 to a matching ETag.
- ``nieuws``: a Dutch site; an Atom feed of 10 articles.
- ``daily``: an English paper; an RSS feed of 8 articles, 2 of them syndicated copies of wire articles
  (the same text, a canonical link to the wire's page).

Each site is its own server (its own host:port), so URLs on different sites differ in host as they do
on the web. Feeds are rendered on every request, so a test can add an item and read the feed again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape

from pytest_httpserver import HTTPServer, URIPattern
from werkzeug import Request, Response

SLOW_SECONDS = 3.0  # the slow page answers after this; tests set the fetch timeout below it
HUGE_BYTES = 3 * 1024 * 1024  # the huge page; tests set the size limit below it

CITIES = ["Rotterdam", "Utrecht", "Leeds", "Bristol", "Gent", "Lyon", "Porto", "Graz", "Turin", "Aarhus", "Malmo",
          "Cork", "Bergen", "Tartu"]  # fmt: skip
TOPICS_EN = [
    ("the city council", "approved a budget of {n} million euros for new tram lines"),
    ("the port authority", "reported that {n} thousand containers were handled last month"),
    ("the regional hospital", "opened a wing with {n} beds after two years of building"),
    ("the university", "admitted {n} hundred more students than the year before"),
    ("the water board", "raised the dikes along {n} kilometres of the river"),
    ("the transport ministry", "ordered {n} electric buses from a Spanish maker"),
]
TOPICS_NL = [
    ("de gemeenteraad", "keurde een begroting van {n} miljoen euro goed voor nieuwe tramlijnen"),
    ("het havenbedrijf", "meldde dat vorige maand {n} duizend containers zijn overgeslagen"),
    ("het ziekenhuis", "opende een vleugel met {n} bedden na twee jaar bouwen"),
    ("de universiteit", "liet {n} honderd meer studenten toe dan een jaar eerder"),
    ("het waterschap", "verhoogde de dijken over {n} kilometer langs de rivier"),
]


@dataclass
class Article:
    path: str
    title: str
    author: str
    published: str  # YYYY-MM-DD
    language: str
    paragraphs: list[str]
    canonical: str | None = None  # absolute URL; None: the page's own

    def html(self, base: str) -> str:
        canonical = self.canonical or f"{base}{self.path}"
        body = "\n".join(f"<p>{escape(p)}</p>" for p in self.paragraphs)
        return (
            f'<!doctype html><html lang="{self.language}"><head><meta charset="utf-8">'
            f"<title>{escape(self.title)} | {escape(base)}</title>"
            f'<link rel="canonical" href="{escape(canonical)}">'
            f'<meta name="author" content="{escape(self.author)}">'
            f'<meta property="og:title" content="{escape(self.title)}">'
            f'<meta property="article:published_time" content="{self.published}T08:00:00+01:00">'
            f"</head><body><nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
            f"<article><h1>{escape(self.title)}</h1>{body}</article>"
            f"<footer>Copyright the publisher. All rights reserved.</footer></body></html>"
        )


def english_article(i: int, path: str) -> Article:
    who, what = TOPICS_EN[i % len(TOPICS_EN)]
    city = CITIES[i % len(CITIES)]
    n = 12 + 7 * i
    day = f"2022-02-{1 + i % 27:02d}"
    paragraphs = [
        f"In {city}, {who} {what.format(n=n)} on Tuesday, officials said in a statement.",
        f"The decision in {city} follows months of debate about costs; critics said the {n} figure was too high "
        f"while supporters pointed to a report from {2018 + i % 4} that found demand growing every year.",
        f"A spokesperson for {who} told reporters that work would start in the spring and that residents of "
        f"{city} would be informed by letter. Item number {i} in this series was written for the tests.",
    ]
    return Article(path, f"{city}: {who} moves on plan {i}", f"Reporter {i}", day, "en", paragraphs)


def dutch_article(i: int, path: str) -> Article:
    who, what = TOPICS_NL[i % len(TOPICS_NL)]
    city = CITIES[(i + 3) % len(CITIES)]
    n = 15 + 9 * i
    day = f"2022-03-{1 + i % 27:02d}"
    paragraphs = [
        f"In {city} {what.format(n=n)}, zo maakte {who} dinsdag bekend in een verklaring.",
        f"Het besluit in {city} volgt op maanden van discussie over de kosten; critici vonden het getal {n} "
        f"te hoog, terwijl voorstanders wezen op een rapport uit {2018 + i % 4} waaruit bleek dat de vraag elk "
        "jaar groeit.",
        f"Een woordvoerder van {who} zei tegen verslaggevers dat het werk in het voorjaar begint en dat de "
        f"inwoners van {city} per brief worden ingelicht. Dit is bericht nummer {i} van de reeks voor de tests.",
    ]
    return Article(path, f"{city}: {who} zet plan {i} door", f"Verslaggever {i}", day, "nl", paragraphs)


@dataclass
class Site:
    name: str
    server: HTTPServer
    language: str
    feed_format: str  # "rss" or "atom"
    articles: list[Article] = field(default_factory=list)
    unlisted: list[Article] = field(default_factory=list)  # served, but not in the feed or sitemap
    extra_items: list[tuple[str, str]] = field(default_factory=list)  # (path, title) listed in the feed, no article
    page_hits: dict[str, int] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def feed_url(self) -> str:
        return f"{self.base}/feed.xml"

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def feed(self) -> str:
        items = [(a.path, a.title, a.published) for a in self.articles]
        items += [(path, title, "2022-02-15") for path, title in self.extra_items]
        if self.feed_format == "atom":
            entries = "".join(
                f"<entry><title>{escape(t)}</title><link href='{self.url(p)}'/><id>{self.url(p)}</id>"
                f"<updated>{d}T08:00:00Z</updated><summary>{escape(t)}</summary></entry>"
                for p, t, d in items
            )
            return (
                f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom' "
                f"xml:lang='{self.language}'><title>{self.name}</title><id>{self.base}/</id>"
                f"<updated>2022-03-30T08:00:00Z</updated>{entries}</feed>"
            )
        entries = "".join(
            f"<item><title>{escape(t)}</title><link>{self.url(p)}</link><guid>{self.url(p)}</guid>"
            f"<pubDate>{format_datetime(datetime.fromisoformat(d).replace(hour=8, tzinfo=UTC))}</pubDate>"
            f"<description>{escape(t)}</description></item>"
            for p, t, d in items
        )
        return (
            f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{self.name}</title>"
            f"<link>{self.base}/</link><language>{self.language}</language>{entries}</channel></rss>"
        )

    def sitemap(self) -> str:
        urls = "".join(
            f"<url><loc>{self.url(a.path)}</loc><lastmod>{a.published}</lastmod></url>" for a in self.articles
        )
        return (
            "<?xml version='1.0' encoding='utf-8'?>"
            f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>"
        )

    # -- serving --

    def serve(self) -> None:
        self.server.expect_request("/feed.xml").respond_with_handler(self._feed)
        self.server.expect_request("/sitemap.xml").respond_with_handler(self._sitemap)
        self.server.expect_request("/robots.txt").respond_with_data(
            "User-agent: *\nDisallow: /private/\n", content_type="text/plain"
        )
        self.server.expect_request("/about").respond_with_data(
            "<html><body>About us</body></html>", content_type="text/html"
        )
        self.server.expect_request(_ArticlePath(self)).respond_with_handler(self._article)

    def _feed(self, request: Request) -> Response:
        body = self.feed()
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        kind = "application/atom+xml" if self.feed_format == "atom" else "application/rss+xml"
        return Response(body, content_type=f"{kind}; charset=utf-8", headers={"ETag": etag})

    def _sitemap(self, request: Request) -> Response:
        return Response(self.sitemap(), content_type="application/xml")

    def _article(self, request: Request) -> Response:
        article = next(a for a in self.articles + self.unlisted if a.path == request.path)
        self.page_hits[request.path] = self.page_hits.get(request.path, 0) + 1
        return Response(article.html(self.base), content_type="text/html; charset=utf-8")

    def page_fetches(self) -> int:
        return sum(self.page_hits.values())


class _ArticlePath(URIPattern):
    """Matches the paths of a site's articles, including ones added while the test runs."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def match(self, uri: str) -> bool:
        return any(a.path == uri for a in self.site.articles + self.site.unlisted)


@dataclass
class NewsSites:
    wire: Site
    nieuws: Site
    daily: Site

    @property
    def feeds(self) -> list[str]:
        return [self.wire.feed_url, self.nieuws.feed_url, self.daily.feed_url]

    @property
    def sites(self) -> list[Site]:
        return [self.wire, self.nieuws, self.daily]

    def page_fetches(self) -> int:
        return sum(site.page_fetches() for site in self.sites)

    @property
    def failing(self) -> dict[str, str]:
        """The wire feed's failing items: URL -> a word the failure message must contain."""
        return {
            self.wire.url("/missing"): "404",
            self.wire.url("/slow"): "timed out",
            self.wire.url("/huge"): "limit",
            self.wire.url("/report.pdf"): "content type application/pdf",
            self.wire.url("/loop"): "redirects",
            self.wire.url("/private/memo"): "robots.txt",
        }


def _serve_failures(site: Site) -> None:
    server = site.server
    server.expect_request("/missing").respond_with_data("not here", status=404, content_type="text/html")

    def slow(request: Request) -> Response:
        time.sleep(SLOW_SECONDS)
        return Response("<html><body><p>late</p></body></html>", content_type="text/html")

    server.expect_request("/slow").respond_with_handler(slow)
    server.expect_request("/huge").respond_with_data(
        "<html><body>" + "<p>word</p>" * (HUGE_BYTES // 11) + "</body></html>", content_type="text/html"
    )
    server.expect_request("/report.pdf").respond_with_data(b"%PDF-1.7\x00\x01\x02", content_type="application/pdf")
    server.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop2"})
    server.expect_request("/loop2").respond_with_data("", status=302, headers={"Location": "/loop"})
    server.expect_request("/moved").respond_with_data("", status=301, headers={"Location": "/2022/02/moved-here"})
    site.extra_items += [
        ("/missing", "A page that is gone"),
        ("/slow", "A page that takes too long"),
        ("/huge", "A page over the size limit"),
        ("/report.pdf", "A PDF, not a page"),
        ("/loop", "A redirect loop"),
        ("/private/memo", "A page robots.txt forbids"),
        ("/moved", "An article that moved"),
    ]


@contextmanager
def news_sites() -> Iterator[NewsSites]:
    """The three sites, started; 30 articles in all (12 wire + 1 moved, 10 Dutch, 7 daily of which 2 copies)."""
    with ExitStack() as stack:
        servers = []
        for _ in range(3):
            server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
            server.start()
            stack.callback(server.stop)
            servers.append(server)
        wire = Site("Wire", servers[0], "en", "rss")
        nieuws = Site("Nieuws", servers[1], "nl", "atom")
        daily = Site("Daily", servers[2], "en", "rss")
        wire.articles = [english_article(i, f"/2022/02/story-{i}") for i in range(12)]
        wire.unlisted.append(english_article(12, "/2022/02/moved-here"))
        nieuws.articles = [dutch_article(i, f"/nieuws/bericht-{i}") for i in range(10)]
        daily.articles = [english_article(20 + i, f"/local/{i}") for i in range(5)]
        for n, original in enumerate(wire.articles[:2]):  # syndicated: the wire's text under the paper's URL
            copy = english_article(int(original.path.rsplit("-", 1)[1]), f"/wire/{n}")
            copy.canonical = wire.url(original.path)
            daily.articles.append(copy)
        for site in (wire, nieuws, daily):
            site.serve()
        _serve_failures(wire)
        yield NewsSites(wire, nieuws, daily)
