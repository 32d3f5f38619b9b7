"""Every route through the real app (fake embedder): status codes and the shape of what comes back."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from service.schemas import SearchResponse, SourceInfo, VerificationResult
from tests.conftest import SEEDS
from tests.service.api.conftest import AUTH

SEED_IDS = sorted(p.stem for p in SEEDS.glob("*.txt"))


def test_verify_returns_the_shared_result_contract(client: TestClient) -> None:
    response = client.post("/v1/verify", json={"claim": "Duizend soldaten gaan naar Roemenië"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    result = VerificationResult.model_validate(response.json())
    assert result.claim == "Duizend soldaten gaan naar Roemenië"
    assert result.verdict in {"supported", "refuted", "conflicting", "not_enough_evidence"}
    assert {s.source_id for s in result.sources} <= set(SEED_IDS)
    assert all(len(s.passages) <= 3 for s in result.sources)


def test_verify_options_top_k_sources_and_dates(client: TestClient) -> None:
    body = {"claim": "Duizend soldaten gaan naar Roemenië", "top_k": 1, "sources": ["000_64af60602162f07a"]}
    result = client.post("/v1/verify", json=body).json()
    assert [s["source_id"] for s in result["sources"]] == ["000_64af60602162f07a"]
    assert all(len(s["passages"]) == 1 for s in result["sources"])

    dated = client.post("/v1/verify", json={"claim": "troepen naar Roemenië", "published_after": "2022-02"}).json()
    assert dated["sources"] and all(s["published"] >= "2022-02" for s in dated["sources"])
    nothing = client.post(
        "/v1/verify", json={"claim": "troepen", "published_after": "2023", "published_before": "2023-12-31"}
    ).json()
    assert nothing["verdict"] == "not_enough_evidence" and nothing["sources"] == []
    assert nothing["notes"] == ["no source matches the filters"]


def test_concurrent_verify_requests_each_get_the_answer_to_their_own_claim(client: TestClient) -> None:
    """Requests arriving together are checked in one batch (service.coalesce): none may get another's answer."""
    from concurrent.futures import ThreadPoolExecutor

    claims = [f"{n} soldaten gaan naar {place}" for n in ("Duizend", "2.000", "300") for place in ("Roemenië", "Polen")]
    claims += ["Rusland ontkent een invasie", "Biden stuurt troepen", "", "troepen naar Roemenië"]
    bodies = [{"claim": c} if i % 3 else {"claim": c, "top_k": 1} for i, c in enumerate(claims)]
    alone = [client.post("/v1/verify", json=b) for b in bodies]
    with ThreadPoolExecutor(len(bodies)) as pool:
        together = list(pool.map(lambda b: client.post("/v1/verify", json=b), bodies))
    assert (
        [r.status_code for r in together] == [r.status_code for r in alone] == [422 if not c else 200 for c in claims]
    )
    assert [r.json() for r in together if r.status_code == 200] == [r.json() for r in alone if r.status_code == 200]


def test_verify_unknown_source_is_404_naming_the_field(client: TestClient) -> None:
    response = client.post("/v1/verify", json={"claim": "troepen", "sources": ["000_64af60602162f07a", "nope"]})
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "unknown_source" and "nope" in body["message"]
    assert body["fields"][0]["field"] == "sources"


def test_search(client: TestClient) -> None:
    response = client.post("/v1/search", json={"query": "Duizend soldaten naar Roemenië", "top_k": 2})
    assert response.status_code == 200
    result = SearchResponse.model_validate(response.json())
    assert result.query == "Duizend soldaten naar Roemenië"
    assert len(result.sources) == 5
    assert all(1 <= len(s.passages) <= 2 for s in result.sources)
    sims = [s.passages[0].similarity for s in result.sources]
    assert sims == sorted(sims, reverse=True)


def test_sources(client: TestClient) -> None:
    response = client.get("/v1/sources")
    assert response.status_code == 200
    infos = [SourceInfo.model_validate(s) for s in response.json()]
    assert [i.source_id for i in infos] == SEED_IDS
    assert all(i.sentence_count > 0 and i.language == "nl" for i in infos)
    assert {i.published for i in infos} == {"2022-01", "2022-02", None}
    assert all(i.title for i in infos)


def test_put_document_adds_then_replaces_and_is_searchable(client: TestClient) -> None:
    doc: dict[str, Any] = {
        "source_id": "nos-test",
        "text": "Het Pentagon stuurt 4.000 mariniers naar Litouwen. Dat meldt het ministerie.",
        "title": "Mariniers naar Litouwen",
        "published": "2022-03-01",
        "url": "https://example.org/nos-test",
    }
    added = client.post("/v1/documents", json=doc, headers=AUTH)
    assert added.status_code == 201
    info = SourceInfo.model_validate(added.json())
    assert (info.source_id, info.title, info.published, info.sentence_count) == (
        "nos-test",
        "Mariniers naar Litouwen",
        "2022-03-01",
        2,
    )
    assert info.language == "nl"  # detected

    again = client.post("/v1/documents", json=doc, headers=AUTH)
    assert again.status_code == 200 and again.json() == added.json()

    replaced = client.post("/v1/documents", json={**doc, "text": "Vier mariniers gaan naar Litouwen."}, headers=AUTH)
    assert replaced.status_code == 200 and replaced.json()["sentence_count"] == 1

    hits = client.post("/v1/search", json={"query": "mariniers Litouwen", "top_k": 1}).json()
    assert hits["sources"][0]["source_id"] == "nos-test"
    assert hits["sources"][0]["passages"][0]["text"] == "Vier mariniers gaan naar Litouwen."


