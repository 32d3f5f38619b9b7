"""What the stance rules build and read: findings, a passage's stance, its coverage, and one
comparison of a claim with a passage in progress.

The records are built by the dozen for every claim (~60 findings, ~50 stances, ~70
coverages). Compiled with mypyc, a frozen dataclass's generated ``__init__`` still runs as
interpreted Python through ``object.__setattr__`` (~0.5 us an object, 9% of a claim's CPU);
a hand-written ``__init__`` compiles to plain stores (~25 ns). ``Final`` fields keep them
immutable: mypy refuses an assignment, and compiled, so does the runtime.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Final, Literal

from service.engine.analysis import Analysis, Clause, EntityMention, Quantity
from service.engine.analysis.entities import PLACE_KINDS
from service.engine.analysis.lexicon import Lexicon

Stance = Literal["supports", "conflicts", "neutral"]
Relation = Literal["match", "differs", "compatible", "missing"]

# The slots a value is checked in; a difference in one of them can make a conflict.
VALUE_SLOTS = frozenset({"number", "year", "duration", "destination", "origin"})
SPATIAL_ROLES = frozenset({"origin", "destination", "location"})
# place slot -> the roles a place may play in it
PLACE_SLOTS = (("destination", frozenset({"destination", "location"})), ("origin", frozenset({"origin"})))
WHO_ROLES = frozenset({"actor", "agent"})


@dataclass(init=False, unsafe_hash=True)
class Finding:
    """One checked slot: what the claim says, what the passage says, how they relate."""

    slot: Final[str]  # number, year, duration, destination, origin, place, actor, polarity, speaker, coverage
    relation: Final[Relation]
    claim: Final[str | None]
    source: Final[str | None]
    reason: Final[str]
    source_spans: Final[tuple[tuple[int, int], ...]]  # offsets in the passage, for highlighting
    claim_spans: Final[tuple[tuple[int, int], ...]]
    # False for a match that confirms but cannot tie two events together: a country inside the
    # claimed region, a figure inside "up to 10,000"
    exact: Final[bool]

    def __init__(
        self,
        slot: str,
        relation: Relation,
        claim: str | None,
        source: str | None,
        reason: str,
        source_spans: tuple[tuple[int, int], ...] = (),
        claim_spans: tuple[tuple[int, int], ...] = (),
        exact: bool = True,
    ) -> None:
        self.slot = slot
        self.relation = relation
        self.claim = claim
        self.source = source
        self.reason = reason
        self.source_spans = source_spans
        self.claim_spans = claim_spans
        self.exact = exact


@dataclass(init=False, unsafe_hash=True)
class PassageStance:
    stance: Final[Stance]
    score: Final[float]
    reasons: Final[tuple[str, ...]]
    findings: Final[tuple[Finding, ...]]
    coverage: Final[float]  # share of the claim's names and words the passage (and its context) covers
    brief: Final[bool]  # neutral from coverage alone, reasons and findings not worked out (see compare)

    def __init__(
        self,
        stance: Stance,
        score: float,
        reasons: tuple[str, ...],
        findings: tuple[Finding, ...] = (),
        coverage: float = 0.0,
        brief: bool = False,
    ) -> None:
        self.stance = stance
        self.score = score
        self.reasons = reasons
        self.findings = findings
        self.coverage = coverage
        self.brief = brief


@dataclass(init=False, unsafe_hash=True)
class Coverage:
    overall: Final[float]  # names and words together, names weighing 1.5
    words: Final[float]  # content words alone: does the passage say what the claim says happened?
    gaps: Final[tuple[str, ...]]
    every_word: Final[bool]  # each content word has some counterpart

    def __init__(self, overall: float, words: float, gaps: tuple[str, ...], every_word: bool = True) -> None:
        self.overall = overall
        self.words = words
        self.gaps = gaps
        self.every_word = every_word


def spans_of(items: Iterable[EntityMention | Quantity]) -> tuple[tuple[int, int], ...]:
    return tuple((item.start, item.end) for item in items)


def places_in(analysis: Analysis, roles: AbstractSet[str]) -> list[EntityMention]:
    return [m for m in analysis.entities if m.role in roles and m.kind in PLACE_KINDS]


def who(analysis: Analysis) -> list[EntityMention]:
    return [m for m in analysis.entities if m.role in WHO_ROLES and m.kind != "name"]


def main_clause(claim: Analysis) -> Clause:
    def size(clause: Clause) -> int:
        return sum(1 for t in claim.content if clause.start <= t.start < clause.end) + sum(
            1 for m in claim.entities if clause.start <= m.start < clause.end
        )

    return max(claim.clauses, key=size)


@dataclass(frozen=True)
class ClaimSide:
    """What every comparison reads from the claim, derived once per claim, not once per passage."""

    clause: Clause
    places: dict[str, tuple[list[EntityMention], str]]  # slot -> (claimed places, their names)
    actors: list[EntityMention]  # who the claim has acting
    actor_names: str
    names: dict[str, str]  # entity id -> the claim's text for it

    @classmethod
    def of(cls, claim: Analysis) -> ClaimSide:
        places = {}
        for slot, roles in PLACE_SLOTS:
            claimed = places_in(claim, roles)
            places[slot] = (claimed, ", ".join(dict.fromkeys(m.text for m in claimed)))
        actors = [m for m in who(claim) if m.kind in {"country", "org", "person", "region"}]
        return cls(
            main_clause(claim),
            places,
            actors,
            ", ".join(dict.fromkeys(m.text for m in actors)),
            {m.id: m.text for m in claim.entities},
        )


_last_claim = threading.local()


def claim_side(claim: Analysis) -> ClaimSide:
    """:meth:`ClaimSide.of`, kept for the claim last seen on this thread: a claim is compared
    with its candidates one after another."""
    last: tuple[Analysis, ClaimSide] | None = getattr(_last_claim, "side", None)
    if last is not None and last[0] is claim:
        return last[1]
    side = ClaimSide.of(claim)
    _last_claim.side = (claim, side)
    return side


class Comparison:
    """One claim against one passage: what both say, and the findings gathered so far."""

    def __init__(
        self, claim: Analysis, passage: Analysis, context: Sequence[Analysis], lex: Lexicon, side: ClaimSide
    ) -> None:
        self.claim: Final = claim
        self.passage: Final = passage
        self.context: Final = context
        self.lex: Final = lex
        self.side: Final = side
        self.findings: list[Finding] = []
        self.set_aside = False  # the passage names the claim's value as the one it replaces
        # a differing value measures the same thing: the same counted noun or concept, or a date
        self.same_measure = False

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def of(self, relation: Relation) -> list[Finding]:
        return [f for f in self.findings if f.relation == relation]


def best_clause(c: Comparison) -> Clause:
    """The passage clause that carries the claim's content: its polarity is what counts."""
    if len(c.passage.clauses) == 1:
        return c.passage.clauses[0]
    claim_ids = {m.id for m in c.claim.entities}
    claim_words = {t.lemma for t in c.claim.content} | {t.fold for t in c.claim.content}
    # a loop, not max() with a nested key function: compiled, a closure and its environment
    # refer to each other, a cycle only the collector frees
    best, best_weight = 0, float("-inf")
    for index, clause in enumerate(c.passage.clauses):
        ids = {m.id for m in c.passage.entities if m.clause == index}
        items = sum(1 for q in c.passage.quantities if q.clause == index)
        words = {t.lemma for t in c.passage.content if clause.start <= t.start < clause.end}
        weight = (
            2 * len(ids & claim_ids) + items * bool(c.claim.quantities) + len(words & claim_words) + 0.5 * len(words)
        )
        if weight > best_weight:  # the first of equals, as max() gives
            best, best_weight = index, weight
    return c.passage.clauses[best]
