"""The analysis of one text: plain, immutable records with character spans."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["actor", "origin", "destination", "location", "agent", "other"]
EntityKind = Literal["country", "region", "place", "org", "person", "name"]
QuantityKind = Literal["exact", "approx", "range", "min", "max", "vague"]


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    lower: str  # case-folded
    fold: str  # case-folded, accents removed: cross-spelling comparisons
    lemma: str  # simplemma lemma, case-folded

    @property
    def is_capitalized(self) -> bool:
        return self.text[:1].isupper()


@dataclass(frozen=True)
class Quantity:
    """A number in the text and what it counts; ``low``/``high`` bound what it allows."""

    value: float
    low: float
    high: float
    kind: QuantityKind
    concept: str | None  # "troops", "ships", ...; None when the noun is unknown
    noun: str | None  # the counted word as written
    text: str  # the number as written, e.g. "zo'n 100.000", "een duizendtal"
    start: int
    end: int
    clause: int
    contrasted: bool = False  # "in plaats van ...": the value the sentence sets aside
    strict: bool = False  # a bound that excludes its own figure: "more than 79%", "minder dan 50"


@dataclass(frozen=True)
class Year:
    """A year, with the month and day when the text gives a date, and a bound ("before 1998").
    ``value`` is 0 for a day of a month written without its year ("April 4")."""

    value: int
    text: str
    start: int
    end: int
    clause: int
    contrasted: bool = False
    bound: Literal["", "before", "after"] = ""
    month: int = 0  # 1-12; 0 when not given
    day: int = 0  # 1-31; 0 when not given
    span: int = 1  # the years it covers from ``value``: 10 for "the 1980s", 4 for "the early 1980s"


@dataclass(frozen=True)
class Duration:
    days: float
    unit: str
    value: float
    text: str
    start: int
    end: int
    clause: int
    contrasted: bool = False
    # the days it allows, when a bound or an approximation widens it ("below 17 years", "meer dan
    # twee weken", "about a month"); None: the value itself
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class EntityMention:
    id: str  # "country:RO", "region:151", "org:nato", "person:putin", "name:interfax"
    kind: EntityKind
    label: str  # English display name
    text: str  # as written
    start: int
    end: int
    clause: int
    role: Role
    via: Literal["name", "demonym", "compound", "alias", "fuzzy", "unknown"] = "name"
    derived: bool = False  # role inferred from the clause ("in X" of something moved elsewhere), not stated


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    negations: tuple[str, ...]  # cue words, as written
    negated: bool
    hedges: tuple[str, ...]
    speaker: str | None  # entity id of who is reported as saying it
    speech: str | None  # the speech verb as written
    past: tuple[str, ...] = ()  # "eerder", "previously": about a former state
    evidential: tuple[str, ...] = ()  # "no evidence", "dismissed": a negation that speaks of the claim itself


@dataclass(frozen=True)
class Analysis:
    text: str
    language: str
    tokens: tuple[Token, ...]
    quantities: tuple[Quantity, ...]
    years: tuple[Year, ...]
    durations: tuple[Duration, ...]
    entities: tuple[EntityMention, ...]
    clauses: tuple[Clause, ...]
    content: tuple[Token, ...] = field(default=())  # words that carry meaning: no stopwords, numbers or names
    place_refs: tuple[tuple[str, int, int], ...] = ()  # "aan het land": (role, start, end) of a place named before

    # Views the comparison reads for every claim, computed once per (cached) analysis. Fields, not
    # cached_property: compiled (mypyc) classes have no instance dict, so that recomputed them on
    # every read. Derived, so left out of init, repr and equality.
    entity_ids: tuple[str, ...] = field(init=False, repr=False, compare=False)
    # content words, and unknown names as words, whole and word by word: a claim's opening
    # "Turkey" that the lexicon misses is a word there and a name here, and a claim's "Erdogan"
    # is found in "President Recep Tayyip Erdogan"
    content_folds: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [m.id.partition(":")[2] for m in self.entities if m.kind == "name"]
        name_words = [w for name in names for w in name.split() if w != name]
        object.__setattr__(self, "entity_ids", tuple(m.id for m in self.entities))
        folds = dict.fromkeys([*(t.fold for t in self.content), *names, *name_words])
        object.__setattr__(self, "content_folds", tuple(folds))

    def clause_of(self, start: int) -> int:
        for i, clause in enumerate(self.clauses):
            if clause.start <= start < clause.end:
                return i
        return max(0, len(self.clauses) - 1)

    @property
    def negated(self) -> bool:
        """Polarity of the main assertion: the first clause that carries content."""
        return bool(self.clauses) and self.clauses[0].negated