def test_put_document_from_html_takes_its_metadata_unless_given(client: TestClient) -> None:
    html = """<!doctype html><html lang="nl"><head><title>Fregat naar de Zwarte Zee</title>
    <meta property="og:title" content="Fregat naar de Zwarte Zee">
    <meta property="article:published_time" content="2022-01-21T10:00:00Z"></head>
    <body><nav>Home | Nieuws</nav><article><h1>Fregat naar de Zwarte Zee</h1>
    <p>Spanje stuurt een fregat naar de Zwarte Zee om de Navo-aanwezigheid te versterken, zei de minister.</p>
    <p>Het schip vertrekt volgende week uit de haven van Cartagena met tweehonderd bemanningsleden.</p>
    </article><footer>© Omroep</footer></body></html>"""
    response = client.post("/v1/documents", json={"source_id": "fregat", "html": html}, headers=AUTH)
    assert response.status_code == 201, response.json()
    info = response.json()
    assert info["title"] == "Fregat naar de Zwarte Zee"
    assert info["published"] == "2022-01-21"
    assert info["language"] == "nl"
    assert info["sentence_count"] == 3  # the headline and the two sentences; not the menu or the footer

    given = {"source_id": "fregat", "html": html, "title": "Eigen titel", "published": "2022-01"}
    assert client.post("/v1/documents", json=given, headers=AUTH).json()["title"] == "Eigen titel"


def test_put_document_errors(client: TestClient) -> None:
    def post(body: dict[str, Any]) -> Any:
        return client.post("/v1/documents", json=body, headers=AUTH)

    neither = post({"source_id": "x"})
    assert neither.status_code == 422 and "exactly one of text and html" in neither.json()["message"]
    both = post({"source_id": "x", "text": "a b c.", "html": "<p>a b c.</p>"})
    assert both.status_code == 422 and "not both" in both.json()["message"]
    slash = post({"source_id": "a/b", "text": "Duizend soldaten."})
    assert slash.status_code == 422 and slash.json()["fields"][0]["field"] == "source_id"
    no_article = post({"source_id": "x", "html": "<html><head><title>Leeg</title></head><body></body></html>"})
    assert no_article.status_code == 422
    assert no_article.json()["error"] == "invalid_document" and "no article text" in no_article.json()["message"]
    no_sentence = post({"source_id": "x", "text": "…"})
    assert no_sentence.status_code == 422 and "no sentences" in no_sentence.json()["message"]
    bad_date = post({"source_id": "x", "text": "Duizend soldaten.", "published": "gisteren"})
    assert bad_date.status_code == 422 and bad_date.json()["fields"][0]["field"] == "published"
    assert client.get("/v1/sources").json()[-1]["source_id"] == "004_f612fa7a56b26ca2"  # nothing was added


def test_delete_document(client: TestClient) -> None:
    response = client.delete("/v1/documents/000_64af60602162f07a", headers=AUTH)
    assert response.status_code == 204 and response.content == b""
    assert "000_64af60602162f07a" not in [s["source_id"] for s in client.get("/v1/sources").json()]
    missing = client.delete("/v1/documents/000_64af60602162f07a", headers=AUTH)
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found" and "000_64af60602162f07a" in missing.json()["message"]


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() | {"generation": 1} == {
        "status": "ready",
        "message": None,
        "sources": 5,
        "passages": ready.json()["passages"],
        "generation": 1,
        "model": "fake-hashing-64",
    }


def test_every_response_has_a_request_id_and_echoes_a_sane_one(client: TestClient) -> None:
    own = client.get("/healthz", headers={"X-Request-ID": "fact-desk-42"})
    assert own.headers["x-request-id"] == "fact-desk-42"
    odd = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert odd.headers["x-request-id"] != "<script>" and len(odd.headers["x-request-id"]) == 32
    error = client.post("/v1/verify", json={})
    assert error.json()["request_id"] == error.headers["x-request-id"]


def test_the_page_and_its_files(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'id="claim"' in page.text and "/static/app.js" in page.text and "/static/crosscheck.css" in page.text
    for name, kind in (("app.js", "javascript"), ("crosscheck.css", "text/css")):
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200 and kind in asset.headers["content-type"]
    assert "innerHTML" not in client.get("/static/app.js").text  # server strings only ever go in as text


def test_unknown_route_and_wrong_method_use_the_error_shape(client: TestClient) -> None:
    missing = client.get("/v2/verify")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = client.get("/v1/verify")
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"
    assert "POST" in wrong.headers["allow"]
