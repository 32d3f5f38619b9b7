"""JSON shapes shared by the CLI (``--json``), the HTTP API and batch output.

Kept apart from the core dataclasses so the wire contract changes only on
purpose; ``from_core`` constructors are the one place that maps between them.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json

from index.store import PassageHit, SourceHits, SourceRecord
from service.corpus import SearchResult
from service.verify import PassageResult, SourceResult, Verification


class _SourceFields(TypedDict):
    source_id: str
    title: str | None
    published: str | None
    language: str | None
    url: str | None


class SourceMeta(BaseModel):
    """Who a source is: the fields every source carries in every answer, first."""

    source_id: str
    title: str | None = None
    published: str | None = Field(
        default=None, description="ISO date at the precision known: 2022, 2022-02 or 2022-02-03"
    )
    language: str | None = Field(default=None, description="ISO 639-1 code")
    url: str | None = None

    @staticmethod
    def fields_of(source: SourceRecord) -> _SourceFields:
        return {
            "source_id": source.source_id,
            "title": source.title,
            "published": source.published,
            "language": source.language,
            "url": source.url,
        }


class SourceInfo(SourceMeta):
    model_config = ConfigDict(frozen=True)

    sentence_count: int

    @classmethod
    def from_core(cls, source: SourceRecord) -> SourceInfo:
        return cls(**SourceMeta.fields_of(source), sentence_count=source.sentence_count)


class SearchPassage(BaseModel):
    text: str
    similarity: float = Field(description="Cosine similarity between query and passage, in [-1, 1]")
    char_start: int = Field(description="Offset of the passage in its source's text")
    char_end: int
    paragraph: int
    position: int = Field(description="Ordinal of the sentence in its source")

    @classmethod
    def from_core(cls, hit: PassageHit) -> SearchPassage:
        p = hit.passage
        return cls(
            text=p.text,
            similarity=round(hit.similarity, 4),
            char_start=p.char_start,
            char_end=p.char_end,
            paragraph=p.paragraph,
            position=p.position,
        )


class SearchSource(SourceMeta):
    passages: list[SearchPassage]

    @classmethod
    def from_core(cls, group: SourceHits) -> SearchSource:
        return cls(**SourceMeta.fields_of(group.source), passages=[SearchPassage.from_core(h) for h in group.hits])


class SearchResponse(BaseModel):
    query: str
    sources: list[SearchSource] = Field(description="Sources ordered by their best passage")

    @classmethod
    def from_core(cls, result: SearchResult) -> SearchResponse:
        return cls(query=result.query, sources=[SearchSource.from_core(g) for g in result.sources])


# -- the verification result: one contract for the API, the CLI, batch JSONL and the extension --

StanceLabel = Literal["supports", "conflicts", "neutral"]
VerdictLabel = Literal["supported", "refuted", "conflicting", "not_enough_evidence"]


class Highlight(BaseModel):
    """A span of the passage text worth marking: a figure, place or name that matched or differs."""

    start: int = Field(description="Offset in the passage text (not the source document)")
    end: int
    kind: str = Field(description="number, year, duration, destination, origin, actor, role")
    relation: Literal["match", "differs", "compatible", "missing"]


class PassageVerdict(BaseModel):
    text: str
    stance: StanceLabel
    similarity: float = Field(description="Cosine similarity between claim and passage, in [-1, 1]")
    score: float = Field(description="Confidence in this passage's stance, in [0, 1]")
    reasons: list[str] = Field(description="Why, in words: numbers, places, negations that decided it")
    char_start: int = Field(description="Offset of the passage in its source's text")
    char_end: int
    coverage: float = Field(description="Share of the claim's names and words the passage covers")
    highlights: list[Highlight] = Field(default_factory=list)
    nli: dict[str, float] | None = Field(default=None, description="NLI model probabilities, when one is configured")


class SourceVerdict(SourceMeta):
    stance: StanceLabel
    score: float = Field(description="Confidence in this source's stance, in [0, 1]")
    mixed: bool = Field(default=False, description="The source holds passages on both sides")
    notes: list[str] = Field(default_factory=list)
    passages: list[PassageVerdict] = Field(description="Decisive passages first, then the most similar")
    family: str | None = Field(
        default=None,
        description="Story family (docs/verdicts.md, 'Independent sources'): sources with the same family share "
        "reporting (wire copy, a republication, passages reused) and count as one independent source",
    )
    copies: list[str] = Field(
        default_factory=list, description="Source ids it shares text with that were published before it"
    )
    copied_by: list[str] = Field(
        default_factory=list, description="Source ids that share its text and were published after it"
    )
    shares_text_with: list[str] = Field(
        default_factory=list, description="Source ids it shares text with where the dates cannot tell who came first"
    )

    def related_text(self, sep: str = "; ") -> str:
        """Its story-family links in words ("copies a; shares text with b"), as the CLI and the CSV show them."""
        parts = (("copies", self.copies), ("copied by", self.copied_by), ("shares text with", self.shares_text_with))
        return sep.join(f"{label} {', '.join(ids)}" for label, ids in parts if ids)


class VerificationResult(BaseModel):
    """The answer for one claim, the same in every front door."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "claim": "1,000 troops moved to Romania",
                "language": "en",
                "verdict": "supported",
                "confidence": 0.99,
                "summary": "3 sources support the claim (2 independent), none conflict",
                "sources": [
                    {
                        "source_id": "004_f612fa7a56b26ca2",
                        "title": "Pentagon: zo'n 2.000 troepen naar Oost-Europa",
                        "published": "2022-02",
                        "language": "nl",
                        "url": None,
                        "stance": "supports",
                        "score": 0.93,
                        "mixed": False,
                        "notes": [],
                        "passages": [
                            {
                                "text": "1.000 militairen die op dit ogenblik al in Duitsland gestationeerd zijn, "
                                "gaan naar Roemenië.",
                                "stance": "supports",
                                "similarity": 0.65,
                                "score": 0.9,
                                "reasons": [
                                    "number matches: claim 1,000, source 1.000",
                                    "destination matches: Roemenië",
                                ],
                                "char_start": 520,
                                "char_end": 610,
                                "coverage": 0.95,
                                "highlights": [{"start": 0, "end": 5, "kind": "number", "relation": "match"}],
                                "nli": None,
                            }
                        ],
                    }
                ],
            }
        }
    )

    claim: str
    language: str = Field(description="Language the claim was read in (ISO 639-1)")
    verdict: VerdictLabel
    confidence: float = Field(description="Confidence in the verdict, in [0, 1]")
    summary: str
    sources: list[SourceVerdict] = Field(description="Sources by relevance: decisive ones first")
    notes: list[str] = Field(default_factory=list)
    independent_support: int = Field(
        default=0, description="Story families among the supporting sources: how many independent sources support"
    )
    independent_conflict: int = Field(
        default=0, description="Story families among the conflicting sources: how many independent sources conflict"
    )

    @classmethod
    def from_core(cls, result: Verification) -> VerificationResult:
        return cls.model_validate(verification_contract(result))


