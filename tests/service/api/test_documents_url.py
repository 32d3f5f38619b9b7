"""POST /v1/documents with a url: the service fetches the page, within the fetch settings."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.index.web.site import NewsSites
from tests.service.api.conftest import AUTH


def test_post_a_url_on_a_private_address_is_refused(make_client: Callable[..., TestClient], sites: NewsSites) -> None:
    client = make_client(api_key=AUTH["X-API-Key"])
    url = sites.wire.url("/2022/02/story-3")
    for target in (url, "http://localhost:1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/"):
        response = client.post("/v1/documents", json={"url": target}, headers=AUTH)
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["error"] == "fetch_refused"
        assert body["message"].startswith(f"{target}: ") and "CROSSCHECK_FETCH_ALLOW_PRIVATE=1" in body["message"]
        assert body["fields"][0]["field"] == "url"
    assert sites.wire.page_fetches() == 0
    scheme = client.post("/v1/documents", json={"url": "file:///etc/passwd"}, headers=AUTH)
    assert scheme.status_code == 422 and "only http and https" in scheme.json()["message"]


def test_post_a_url_when_private_addresses_are_allowed(
    make_client: Callable[..., TestClient], sites: NewsSites
) -> None:
    client = make_client(api_key=AUTH["X-API-Key"], fetch_allow_private=True, fetch_timeout=1)
    story = sites.nieuws.articles[2]
    url = sites.nieuws.url(story.path)
    created = client.post("/v1/documents", json={"url": url}, headers=AUTH)
    assert created.status_code == 201, created.text
    info = created.json()
    assert info["title"] == story.title and info["published"] == story.published and info["language"] == "nl"
    assert info["url"] == url and info["sentence_count"] >= 3
    again = client.post("/v1/documents", json={"url": url, "title": "Own title"}, headers=AUTH)
    assert again.status_code == 200 and again.json()["title"] == "Own title"
    assert again.json()["source_id"] == info["source_id"]
    missing = client.post("/v1/documents", json={"url": sites.wire.url("/missing")}, headers=AUTH)
    assert missing.status_code == 422 and missing.json()["error"] == "fetch_failed"
    assert "answered 404" in missing.json()["message"]
    unauthorised = client.post("/v1/documents", json={"url": url})
    assert unauthorised.status_code == 401


def test_post_body_shapes(make_client: Callable[..., TestClient]) -> None:
    client = make_client(api_key=AUTH["X-API-Key"])
    no_id = client.post("/v1/documents", json={"text": "Duizend soldaten."}, headers=AUTH)
    assert no_id.status_code == 422 and "source_id is required with text" in no_id.json()["message"]
    url_and_text = client.post(
        "/v1/documents",
        json={"source_id": "x", "text": "Duizend soldaten gaan.", "url": "https://example.org/a"},
        headers=AUTH,
    )
    assert url_and_text.status_code == 201  # the url is then the article's address, not fetched
    assert url_and_text.json()["url"] == "https://example.org/a"
