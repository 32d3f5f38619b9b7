"""JSON shapes shared by the CLI (``--json``), the HTTP API and batch output.

Kept apart from the core dataclasses so the wire contract changes only on
purpose; ``from_core`` constructors are the one place that maps between them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from index.store import PassageHit, SourceHits, SourceRecord
from service.corpus import SearchResult


class SourceInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    source_id: str
    title: str | None = None
    published: str | None = Field(
        default=None, description="ISO date at the precision known: 2022, 2022-02 or 2022-02-03"
    )
    language: str | None = Field(default=None, description="ISO 639-1 code")
    url: str | None = None
    sentence_count: int

    @classmethod
    def from_core(cls, source: SourceRecord) -> SourceInfo:
        return cls(
            source_id=source.source_id,
            title=source.title,
            published=source.published,
            language=source.language,
            url=source.url,
            sentence_count=source.sentence_count,
        )


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


class SearchSource(BaseModel):
    source_id: str
    title: str | None = None
    published: str | None = None
    language: str | None = None
    url: str | None = None
    passages: list[SearchPassage]

    @classmethod
    def from_core(cls, group: SourceHits) -> SearchSource:
        s = group.source
        return cls(
            source_id=s.source_id,
            title=s.title,
            published=s.published,
            language=s.language,
            url=s.url,
            passages=[SearchPassage.from_core(h) for h in group.hits],
        )


class SearchResponse(BaseModel):
    query: str
    sources: list[SearchSource] = Field(description="Sources ordered by their best passage")

    @classmethod
    def from_core(cls, result: SearchResult) -> SearchResponse:
        return cls(query=result.query, sources=[SearchSource.from_core(g) for g in result.sources])