def verification_json(result: Verification) -> bytes:
    """:class:`VerificationResult` as JSON, without building the models: what the API sends for every
    check. Validating ~45 nested models per answer only to serialize them again cost the request
    ~0.1 ms; ``test_schemas`` checks these bytes are the model's own JSON."""
    return to_json(verification_contract(result))


# The contract as plain data, the one mapping from the core dataclasses: the models above validate it,
# ``verification_json`` serializes it directly. Keys in the models' field order.


def verification_contract(result: Verification) -> dict[str, Any]:
    counts = {stance: sum(1 for s in result.sources if s.stance == stance) for stance in ("supports", "conflicts")}
    independent = {stance: len({s.family for s in result.sources if s.stance == stance}) for stance in counts}
    summary = summarize(
        result.verdict, counts["supports"], counts["conflicts"], len(result.sources), independent=independent
    )
    return {
        "claim": result.claim,
        "language": result.language,
        "verdict": result.verdict,
        "confidence": round(result.confidence, 3),
        "summary": summary,
        "sources": [source_contract(s) for s in result.sources],
        "notes": list(result.notes),
        "independent_support": independent["supports"],
        "independent_conflict": independent["conflicts"],
    }


def source_contract(result: SourceResult) -> dict[str, Any]:
    return {
        **SourceMeta.fields_of(result.source),
        "stance": result.stance,
        "score": round(result.score, 3),
        "mixed": result.mixed,
        "notes": list(result.notes),
        "passages": [passage_contract(p) for p in result.passages],
        "family": result.family,
        "copies": result.related.ids("copies") if result.related else [],
        "copied_by": result.related.ids("copied_by") if result.related else [],
        "shares_text_with": result.related.ids("shares_text") if result.related else [],
    }


def passage_contract(result: PassageResult) -> dict[str, Any]:
    highlights = {
        (start, end, f.slot, f.relation)
        for f in result.findings
        for start, end in f.source_spans
        if f.relation in {"match", "differs"}
    }
    return {
        "text": result.passage.text,
        "stance": result.stance,
        "similarity": round(result.similarity, 4),
        "score": round(result.score, 3),
        "reasons": list(result.reasons),
        "char_start": result.passage.char_start,
        "char_end": result.passage.char_end,
        "coverage": round(result.coverage, 3),
        "highlights": [{"start": s, "end": e, "kind": k, "relation": r} for s, e, k, r in sorted(highlights)],
        "nli": result.nli,
    }


def summarize(
    verdict: str, supports: int, conflicts: int, sources: int, *, independent: dict[str, int] | None = None
) -> str:
    """``independent``: story families per side (``supports``, ``conflicts``), said after a count of two or more."""

    def n(count: int) -> str:
        return f"{count} source{'s' if count != 1 else ''}"

    def verb(count: int, singular: str, plural: str) -> str:
        return singular if count == 1 else plural

    def families(stance: str, count: int) -> str:
        found = (independent or {}).get(stance)
        return f" ({found} independent)" if count > 1 and found is not None else ""

    s, c = families("supports", supports), families("conflicts", conflicts)
    if verdict == "supported":
        return f"{n(supports)} {verb(supports, 'supports', 'support')} the claim{s}, none conflict"
    if verdict == "refuted":
        return f"{n(conflicts)} {verb(conflicts, 'conflicts', 'conflict')} with the claim{c}, none support it"
    if verdict == "conflicting":
        return f"sources disagree: {supports} support{s}, {conflicts} conflict{c}"
    return f"none of the {n(sources)} checked supports or contradicts the claim"
