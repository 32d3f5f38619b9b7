"""ClaimReview output: schema.org-valid for every verdict, the same in the CLI and the API."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from service import cli as cli_module
from service.claimreview import Reviewer, accepts_claimreview, claim_review
from service.errors import InvalidInputError
from service.schemas import VerificationResult
from tests.conftest import FakeEmbedder
from tests.service.schemaorg import claimreview_problems, schema_problems

EXAMPLE: dict[str, Any] = VerificationResult.model_json_schema()["example"]
REVIEWER = Reviewer(name="Factcheck Desk", url="https://desk.example.org/", page="https://desk.example.org/check/")


def result_with(verdict: str, stances: list[str]) -> dict[str, Any]:
    result = copy.deepcopy(EXAMPLE)
    source = result["sources"][0]
    result["verdict"] = verdict
    result["sources"] = []
    for n, stance in enumerate(stances):
        item = copy.deepcopy(source) | {"source_id": f"s{n}", "stance": stance, "url": f"https://news.example/{n}"}
        item["passages"][0]["stance"] = stance
        result["sources"].append(item)
    return result


@pytest.mark.parametrize(
    ("verdict", "stances", "value", "words", "cited"),
    [
        ("supported", ["supports", "supports", "neutral"], 5, "Supported", 2),
        ("refuted", ["conflicts", "neutral"], 1, "Refuted", 1),
        ("conflicting", ["supports", "conflicts"], 3, "Conflicting", 2),
        ("not_enough_evidence", ["neutral", "neutral"], None, "Not enough evidence", 0),
    ],
)
def test_every_verdict_is_a_valid_claimreview(
    verdict: str, stances: list[str], value: int | None, words: str, cited: int
) -> None:
    review = claim_review(
        result_with(verdict, stances), REVIEWER, appearances=["https://social.example/post/1"], published="2026-12-03"
    )
    assert claimreview_problems(review) == []
    rating = review["reviewRating"]
    assert rating["alternateName"] == words
    assert rating.get("ratingValue") == value
    assert ("bestRating" in rating) == (value is not None)
    assert len(review.get("citation", [])) == cited
    for citation in review.get("citation", []):
        stance = "Supports" if citation["description"].startswith("Supports") else "Conflicts"
        assert citation["description"].startswith(f"{stance} the claim: “") or citation["description"].startswith(
            f"{stance} with the claim: “"
        )
    assert review["claimReviewed"] == EXAMPLE["claim"]
    assert review["url"] == "https://desk.example.org/check/?claim=1%2C000+troops+moved+to+Romania"
    assert review["author"] == {"@type": "Organization", "name": "Factcheck Desk", "url": "https://desk.example.org/"}
    assert review["itemReviewed"]["firstAppearance"] == {
        "@type": "CreativeWork",
        "url": "https://social.example/post/1",
    }
    assert review["datePublished"] == "2026-12-03"


def test_the_validator_catches_what_schema_org_does_not_allow() -> None:
    """The check must be able to fail: each departure from the vocabulary is named."""
    review = claim_review(result_with("supported", ["supports"]), REVIEWER, published="2026-12-03")
    broken = copy.deepcopy(review)
    broken["reviewRating"]["claimReviewed"] = "x"  # a ClaimReview property on a Rating
    broken["itemReviewed"]["@type"] = "Rating"  # not a Claim
    broken["datePublished"] = "3 December"
    broken["verdict"] = "supported"  # not schema.org at all
    broken["citation"][0]["url"] = "news.example/0"
    del broken["author"]
    problems = claimreview_problems(broken)
    assert "$.reviewRating.claimReviewed: not a property of Rating" in problems
    assert "$.verdict: not a schema.org property known here" in problems
    assert "$.datePublished: '3 December' is not Date or DateTime" in problems
    assert "$.citation[0].url: 'news.example/0' is not URL" in problems
    assert "$.author: missing" in problems and "$.itemReviewed: not a Claim" in problems
    out_of_scale = copy.deepcopy(review)
    out_of_scale["reviewRating"]["ratingValue"] = 7
    assert claimreview_problems(out_of_scale) == ["$.reviewRating.ratingValue: outside worstRating..bestRating"]
    assert schema_problems({"@type": "Claim", "appearance": "https://x.example/"}) == [
        "$.appearance: 'https://x.example/' is not CreativeWork"
    ]


def test_appearances_must_be_web_addresses() -> None:
    with pytest.raises(InvalidInputError, match="not an http"):
        claim_review(EXAMPLE, REVIEWER, appearances=["javascript:alert(1)"])


@pytest.mark.parametrize(
    ("accept", "wanted"),
    [
        (None, False),
        ("application/json", False),
        ("*/*", False),
        ("application/ld+json", True),
        ("application/ld+json, application/json;q=0.9", True),
        ("application/json, application/ld+json", False),
        ("application/json;q=0.5, application/ld+json", True),
        ("application/ld+json;q=0", False),
        ("text/html, application/ld+json, */*;q=0.8", True),
    ],
)
def test_accept_header(accept: str | None, wanted: bool) -> None:
    assert accepts_claimreview(accept) is wanted


def test_cli_check_format_claimreview(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.corpus.LazyEmbedder", lambda name, threads=None: FakeEmbedder(model_id=name))
    monkeypatch.setenv("CROSSCHECK_REVIEW_AUTHOR", "De Factchecker")
    monkeypatch.setenv("CROSSCHECK_PUBLIC_URL", "https://factcheck.example.nl")
    args = ["check", "1,000 troops moved to Romania", "--format", "claimreview", "--appearance", "https://x.example/1"]
    result = CliRunner().invoke(cli_module.cli, args)
    assert result.exit_code == 0, result.output
    review = json.loads(result.stdout)
    assert claimreview_problems(review) == []
    assert review["author"]["name"] == "De Factchecker"
    assert review["url"].startswith("https://factcheck.example.nl/?claim=1%2C000")
    both = CliRunner().invoke(cli_module.cli, ["check", "x y z", "--json", "--format", "claimreview"])
    assert both.exit_code == 2 and "give one" in both.output


@pytest.mark.integration
def test_the_docs_example_is_real_output(seed_corpus: Any) -> None:
    """docs/claimreview.md's first example is what the seeds and the bundled model give (its date aside)."""
    import re

    from service.schemas import verification_contract
    from service.verify import Verifier
    from tests.conftest import REPO

    doc = (REPO / "docs" / "claimreview.md").read_text(encoding="utf-8")
    example = json.loads(re.findall(r"```json\n(.*?)```", doc, re.S)[0])
    result = Verifier(seed_corpus).verify("1,000 troops moved to Romania")
    review = claim_review(
        verification_contract(result),
        Reviewer(name="crosscheck", page="http://127.0.0.1:8000/"),  # the defaults: no CROSSCHECK_REVIEW_* set
        appearances=["https://social.example/posts/1"],
        published=example["datePublished"],
    )
    assert review == example
