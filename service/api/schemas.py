"""Request bodies of the HTTP API, plus the service-status replies.

Results are the shared contract in ``service.schemas`` (the same JSON as
``crosscheck check --json`` and batch output); nothing here reshapes them.
Every constraint a request must meet is in these models, so the OpenAPI
schema tells a client exactly what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic.json_schema import SkipJsonSchema

from service.batch import BatchRow, Summary
from service.verify import Filters

TOP_K_MAX = 50  # as Settings.top_k
# As index.documents accepts: 1-200 characters, no slashes or control characters.
SOURCE_ID = r"[^\x00-\x1f\x7f/\\]{1,200}"
# An ISO date at the precision known: 2022, 2022-02 or 2022-02-03.
ISO_DATE = r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?"
SOURCE_ID_PATTERN = f"^{SOURCE_ID}$"


def _matching(pattern: str, message: str) -> AfterValidator:
    """A check with a readable message; the schema states the same pattern (ECMA patterns are ASCII, like re.A)."""
    compiled = re.compile(pattern, re.ASCII)

    def check(value: str) -> str:
        if value is not None and not compiled.fullmatch(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("empty (only whitespace)")
    return value


# JSON Schema patterns are searched, not anchored: \S reads "has a character that is not a space".
NotBlank = Annotated[
    str, AfterValidator(_not_blank), WithJsonSchema({"type": "string", "minLength": 1, "pattern": r"\S"})
]
SourceId = Annotated[
    str,
    _matching(SOURCE_ID, "not a source id: 1-200 characters, no slashes or control characters"),
    WithJsonSchema({"type": "string", "pattern": SOURCE_ID_PATTERN}),
]
# A source id that may be left out (null is not offered in the schema: the field is then simply absent).
OptionalSourceId = Annotated[
    str | None,
    _matching(SOURCE_ID, "not a source id: 1-200 characters, no slashes or control characters"),
    WithJsonSchema({"type": "string", "pattern": SOURCE_ID_PATTERN}),
]
IsoDate = Annotated[
    str,
    _matching(ISO_DATE, "not a date: write 2022, 2022-02 or 2022-02-03"),
    WithJsonSchema({"type": "string", "pattern": f"^{ISO_DATE}$"}),
]


class CheckOptions(BaseModel):
    """How many passages to show, and which sources to use: the same for one claim and for a batch."""

    model_config = ConfigDict(extra="forbid")

    # strict: JSON true is not the number 1, nor "3" the number 3
    top_k: int | None = Field(
        default=None,
        strict=True,
        ge=1,
        le=TOP_K_MAX,
        description="Passages shown per source (default CROSSCHECK_TOP_K).",
    )
    sources: list[SourceId] | None = Field(
        default=None,
        max_length=1000,
        description="Only these source ids; absent or empty: every source. An unknown id answers 404.",
    )
    published_after: IsoDate | None = Field(
        default=None,
        description="Only sources published on or after this date (2022, 2022-02 or 2022-02-03); "
        "undated sources are left out when a date filter is given.",
    )
    published_before: IsoDate | None = Field(default=None, description="Only sources published on or before this date.")

    def filters(self) -> Filters:
        return Filters.of(self.sources, self.published_after, self.published_before)


class VerifyRequest(CheckOptions):
    """A claim to check, with optional filters on the sources used."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"claim": "1,000 troops moved to Romania"},
                {
                    "claim": "Duizend militairen gaan naar Roemenië",
                    "top_k": 2,
                    "sources": ["000_64af60602162f07a", "004_f612fa7a56b26ca2"],
                    "published_after": "2022-02",
                },
            ]
        },
    )

    claim: NotBlank = Field(
        description="The claim, in English or Dutch: a sentence or two. Longer than CROSSCHECK_MAX_CLAIM_CHARS "
        "(default 2,000 characters) is refused.",
    )
    appearances: list[Annotated[str, Field(max_length=4000, pattern=r"^https?://\S+$")]] | None = Field(
        default=None,
        max_length=20,
        description="Where the claim was seen (http(s) URLs, the first being where it first appeared); used only "
        "in ClaimReview output (Accept: application/ld+json), as the reviewed Claim's appearances.",
    )


