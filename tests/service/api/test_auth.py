"""Write routes: 403 with no key configured, 401 without the right key, both header forms accepted."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.settings import Settings
from tests.service.api.conftest import API_KEY

DOC = {"source_id": "auth-test", "text": "Duizend soldaten gaan naar Roemenië."}


def writes(client: TestClient, headers: dict[str, str]) -> list[int]:
    return [
        client.post("/v1/documents", json=DOC, headers=headers).status_code,
        client.delete("/v1/documents/auth-test", headers=headers).status_code,
    ]


def test_without_a_configured_key_writes_are_403_saying_how_to_enable_them(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client()
    for headers in ({}, {"X-API-Key": "anything-at-all-1234"}, {"Authorization": "Bearer anything-at-all-1234"}):
        assert writes(client, headers) == [403, 403]
    body = client.post("/v1/documents", json=DOC).json()
    assert body["error"] == "forbidden" and "CROSSCHECK_API_KEY" in body["message"]
    assert client.get("/v1/sources").status_code == 200  # reads need no key


def test_missing_or_wrong_key_is_401(client: TestClient) -> None:
    missing = client.post("/v1/documents", json=DOC)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert "X-API-Key" in missing.json()["message"]
    for headers in (
        {"X-API-Key": API_KEY[:-1]},
        {"X-API-Key": API_KEY + "x"},
        {"Authorization": f"Bearer {API_KEY.upper()}"},
        {"Authorization": f"Basic {API_KEY}"},
        {"X-API-Key": ""},
    ):
        assert writes(client, headers) == [401, 401], headers


@pytest.mark.parametrize("headers", [{"X-API-Key": API_KEY}, {"Authorization": f"Bearer {API_KEY}"}])
def test_the_key_in_either_header_is_accepted(client: TestClient, headers: dict[str, str]) -> None:
    assert writes(client, headers) == [201, 204]


def test_keys_are_compared_in_constant_time(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr("service.api.deps.hmac.compare_digest", spy)
    client.post("/v1/documents", json=DOC, headers={"X-API-Key": "wrong-key-but-long-enough"})
    assert calls == [(b"wrong-key-but-long-enough", API_KEY.encode())]


@pytest.mark.parametrize("key", ["short", " padded-key-0123456789 ", "0123456789abcde"])
def test_weak_keys_are_refused_at_start(key: str) -> None:
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings(api_key=key)


def test_an_empty_key_means_no_key() -> None:
    assert Settings(api_key="").api_key is None


def test_the_key_never_shows_in_settings_output() -> None:
    settings = Settings(api_key=API_KEY)
    assert API_KEY not in repr(settings) and API_KEY not in str(settings.model_dump())
