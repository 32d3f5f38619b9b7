"""A verification result as schema.org ``ClaimReview`` JSON-LD, the markup fact-check articles carry.

Search engines and Google's Fact Check Tools read this markup. It is made from the result contract
(``service.schemas.verification_contract``), so `crosscheck check --format claimreview`, the API
(``Accept: application/ld+json`` on ``POST /v1/verify``) and the web page's button give the same.

The rating scale (``docs/claimreview.md``): ``reviewRating.ratingValue`` is 5 for supported, 3 for
conflicting, 1 for refuted, on a scale from ``worstRating`` 1 to ``bestRating`` 5;
``not_enough_evidence`` is not a point on a true-false scale, so it has ``alternateName`` and no
``ratingValue``. ``alternateName`` is always the verdict in words, the part a reader is shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from service.errors import InvalidInputError

CONTEXT = "https://schema.org"
MEDIA_TYPE = "application/ld+json"
WORST, BEST = 1, 5
RATINGS: dict[str, tuple[int | None, str]] = {
    "supported": (5, "Supported"),
    "conflicting": (3, "Conflicting"),
    "refuted": (1, "Refuted"),
    "not_enough_evidence": (None, "Not enough evidence"),
}
CITED_STANCES = {"supports": "Supports the claim", "conflicts": "Conflicts with the claim"}


@dataclass(frozen=True)
class Reviewer:
    """Who publishes the review (``author``), and where the review can be read (``url``)."""

    name: str
    kind: Literal["Organization", "Person"] = "Organization"
    url: str | None = None
    page: str = "http://127.0.0.1:8000/"  # the web page; the review's url is this page checking the claim


def claim_review(
    result: Mapping[str, Any],
    reviewer: Reviewer,
    *,
    appearances: Sequence[str] = (),
    published: str | None = None,
) -> dict[str, Any]:
    """The ClaimReview for one verification result (the contract's plain data).

    ``appearances`` are the URLs where the claim was seen (the first is its ``firstAppearance``);
    ``published`` is the review's date (default: today, UTC).
    """
    for url in appearances:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 4000:
            raise InvalidInputError(f"appearance {url!r} is not an http(s) URL", field="appearances")
    verdict = str(result["verdict"])
    value, words = RATINGS[verdict]
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": words}
    if value is not None:
        rating |= {"ratingValue": value, "bestRating": BEST, "worstRating": WORST}
    rating["ratingExplanation"] = f"{result['summary']} (confidence {float(result['confidence']):.2f})"
    claim: dict[str, Any] = {"@type": "Claim", "inLanguage": result["language"]}
    if appearances:
        claim["firstAppearance"] = _work(appearances[0])
        claim["appearance"] = [_work(url) for url in appearances]
    author: dict[str, Any] = {"@type": reviewer.kind, "name": reviewer.name}
    if reviewer.url:
        author["url"] = reviewer.url
    review: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "ClaimReview",
        "url": f"{reviewer.page}?{urlencode({'claim': result['claim']})}",
        "claimReviewed": result["claim"],
        "itemReviewed": claim,
        "reviewRating": rating,
        "datePublished": published or datetime.now(UTC).date().isoformat(),
        "inLanguage": result["language"],
        "author": author,
    }
    citations = [_citation(source) for source in result["sources"] if source["stance"] in CITED_STANCES]
    if citations:
        review["citation"] = citations
    return review


def claim_review_json(result: Mapping[str, Any], reviewer: Reviewer, **options: Any) -> bytes:
    return json.dumps(claim_review(result, reviewer, **options), ensure_ascii=False, indent=2).encode()


def _work(url: str) -> dict[str, Any]:
    return {"@type": "CreativeWork", "url": url}


def _citation(source: Mapping[str, Any]) -> dict[str, Any]:
    """A supporting or conflicting source, with the passage that decided its stance."""
    stance = source["stance"]
    passage = next((p for p in source["passages"] if p["stance"] == stance), None)
    description = CITED_STANCES[stance] + (f": “{passage['text']}”" if passage else "")
    work: dict[str, Any] = {
        "@type": "CreativeWork",
        "identifier": source["source_id"],
        "headline": source.get("title"),
        "url": source.get("url"),
        "datePublished": source.get("published"),
        "inLanguage": source.get("language"),
        "description": description,
    }
    return {key: value for key, value in work.items() if value is not None}


def accepts_claimreview(accept: str | None) -> bool:
    """Whether an Accept header prefers JSON-LD over plain JSON (by quality, then by order)."""
    if not accept:
        return False
    best: tuple[float, int] | None = None
    plain: tuple[float, int] | None = None
    for position, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        rank = (quality, -position)
        media = media.lower()
        if media == MEDIA_TYPE and quality > 0:
            best = max(best or rank, rank)
        elif media in {"application/json", "application/*", "*/*"} and quality > 0:
            plain = max(plain or rank, rank)
    return best is not None and (plain is None or best > plain)