class BatchRequest(CheckOptions):
    """Many claims at once, checked in order with the same options."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"claims": ["1,000 troops moved to Romania", "Duizend militairen gaan naar Polen", ""]}]
        },
    )

    claims: list[str] = Field(
        min_length=1,
        description="The claims, in English or Dutch. More than CROSSCHECK_BATCH_MAX_CLAIMS (default 1,000) is "
        "refused with 413. An empty or over-long claim does not fail the request: its row carries an `error`.",
    )


class BatchSummary(BaseModel):
    rows: int
    verdicts: dict[str, int] = Field(description="Rows by verdict, every verdict named")
    errors: dict[str, int] = Field(description="Rows not checked, by kind: 'empty claim', 'claim too long', ...")


class BatchResponse(BaseModel):
    """One row per claim, in the order sent, and the counts."""

    rows: list[BatchRow]
    summary: BatchSummary

    @classmethod
    def of(cls, rows: Iterable[BatchRow]) -> BatchResponse:
        done = list(rows)
        counts = Summary()
        for row in done:
            counts.add(row.result.verdict if row.result else None, row.error)
        totals = counts.as_dict()
        return cls(
            rows=done, summary=BatchSummary(rows=totals["rows"], verdicts=totals["verdicts"], errors=totals["errors"])
        )


class SearchRequest(BaseModel):
    """Text to find passages for, in any language the model reads."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"query": "Duizend militairen gaan naar Roemenië", "top_k": 1}]},
    )

    query: NotBlank = Field(description="At most CROSSCHECK_MAX_CLAIM_CHARS characters.")
    top_k: int | None = Field(
        default=None, strict=True, ge=1, le=TOP_K_MAX, description="Passages per source (default CROSSCHECK_TOP_K)."
    )


class DocumentRequest(BaseModel):
    """One article to add, or to put in place of the source with the same id: its `text` or `html` with a
    `source_id`, or only its `url`, and the service fetches the page."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # text or html with a source id, or a url alone to fetch; both text and html are refused
            "oneOf": [
                {"required": ["source_id", "text"]},
                {"required": ["source_id", "html"]},
                {"required": ["url"], "not": {"anyOf": [{"required": ["text"]}, {"required": ["html"]}]}},
            ],
            "examples": [
                {"url": "https://example.org/nieuws/troepen"},
                {
                    "source_id": "nos-2022-02-02-troepen",
                    "text": "De Verenigde Staten sturen 2.000 militairen naar Polen en Duitsland. "
                    "Duizend militairen die al in Duitsland zijn, gaan naar Roemenië.",
                    "title": "VS sturen troepen naar Oost-Europa",
                    "url": "https://example.org/nieuws/troepen",
                    "published": "2022-02-02",
                    "language": "nl",
                },
            ],
        },
    )

    source_id: OptionalSourceId = Field(
        default=None,
        description="Names the source; a document with an existing id replaces it. Required with text or html; "
        "with a url alone it defaults to one made from the page's canonical URL.",
    )
    text: NotBlank | SkipJsonSchema[None] = Field(default=None, description="The article body as plain text.")
    html: NotBlank | SkipJsonSchema[None] = Field(
        default=None,
        description="A whole HTML page; the article body and its title, date and language are extracted from it. "
        "Fields given here override what the page says.",
    )
    title: str | None = Field(default=None, max_length=1000)
    url: str | None = Field(
        default=None,
        max_length=4000,
        description="The article's address. Alone (no text or html), the service fetches the page (http or https; "
        "not on a private network unless CROSSCHECK_FETCH_ALLOW_PRIVATE=1) and extracts it as for html.",
    )
    published: IsoDate | None = Field(default=None, description="2022, 2022-02 or 2022-02-03.")
    language: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2}$",
        description="ISO 639-1 code (nl, en); detected from the text when absent.",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_body(cls, data: Any) -> Any:
        if isinstance(data, dict):
            given = [key for key in ("text", "html") if key in data]
            if not given and isinstance(data.get("url"), str):
                return data  # the page is fetched
            if len(given) != 1:
                raise ValueError("give exactly one of text and html, or a url alone" + (", not both" if given else ""))
            if data[given[0]] is None:
                raise ValueError(f"{given[0]} must be a string, not null")
            if data.get("source_id") is None:
                raise ValueError(f"source_id is required with {given[0]}")
        return data

    @property
    def fetches(self) -> bool:
        """Whether the service is to fetch the page at ``url``."""
        return self.text is None and self.html is None

    def metadata(self) -> dict[str, Any]:
        return self.model_dump(include={"title", "url", "published", "language"}, exclude_none=True)


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Whether the index is loaded and requests can be answered."""

    status: Literal["ready", "loading", "failed"]
    message: str | None = Field(default=None, description="Why it is not ready, when it is not")
    sources: int | None = None
    passages: int | None = None
    generation: int | None = Field(
        default=None, description="Version of the index this worker reads (it changes on every committed write)"
    )
    model: str | None = None
