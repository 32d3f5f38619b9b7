"""Bad input and failures: 422 naming the field, the claim limit, 413 before a body is read, 503, no tracebacks."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.corpus import Corpus
from service.errors import IndexCorruptError
from service.settings import Settings
from tests.conftest import FakeEmbedder
from tests.service.api.conftest import AUTH


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "claim", "Field required"),
        ({"claim": ""}, "claim", "empty"),
        ({"claim": " \n\t "}, "claim", "empty (only whitespace)"),
        ({"claim": 42}, "claim", "valid string"),
        ({"claim": "x", "top_k": 0}, "top_k", "greater than or equal to 1"),
        ({"claim": "x", "top_k": 51}, "top_k", "less than or equal to 50"),
        ({"claim": "x", "top_k": "many"}, "top_k", "valid integer"),
        ({"claim": "x", "sources": "000_64af60602162f07a"}, "sources", "valid list"),
        ({"claim": "x", "sources": ["ok", "a/b"]}, "sources[1]", "not a source id"),
        ({"claim": "x", "published_after": "2022-13"}, "published_after", "not a date"),
        ({"claim": "x", "published_before": "last week"}, "published_before", "not a date"),
        ({"claim": "x", "claims": ["typo"]}, "claims", "Extra inputs are not permitted"),
    ],
)
def test_verify_validation_errors_name_the_field(
    client: TestClient, body: dict[str, Any], field: str, words: str
) -> None:
    response = client.post("/v1/verify", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == "validation_error"
    assert [f["field"] for f in payload["fields"]] == [field]
    assert words in payload["fields"][0]["message"]
    assert field in payload["message"]


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post("/v1/verify", content=b'{"claim": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "body"
    assert "not valid JSON" in response.json()["message"]


def test_claim_limit_is_the_configured_one(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_claim_chars=40)
    assert client.post("/v1/verify", json={"claim": "x" * 40}).status_code == 200
    response = client.post("/v1/verify", json={"claim": "x" * 41})
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == "invalid_claim" and payload["fields"][0]["field"] == "claim"
    assert "41 characters; the limit is 40" in payload["message"]
    # the limit counts what was sent, padding included, as the OpenAPI maxLength says
    assert client.post("/v1/verify", json={"claim": " " + "x" * 40}).status_code == 422
    assert client.post("/v1/search", json={"query": "x" * 41}).json()["fields"][0]["field"] == "query"
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert schema["VerifyRequest"]["properties"]["claim"]["maxLength"] == 40
    assert schema["SearchRequest"]["properties"]["query"]["maxLength"] == 40


def test_default_claim_limit_is_2000(client: TestClient) -> None:
    assert client.post("/v1/verify", json={"claim": "troepen " * 250}).status_code == 200  # exactly 2,000
    response = client.post("/v1/verify", json={"claim": "x" * 2001})
    assert response.status_code == 422 and "limit is 2,000" in response.json()["message"]


def test_declared_oversize_body_is_413(make_client: Callable[..., TestClient]) -> None:
    """That nothing of it is read is checked against a real server (test_server.py)."""
    client = make_client(max_body_bytes=4096, api_key="k" * 16)
    response = client.post(
        "/v1/documents",
        content=b"x" * 100 * 1024,
        headers={"Content-Type": "application/json", "X-API-Key": "k" * 16},
    )
    assert response.status_code == 413
    payload = response.json()
    assert payload["error"] == "payload_too_large" and "4,096 bytes" in payload["message"]
    assert payload["request_id"] == response.headers["x-request-id"]


def test_streamed_oversize_body_is_413(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_bytes=4096, api_key="k" * 16)

    def chunks() -> Iterator[bytes]:
        yield b'{"source_id": "big", "text": "'
        for _ in range(10):
            yield b"Duizend soldaten. " * 60
        yield b'"}'

    response = client.post(
        "/v1/documents", content=chunks(), headers={"Content-Type": "application/json", "X-API-Key": "k" * 16}
    )
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"
    assert "big" not in [s["source_id"] for s in client.get("/v1/sources").json()]


def test_body_at_the_limit_is_read(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_bytes=2048)
    claim = '{"claim": "' + "x" * 1500 + '"}'
    padded = claim + " " * (2048 - len(claim))
    ok = client.post("/v1/verify", content=padded.encode(), headers={"Content-Type": "application/json"})
    assert ok.status_code == 200
    over = client.post("/v1/verify", content=(padded + " ").encode(), headers={"Content-Type": "application/json"})
    assert over.status_code == 413


def test_unexpected_error_is_a_json_500_with_request_id_and_no_traceback(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    verifier = client.app.state.crosscheck.verifier  # type: ignore[attr-defined]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail /srv/crosscheck/verify.py line 12")

    monkeypatch.setattr(verifier, "_verify_batch", broken)  # under every way in: alone or in a batch
    with caplog.at_level(logging.ERROR, logger="crosscheck.api"):
        response = client.post("/v1/verify", json={"claim": "x"}, headers={"X-Request-ID": "trace-me"})
    assert response.status_code == 500
    payload = response.json()
    assert payload == {
        "error": "internal_error",
        "message": "internal error (request id trace-me)",
        "fields": [],
        "request_id": "trace-me",
    }
    assert "Traceback" not in response.text and "secret" not in response.text
    logged = [r for r in caplog.records if getattr(r, "request_id", None) == "trace-me"]
    assert logged and logged[0].exc_info is not None  # the traceback is in the server log


def test_domain_errors_map_to_their_status(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = client.app.state.crosscheck.corpus  # type: ignore[attr-defined]

    def corrupt(*args: Any, **kwargs: Any) -> Any:
        raise IndexCorruptError("cannot load the index in /data/gen-000003: truncated file")

    monkeypatch.setattr(corpus, "sources", corrupt)
    response = client.get("/v1/sources")
    assert response.status_code == 503
    assert response.json()["error"] == "index_unavailable" and "truncated" in response.json()["message"]
    assert response.headers["retry-after"]


class SlowCorpus(Corpus):
    """A corpus whose index takes until ``release`` is set to load."""

    def __init__(self, settings: Settings, release: threading.Event) -> None:
        super().__init__(settings, embedder=FakeEmbedder())
        self.release = release

    def store(self, **kwargs: Any) -> Any:
        assert self.release.wait(30)
        return super().store(**kwargs)


def test_readyz_is_503_until_the_index_is_loaded(tmp_path: Any) -> None:
    release = threading.Event()
    settings = Settings(index_dir=tmp_path / "index", api_key="k" * 16)
    app = create_app(settings, SlowCorpus(settings, release))
    app.state.crosscheck.ready_wait = 0.2  # requests wait this long for the load, then 503
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        loading = client.get("/readyz")
        assert loading.status_code == 503 and loading.json()["status"] == "loading"
        for call in (
            lambda: client.post("/v1/verify", json={"claim": "x"}),
            lambda: client.post("/v1/search", json={"query": "x"}),
            lambda: client.get("/v1/sources"),
            lambda: client.delete("/v1/documents/x", headers={"X-API-Key": "k" * 16}),
        ):
            response = call()
            assert response.status_code == 503
            assert response.json()["error"] == "not_ready" and response.headers["retry-after"] == "5"
        release.set()
        assert app.state.crosscheck.finished.wait(30)
        assert client.get("/readyz").status_code == 200
        assert client.post("/v1/verify", json={"claim": "x"}).status_code == 200


def test_a_request_during_the_load_waits_for_it(tmp_path: Any) -> None:
    release = threading.Event()
    settings = Settings(index_dir=tmp_path / "index")
    app = create_app(settings, SlowCorpus(settings, release))
    with TestClient(app) as client:
        threading.Timer(0.5, release.set).start()
        response = client.post("/v1/verify", json={"claim": "troepen"})
        assert response.status_code == 200 and release.is_set()


def test_readyz_reports_a_failed_load(make_client: Callable[..., TestClient], tmp_path: Any) -> None:
    index_dir = tmp_path / "other"
    make_client(index_dir=index_dir)  # an index built by the fake model "fake-hashing-64"
    settings = Settings(index_dir=index_dir)
    app = create_app(settings, Corpus(settings, embedder=FakeEmbedder(model_id="another-model")))
    with TestClient(app) as client:
        assert app.state.crosscheck.finished.wait(30)
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "failed" and "another-model" in response.json()["message"]
        verify = client.post("/v1/verify", json={"claim": "x"})
        assert verify.status_code == 503 and "fake-hashing-64" in verify.json()["message"]


def test_writes_check_the_key_before_the_body(client: TestClient) -> None:
    response = client.post("/v1/documents", json={"nonsense": True})
    assert response.status_code == 401
    response = client.post("/v1/documents", json={"nonsense": True}, headers=AUTH)
    assert response.status_code == 422
