"""The verdicts the API returns with the bundled model (integration): content, not just shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import THOUSAND_TO_ROMANIA


def test_thousand_troops_to_romania_is_supported_by_three_sources(real_client: TestClient) -> None:
    response = real_client.post("/v1/verify", json={"claim": "1,000 troops moved to Romania"})
    assert response.status_code == 200
    result = response.json()
    assert result["verdict"] == "supported"
    assert result["language"] == "en"
    supporting = {s["source_id"] for s in result["sources"] if s["stance"] == "supports"}
    assert supporting == set(THOUSAND_TO_ROMANIA)
    # 000 and 002 print one wire report: three sources, two independent ones (index.families)
    assert result["summary"] == "3 sources support the claim (2 independent), none conflict"
    assert (result["independent_support"], result["independent_conflict"]) == (2, 0)
    by_id = {s["source_id"][:3]: s for s in result["sources"]}
    assert by_id["000"]["shares_text_with"] == ["002_31380c5700cbb35e"]
    assert by_id["002"]["shares_text_with"] == ["000_64af60602162f07a"]
    assert by_id["000"]["copies"] == ["001_4fcc6fcbee7a6b38"]  # the background paragraphs, a month later
    assert by_id["004"]["copies"] == by_id["004"]["copied_by"] == by_id["004"]["shares_text_with"] == []
    assert by_id["000"]["family"] == by_id["002"]["family"] != by_id["004"]["family"]
    for source in result["sources"]:
        if source["stance"] != "supports":
            continue
        best = source["passages"][0]
        assert best["stance"] == "supports" and best["reasons"]
        marked = [best["text"][h["start"] : h["end"]] for h in best["highlights"] if h["relation"] == "match"]
        assert marked, best  # the number or the place that matched is highlighted
        assert all(0 <= h["start"] < h["end"] <= len(best["text"]) for h in best["highlights"])


def test_filters_narrow_the_sources_with_the_real_model(real_client: TestClient) -> None:
    result = real_client.post(
        "/v1/verify",
        json={"claim": "1,000 troops moved to Romania", "sources": ["004_f612fa7a56b26ca2"], "top_k": 1},
    ).json()
    assert [(s["source_id"], s["stance"]) for s in result["sources"]] == [("004_f612fa7a56b26ca2", "supports")]
    assert len(result["sources"][0]["passages"]) == 1


def test_dutch_search_finds_the_thousand_soldiers_in_each_source(real_client: TestClient) -> None:
    result = real_client.post("/v1/search", json={"query": "Duizend militairen gaan naar Roemenië", "top_k": 1}).json()
    top = {s["source_id"]: s["passages"][0]["text"] for s in result["sources"]}
    for source_id in THOUSAND_TO_ROMANIA:
        assert "Roemenië" in top[source_id]
