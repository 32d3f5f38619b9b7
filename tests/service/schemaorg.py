"""Checks JSON-LD against the schema.org vocabulary (the subset in data/schemaorg_claimreview.json) and a
ClaimReview against what Google's fact-check markup documentation requires of it."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

VOCABULARY = Path(__file__).parent / "data" / "schemaorg_claimreview.json"
DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")
URL = re.compile(r"https?://[^\s/$.?#][^\s]*")
DATA_TYPES = {
    "Text": lambda v: isinstance(v, str) and v != "",
    "URL": lambda v: isinstance(v, str) and bool(URL.fullmatch(v)),
    "Number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "Date": lambda v: isinstance(v, str) and bool(DATE.fullmatch(v)),
    "DateTime": lambda v: isinstance(v, str) and bool(DATETIME.fullmatch(v)),
    "Boolean": lambda v: isinstance(v, bool),
}


@cache
def vocabulary() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VOCABULARY.read_text(encoding="utf-8"))
    return data


def ancestors(kind: str) -> list[str]:
    types = vocabulary()["types"]
    chain = []
    current: str | None = kind
    while current is not None:
        chain.append(current)
        current = types[current]
    return chain


def schema_problems(node: Any, where: str = "$") -> list[str]:
    """Every way ``node`` departs from the vocabulary: unknown types or properties, a property on a type
    outside its domain, a value outside its range."""
    if not isinstance(node, dict):
        return [f"{where}: expected an object, got {type(node).__name__}"]
    problems: list[str] = []
    kind = node.get("@type")
    if kind not in vocabulary()["types"]:
        return [f"{where}: unknown or missing @type {kind!r}"]
    lineage = ancestors(kind)
    for key, value in node.items():
        if key in {"@type", "@context", "@id"}:
            continue
        spec = vocabulary()["properties"].get(key)
        if spec is None:
            problems.append(f"{where}.{key}: not a schema.org property known here")
            continue
        if not set(spec["domain"]) & set(lineage):
            problems.append(f"{where}.{key}: not a property of {kind}")
        for n, item in enumerate(value if isinstance(value, list) else [value]):
            at = f"{where}.{key}[{n}]" if isinstance(value, list) else f"{where}.{key}"
            problems += _value_problems(item, spec["range"], at)
    return problems


def _value_problems(value: Any, allowed: list[str], where: str) -> list[str]:
    if isinstance(value, dict):
        kind = value.get("@type")
        if kind not in vocabulary()["types"]:
            return [f"{where}: unknown or missing @type {kind!r}"]
        if not set(allowed) & set(ancestors(kind)):
            return [f"{where}: a {kind} where {' or '.join(allowed)} is expected"]
        return schema_problems(value, where)
    if any(DATA_TYPES[t](value) for t in allowed if t in DATA_TYPES):
        return []
    return [f"{where}: {value!r} is not {' or '.join(allowed)}"]


def claimreview_problems(review: dict[str, Any]) -> list[str]:
    """The vocabulary check plus the ClaimReview requirements of Google's fact-check markup documentation:
    url, claimReviewed, author with a name, reviewRating with alternateName (and a numeric rating within
    its scale when one is given), itemReviewed a Claim; @context schema.org."""
    problems = schema_problems(review)
    if review.get("@context") not in {"https://schema.org", "http://schema.org"}:
        problems.append("$.@context: not schema.org")
    if review.get("@type") != "ClaimReview":
        problems.append("$.@type: not ClaimReview")
    for required in ("url", "claimReviewed", "author", "reviewRating", "itemReviewed", "datePublished"):
        if required not in review:
            problems.append(f"$.{required}: missing")
    author = review.get("author") or {}
    if not author.get("name"):
        problems.append("$.author.name: missing")
    rating = review.get("reviewRating") or {}
    if not rating.get("alternateName"):
        problems.append("$.reviewRating.alternateName: missing")
    if "ratingValue" in rating:
        if "bestRating" not in rating or "worstRating" not in rating:
            problems.append("$.reviewRating: a ratingValue needs bestRating and worstRating")
        elif not rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]:
            problems.append("$.reviewRating.ratingValue: outside worstRating..bestRating")
    if (review.get("itemReviewed") or {}).get("@type") != "Claim":
        problems.append("$.itemReviewed: not a Claim")
    return problems
