"""The fetcher's safety and politeness rules, against local servers (nothing here reaches the internet)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from index.errors import FetchError, FetchRefusedError
from index.web.fetch import Fetcher, FetchPolicy, is_public
from tests.index.web.site import NewsSites


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1",
     "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1"],
)  # fmt: skip
def test_non_public_addresses(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"])
def test_public_addresses(address: str) -> None:
    assert is_public(address)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.org/feed.xml", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("http://user:secret@example.org/", "user name or password"),
        ("http://127.0.0.1:9/", "loopback, private or link-local"),
        ("http://[::1]/", "loopback, private or link-local"),
        ("http://169.254.169.254/latest/meta-data/", "loopback, private or link-local"),
        ("http://intranet.test/", "intranet.test resolves to 10.0.0.7"),
        ("http://mixed.test/", "resolves to 10.0.0.8"),  # one private answer among public ones is enough
        ("not a url", "only http and https"),
    ],
)
def test_refused_urls_name_the_url_and_why(url: str, why: str) -> None:
    resolver = {"intranet.test": ["10.0.0.7"], "mixed.test": ["93.184.216.34", "10.0.0.8"]}
    fetcher = Fetcher(FetchPolicy(), resolver=lambda host, port: resolver[host])
    with pytest.raises(FetchRefusedError) as caught:
        fetcher.get(url)
    assert str(caught.value).startswith(url) and why in str(caught.value)
    assert fetcher.requests == 0  # refused before any connection


def test_connects_to_the_checked_address_with_the_host_name_kept(sites: NewsSites, policy: FetchPolicy) -> None:
    """The name is resolved once, by the fetcher; the request goes to that address (no second lookup to rebind)."""
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    port = sites.wire.server.port
    with Fetcher(policy, resolver=resolve) as fetcher:
        response = fetcher.get(f"http://wire.test:{port}/feed.xml", kind="feed")
    assert response.status == 200 and b"<rss" in response.body
    assert lookups == ["wire.test"]
    request, _ = sites.wire.server.log[-1]
    assert request.headers["Host"] == f"wire.test:{port}"
    assert request.headers["User-Agent"].startswith("crosscheck/")


def test_every_redirect_is_checked_again(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A public page redirecting into the private network is refused at the redirect, before connecting."""
    monkeypatch.setattr("index.web.fetch.is_public", lambda address: address == "127.0.0.1")  # the test server
    httpserver.expect_request("/go").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    with Fetcher(FetchPolicy()) as fetcher, pytest.raises(FetchRefusedError) as caught:
        fetcher.get(httpserver.url_for("/go"))
    assert "http://169.254.169.254/latest/meta-data/" in str(caught.value)
    assert fetcher.requests == 1


def test_redirects_are_followed_and_limited(sites: NewsSites, policy: FetchPolicy) -> None:
    with Fetcher(policy) as fetcher:
        moved = fetcher.get(sites.wire.url("/moved"), kind="page")
        assert moved.url == sites.wire.url("/2022/02/moved-here")
        with pytest.raises(FetchError, match=r"/loop: more than 5 redirects"):
            fetcher.get(sites.wire.url("/loop"))
    with Fetcher(replace(policy, max_redirects=0)) as fetcher, pytest.raises(FetchError, match="more than 0"):
        fetcher.get(sites.wire.url("/moved"))


@pytest.mark.parametrize(
    ("path", "kind", "why"),
    [
        ("/missing", "page", "the server answered 404 NOT FOUND"),
        ("/slow", "page", "timed out"),
        ("/huge", "page", "is over the 1,048,576-byte limit"),
        ("/report.pdf", "page", "content type application/pdf is not a web page"),
        ("/feed.xml", "page", "content type application/rss+xml is not a web page"),
        ("/2022/02/story-1", "feed", "content type text/html is not a feed"),
    ],
)
def test_failures_name_the_url_and_why(sites: NewsSites, policy: FetchPolicy, path: str, kind: str, why: str) -> None:
    url = sites.wire.url(path)
    with Fetcher(policy) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get(url, kind=kind)  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"{url}: ") and why in str(caught.value), caught.value


def test_a_body_without_a_declared_length_is_cut_at_the_limit(httpserver: HTTPServer, policy: FetchPolicy) -> None:
    sent: list[int] = []

    def endless(request: Request) -> Response:
        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(10_000):
                sent.append(1)
                yield b"<p>" + b"x" * 1021

        return Response(chunks(), content_type="text/html")

    httpserver.expect_request("/stream").respond_with_handler(endless)
    with Fetcher(policy) as fetcher, pytest.raises(FetchError, match="larger than the 1,048,576-byte limit"):
        fetcher.get(httpserver.url_for("/stream"), kind="page")
    assert len(sent) < 10_000  # reading stopped; the body was not drained


def test_conditional_get(sites: NewsSites, policy: FetchPolicy) -> None:
    with Fetcher(policy) as fetcher:
        first = fetcher.get(sites.wire.feed_url, kind="feed")
        assert first.etag
        again = fetcher.get(sites.wire.feed_url, kind="feed", etag=first.etag)
    assert again.not_modified and again.body == b""


def test_robots_txt(sites: NewsSites, policy: FetchPolicy, httpserver: HTTPServer) -> None:
    with Fetcher(policy) as fetcher:
        assert fetcher.allowed(sites.wire.url("/2022/02/story-1"))
        assert not fetcher.allowed(sites.wire.url("/private/memo"))
        assert fetcher.allowed(sites.wire.url("/about"))
        robots = [r for r, _ in sites.wire.server.log if r.path == "/robots.txt"]
        assert len(robots) == 1  # once per site
        # no robots.txt (404): everything allowed; one that fails (500): nothing, for now
        httpserver.expect_request("/robots.txt").respond_with_data("oops", status=500)
        assert not fetcher.allowed(httpserver.url_for("/page"))
    with Fetcher(replace(policy, respect_robots=False)) as fetcher:
        assert fetcher.allowed(sites.wire.url("/private/memo"))


def test_the_next_checked_address_is_tried_when_one_refuses(sites: NewsSites, policy: FetchPolicy) -> None:
    """127.0.0.2 refuses the connection (nothing listens there); 127.0.0.1, also checked, answers."""
    port = sites.wire.server.port
    resolver = {"two.test": ["127.0.0.2", "127.0.0.1"], "none.test": ["127.0.0.2"]}
    with Fetcher(policy, resolver=lambda host, _port: resolver[host]) as fetcher:
        assert fetcher.get(f"http://two.test:{port}/feed.xml", kind="feed").status == 200
        assert fetcher.requests == 2
        with pytest.raises(FetchError, match=rf"^http://none.test:{port}/feed.xml: cannot connect"):
            fetcher.get(f"http://none.test:{port}/feed.xml")
