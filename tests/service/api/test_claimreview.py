"""ClaimReview over HTTP: `Accept: application/ld+json` on POST /v1/verify."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.service.schemaorg import claimreview_problems

JSON_LD = {"Accept": "application/ld+json"}


def test_api_answers_claimreview_when_asked(make_client: Callable[..., TestClient]) -> None:
    client = make_client(review_author="Desk")
    body = {"claim": "1,000 troops moved to Romania", "appearances": ["https://x.example/post"]}
    plain = client.post("/v1/verify", json=body)
    assert plain.headers["content-type"] == "application/json" and "verdict" in plain.json()
    linked = client.post("/v1/verify", json=body, headers=JSON_LD)
    assert linked.status_code == 200 and linked.headers["content-type"] == "application/ld+json"
    review = linked.json()
    assert claimreview_problems(review) == []
    assert review["author"]["name"] == "Desk"
    assert review["url"].startswith("http://testserver/?claim=")  # the address the request came in on
    assert review["itemReviewed"]["appearance"] == [{"@type": "CreativeWork", "url": "https://x.example/post"}]
    assert review["reviewRating"]["alternateName"].lower().replace(" ", "_") in {
        plain.json()["verdict"],
        "not_enough_evidence",
    }
    bad = client.post(
        "/v1/verify", json={**body, "appearances": ["ftp://x"]}, headers={"Accept": "application/ld+json"}
    )
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"].startswith("appearances")


@pytest.mark.integration
@pytest.mark.parametrize(
    ("claim", "verdict", "words"),
    [
        ("1,000 troops moved to Romania", "supported", "Supported"),
        ("4,000 troops moved to Romania", "refuted", "Refuted"),
        ("Spain sent a frigate to the Black Sea.", "not_enough_evidence", "Not enough evidence"),
    ],
)
def test_three_real_verdicts_are_valid_claimreviews(
    real_client: TestClient, claim: str, verdict: str, words: str
) -> None:
    """The seeds with the bundled model: a supported, a refuted and a not-enough-evidence claim."""
    plain = real_client.post("/v1/verify", json={"claim": claim}).json()
    assert plain["verdict"] == verdict
    review = real_client.post("/v1/verify", json={"claim": claim}, headers=JSON_LD).json()
    assert claimreview_problems(review) == []
    assert review["reviewRating"]["alternateName"] == words
    cited = {c["identifier"] for c in review.get("citation", [])}
    assert cited == {s["source_id"] for s in plain["sources"] if s["stance"] in {"supports", "conflicts"}}
    assert (verdict == "not_enough_evidence") == (not cited)
