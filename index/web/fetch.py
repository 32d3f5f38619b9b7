"""Fetching pages, feeds and sitemaps over HTTP, politely and without becoming a way into private networks.

Every request goes through :meth:`Fetcher.get`:

- only ``http`` and ``https``;
- the host is resolved here and every address it resolves to is checked: loopback, private,
  link-local, reserved and other non-global addresses are refused (unless the policy allows them);
- the connection goes to the address that was checked (the URL's host is swapped for it, with
  the ``Host`` header and TLS server name kept), so DNS cannot answer differently a moment later
  (rebinding);
- redirects are followed by hand, a limited number of times, each hop checked the same way;
- the content type must suit what was asked for, the body is read up to a size limit and the whole
  fetch has a deadline;
- no proxy from the environment is used (it would connect on our behalf, past these checks).

robots.txt is honoured for URLs found in feeds and sitemaps (:meth:`Fetcher.allowed`); a URL a
person gives directly is fetched as a browser would.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import Literal
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from index.errors import FetchError, FetchRefusedError

Kind = Literal["page", "feed", "sitemap", "any", "robots"]
Resolver = Callable[[str, int], list[str]]

USER_AGENT_TOKEN = "crosscheck"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
XML_TYPES = frozenset(
    {
        "application/xml",
        "text/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/x-rss+xml",
    }
)
# Feeds and sitemaps are often served as text/plain; the parser decides then.
CONTENT_TYPES: dict[Kind, frozenset[str]] = {
    "page": HTML_TYPES,
    "feed": XML_TYPES | {"text/plain"},
    "sitemap": XML_TYPES | {"text/plain"},
    "any": HTML_TYPES | XML_TYPES,
    "robots": frozenset({"text/plain", "text/html"}),  # an HTML page there holds no rules: all allowed
}
WHAT: dict[Kind, str] = {
    "page": "a web page",
    "feed": "a feed",
    "sitemap": "a sitemap",
    "any": "a web page, feed or sitemap",
    "robots": "robots.txt",
}


@dataclass(frozen=True)
class FetchPolicy:
    """How the fetcher behaves; the service builds it from its settings (``CROSSCHECK_FETCH_*``)."""

    user_agent: str = f"{USER_AGENT_TOKEN}/0.1 (+https://github.com/crosscheck/crosscheck)"
    timeout: float = 20.0  # seconds for a whole fetch, redirects included
    connect_timeout: float = 5.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    concurrency: int = 4  # pages fetched at once
    allow_private: bool = False  # loopback/private/link-local addresses (tests, intranets)
    respect_robots: bool = True


@dataclass(frozen=True)
class Response:
    """A fetched body; ``url`` is where it was found after redirects."""

    url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        for encoding in (self.charset, "utf-8"):
            if encoding:
                try:
                    return self.body.decode(encoding)
                except (LookupError, UnicodeDecodeError):
                    continue
        return self.body.decode("utf-8", errors="replace")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: str) -> bool:
    """Whether an address is on the public internet (IPv4-mapped IPv6 judged as the IPv4 it carries)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Fetcher:
    """A thread-safe HTTP client that applies a :class:`FetchPolicy` to every request."""

    def __init__(self, policy: FetchPolicy | None = None, *, resolver: Resolver = system_resolver) -> None:
        self.policy = policy or FetchPolicy()
        self._resolve = resolver
        self._client = httpx.Client(
            trust_env=False,  # an environment proxy would connect past the address checks
            follow_redirects=False,
            timeout=httpx.Timeout(self.policy.timeout, connect=self.policy.connect_timeout),
            # No reuse of connections: they are keyed by address, and two sites on one address must not
            # share a TLS session made for the other's name.
            limits=httpx.Limits(max_keepalive_connections=0, max_connections=max(1, self.policy.concurrency) * 2),
            headers={"User-Agent": self.policy.user_agent},
        )
        self._robots: dict[str, RobotFileParser | None] = {}
        self._robots_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.requests = 0  # HTTP requests sent, redirects included (reports and tests read it)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- safety --

    def check_url(self, url: str) -> tuple[httpx.URL, list[str]]:
        """The parsed URL and the addresses to connect to, in order; refuses what policy forbids."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise FetchRefusedError(f"{url}: not a valid URL ({exc})") from None
        if parsed.scheme not in {"http", "https"}:
            raise FetchRefusedError(f"{url}: only http and https URLs are fetched, not {parsed.scheme or 'this'!r}")
        host = parsed.host
        if not host:
            raise FetchRefusedError(f"{url}: the URL has no host")
        if parsed.userinfo:
            raise FetchRefusedError(f"{url}: URLs with a user name or password are not fetched")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        where = "the address is"
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            where = f"{host} resolves to"
            try:
                addresses = self._resolve(host, port)
            except FetchError as exc:
                raise FetchError(f"{url}: {exc}") from None
        if not addresses:
            raise FetchError(f"{url}: {host} resolves to no address")
        if not self.policy.allow_private:
            private = [a for a in addresses if not is_public(a)]
            if private:
                raise FetchRefusedError(
                    f"{url}: {where} {', '.join(private)}, an address on a loopback, private or "
                    "link-local network; such addresses are fetched only with CROSSCHECK_FETCH_ALLOW_PRIVATE=1"
                )
        return parsed, addresses

    # -- fetching --

    def get(
        self,
        url: str,
        *,
        kind: Kind = "any",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response:
        """GET ``url`` under the policy; a 304 (with ``etag``/``last_modified`` given) returns an empty body.

        Raises :class:`FetchError` naming the URL and why it failed; :class:`FetchRefusedError` for URLs
        the policy forbids.
        """
        deadline = time.monotonic() + self.policy.timeout
        current = url
        for _hop in range(self.policy.max_redirects + 1):
            parsed, addresses = self.check_url(current)
            headers = {"Host": parsed.netloc.decode("ascii"), "Accept": _accept(kind)}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            response = self._send(current, parsed, addresses, headers)
            try:
                if response.status_code in REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(f"{current}: redirect {response.status_code} without a Location")
                    current = urljoin(current, location)
                    continue
                return self._read(current, response, kind, deadline)
            finally:
                response.close()
        raise FetchError(f"{url}: more than {self.policy.max_redirects} redirects (last to {current})")

    def _send(self, url: str, parsed: httpx.URL, addresses: list[str], headers: dict[str, str]) -> httpx.Response:
        """Send to the checked addresses in turn until one accepts the connection (an IPv6 address first
        on a host without IPv6, say); the name is never resolved again."""
        extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
        for n, address in enumerate(addresses):
            request = self._client.build_request(
                "GET", parsed.copy_with(host=address), headers=headers, extensions=extensions
            )
            with self._count_lock:
                self.requests += 1
            try:
                return self._client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if n + 1 < len(addresses):
                    continue
                raise FetchError(f"{url}: cannot connect ({type(exc).__name__}: {exc})") from None
            except httpx.TimeoutException:
                raise FetchError(f"{url}: timed out (no answer within {self.policy.timeout:g}s)") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{url}: cannot connect ({type(exc).__name__}: {exc})") from None
        raise FetchError(f"{url}: no address to connect to")

    def _read(self, url: str, response: httpx.Response, kind: Kind, deadline: float) -> Response:
        status = response.status_code
        etag = response.headers.get("etag")
        last_modified = response.headers.get("last-modified")
        if status == 304:
            return Response(url, status, "", None, b"", etag, last_modified)
        if status >= 400:
            reason = response.reason_phrase or "error"
            raise FetchError(f"{url}: the server answered {status} {reason}", status=status)
        if status != 200:
            raise FetchError(f"{url}: unexpected HTTP status {status}")
        content_type, charset = _content_type(response.headers.get("content-type", ""))
        if content_type not in CONTENT_TYPES[kind]:
            shown = content_type or "none given"
            raise FetchError(f"{url}: content type {shown} is not {WHAT[kind]}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.policy.max_bytes:
            raise FetchError(f"{url}: {int(declared):,} bytes is over the {self.policy.max_bytes:,}-byte limit")
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.policy.max_bytes:
                    raise FetchError(f"{url}: larger than the {self.policy.max_bytes:,}-byte limit")
                if time.monotonic() > deadline:
                    raise FetchError(f"{url}: timed out (not read within {self.policy.timeout:g}s)")
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise FetchError(f"{url}: timed out while reading (no data for {self.policy.timeout:g}s)") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: the connection failed while reading ({type(exc).__name__})") from None
        return Response(url, status, content_type, charset, b"".join(chunks), etag, last_modified)

    # -- robots.txt --

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets crosscheck fetch ``url``; one robots.txt per origin, fetched once.

        A missing robots.txt (404, or any 4xx) allows everything; one that cannot be fetched (5xx,
        timeout) allows nothing from that origin for now, as the robots.txt standard (RFC 9309) says.
        """
        if not self.policy.respect_robots:
            return True
        origin = origin_of(url)
        with self._robots_lock:
            if origin not in self._robots:
                self._robots[origin] = self._load_robots(origin)
            robots = self._robots[origin]
        return True if robots is None else robots.can_fetch(USER_AGENT_TOKEN, url)

    def _load_robots(self, origin: str) -> RobotFileParser | None:
        parser = RobotFileParser()
        try:
            response = self.get(f"{origin}/robots.txt", kind="robots")
        except FetchRefusedError:
            raise
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return None
            parser.parse(["User-agent: *", "Disallow: /"])
            return parser
        parser.parse(response.text().splitlines())
        return parser


def _accept(kind: Kind) -> str:
    if kind == "page":
        return "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
    if kind == "robots":
        return "text/plain"
    if kind == "any":
        return "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9"
    return "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.8"


def _content_type(header: str) -> tuple[str, str | None]:
    message = Message()
    message["content-type"] = header
    charset = message.get_param("charset")
    return (message.get_content_type() if header else "", charset if isinstance(charset, str) else None)
