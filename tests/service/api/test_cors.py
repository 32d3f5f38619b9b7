"""CORS: browser extensions and localhost by default, a configurable allowlist, foreign origins refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.api.middleware import origin_regex
from service.settings import DEFAULT_CORS_ORIGINS, Settings


def preflight(client: TestClient, origin: str, method: str = "POST", headers: str = "content-type") -> object:
    return client.options(
        "/v1/verify",
        headers={"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers},
    )


@pytest.mark.parametrize(
    "origin",
    [
        "chrome-extension://abcdefghijklmnopabcdefghijklmnop",
        "moz-extension://5b9b4c3e-1d2a-4f6b-9c8d-0e1f2a3b4c5d",
        "safari-web-extension://5B9B4C3E-1D2A-4F6B-9C8D-0E1F2A3B4C5D",
        "http://localhost:5173",
        "http://localhost",
        "http://127.0.0.1:8000",
        "http://[::1]:3000",
    ],
)
def test_default_allows_extensions_and_localhost(client: TestClient, origin: str) -> None:
    response = preflight(client, origin, headers="content-type,x-api-key")
    assert response.status_code == 200  # type: ignore[attr-defined]
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["access-control-allow-origin"] == origin
    assert "POST" in headers["access-control-allow-methods"]
    assert "X-API-Key" in headers["access-control-allow-headers"]
    simple = client.post("/v1/verify", json={"claim": "troepen"}, headers={"Origin": origin})
    assert simple.headers["access-control-allow-origin"] == origin
    assert "X-Request-ID" in simple.headers["access-control-expose-headers"]


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://localhost.evil.example",
        "https://chrome-extension.example",
        "http://127.0.0.1.nip.io:8000",
        "null",
        "file://",
        "chrome-extension://abc/path",
    ],
)
def test_foreign_origins_are_refused(client: TestClient, origin: str) -> None:
    response = preflight(client, origin)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "access-control-allow-origin" not in response.headers  # type: ignore[attr-defined]
    simple = client.post("/v1/verify", json={"claim": "troepen"}, headers={"Origin": origin})
    assert "access-control-allow-origin" not in simple.headers


def test_errors_carry_cors_headers_so_a_page_can_read_them(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_bytes=1024)
    origin = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    too_big = client.post("/v1/verify", content=b"x" * 2048, headers={"Origin": origin})
    assert too_big.status_code == 413 and too_big.headers["access-control-allow-origin"] == origin
    invalid = client.post("/v1/verify", json={"claim": " "}, headers={"Origin": origin})
    assert invalid.status_code == 422 and invalid.headers["access-control-allow-origin"] == origin


def test_configured_allowlist_replaces_the_default(make_client: Callable[..., TestClient]) -> None:
    client = make_client(cors_origins="https://factcheck.example.org, chrome-extension://abcdefghijklmnop")
    assert preflight(client, "https://factcheck.example.org").status_code == 200  # type: ignore[attr-defined]
    assert preflight(client, "chrome-extension://abcdefghijklmnop").status_code == 200  # type: ignore[attr-defined]
    assert preflight(client, "chrome-extension://otherextensionid").status_code == 400  # type: ignore[attr-defined]
    assert preflight(client, "http://localhost:5173").status_code == 400  # type: ignore[attr-defined]
    assert preflight(client, "https://sub.factcheck.example.org").status_code == 400  # type: ignore[attr-defined]


def test_cors_origins_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSCHECK_CORS_ORIGINS", "https://a.example, https://*.b.example:*")
    assert Settings().cors_origins == ("https://a.example", "https://*.b.example:*")
    monkeypatch.setenv("CROSSCHECK_CORS_ORIGINS", "")
    assert Settings().cors_origins == ()


@pytest.mark.parametrize("bad", ["https://a.example/", "https://a.example/path", "a.example", "https://", "*://x"])
def test_malformed_origins_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="not an origin"):
        Settings(cors_origins=bad)


def test_origin_patterns() -> None:
    import re

    regex = re.compile(origin_regex(DEFAULT_CORS_ORIGINS) or "")
    assert regex.fullmatch("http://localhost:8000") and regex.fullmatch("http://localhost")
    assert not regex.fullmatch("http://localhost:8000.evil.example")
    wildcard = re.compile(origin_regex(["https://*.example.org"]) or "")
    assert wildcard.fullmatch("https://desk.example.org") and not wildcard.fullmatch("https://a.b.example.org")
    assert origin_regex(["*"]) == ".*"
    assert origin_regex([]) is None
