"""Stance of one passage towards a claim, with the reasons.

Both texts are analysed the same way (``service.analysis``); this module
compares the two analyses slot by slot and decides, in this order:

* **neutral** when another actor acts in the passage: another event;
* **conflicts** when exactly one checked value (number, year, duration,
  destination, origin) disagrees about what is evidently the same event: an
  *anchor* ties them (another value matching exactly, the same actor with
  most of the claim covered, the claim's names, or everything else the claim
  says): "4,000 troops to Romania" against "1.000 militairen ... gaan naar
  Roemenië". Two disagreeing values mean another event: neutral;
* **conflicts** when the passage says what the claim says with the opposite
  polarity, asserting it ("niet met deze eisen te zullen instemmen");
* **supports** when every value the claim fixes is confirmed, nothing
  disagrees, the polarity agrees and the claim's words and names are found;
* **neutral** otherwise. High similarity alone never supports.

``docs/verdicts.md`` states the same rules for readers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Final, Literal

from service.analysis import Analysis, Clause, EntityMention, Quantity
from service.analysis.entities import PLACE_KINDS
from service.analysis.lexicon import Lexicon, lexicon
from service.words import ClaimWords, WordCover, WordMatcher, specificity

Stance = Literal["supports", "conflicts", "neutral"]
Relation = Literal["match", "differs", "compatible", "missing"]

# Similarity floors: below these a passage is not about the claim at all.
MIN_SIMILARITY = 0.20
CONFLICT_SIMILARITY = 0.25
SUPPORT_SIMILARITY_NO_VALUES = 0.45  # no figure, place or year to check: the sentence must be close
# Claim coverage (names and words found in the passage) needed to support, or
# to turn a polarity difference into a conflict.
SUPPORT_COVERAGE = 0.6
SUPPORT_WORDS = 0.5
WORDS_PER_CONFIRMED_FACT = 0.05
SUPPORT_SENTENCE = 0.55
POLARITY_COVERAGE = 0.7
POLARITY_WORDS = 0.5
# A slot conflict needs the passage to be about the same kind of thing (US
# soldiers, not US civilians) ...
CONFLICT_COVERAGE = 0.45
# ... and an anchor: a value that matches (number, place, year), or the same
# actor with most of the claim covered (there are many groups of US troops).
ACTOR_ANCHOR_COVERAGE = 0.75
VALUE_SLOTS = frozenset({"number", "year", "duration", "destination", "origin"})
# A passage that covers all of the claim but one value is about the same event.
CONTENT_ANCHOR_COVERAGE = 0.85
CONTENT_ANCHOR_SIMILARITY = 0.5
# Figures further apart than this are different groups unless a place or year ties them.
SAME_SCALE_RATIO = 20
# A negation contradicts only a passage close to the claim as a whole.
POLARITY_SIMILARITY = 0.45
# Word similarity mapped to coverage: 0.45 or less is no cover (related but different
# words such as "leave" and "sturen" score ~0.5), 0.75 or more is full cover.
WORD_FLOOR, WORD_FULL = 0.45, 0.75
HEDGE_FACTOR = 0.85
CONTEXT_FACTOR = 0.8
# A name weighs as much as a rare word (see service.words.specificity).
NAME_WEIGHT = 4.0
SPATIAL_ROLES = frozenset({"origin", "destination", "location"})
PLACE_SLOTS = (("destination", frozenset({"destination", "location"})), ("origin", frozenset({"origin"})))
WHO_ROLES = frozenset({"actor", "agent"})


# The records below are built by the dozen for every claim (~60 findings, ~50 stances, ~70
# coverages). Compiled with mypyc, a frozen dataclass's generated ``__init__`` still runs as
# interpreted Python through ``object.__setattr__`` (~0.5 us an object, 9% of a claim's CPU);
# a hand-written ``__init__`` compiles to plain stores (~25 ns). ``Final`` fields keep them
# immutable: mypy refuses an assignment, and compiled, so does the runtime.


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


def _spans(items: Iterable[EntityMention | Quantity]) -> tuple[tuple[int, int], ...]:
    return tuple((item.start, item.end) for item in items)


# -- compatibility of values ----------------------------------------------------------------


def related_places(a: str, b: str, lex: Lexicon) -> Literal["same", "narrower", "broader", "unrelated"]:
    """How place ``b`` relates to place ``a``: the same, inside it, containing it, or neither."""
    if a == b:
        return "same"
    if a in lex.parents.get(b, frozenset()):
        return "narrower"  # b lies in a: "to Eastern Europe" is confirmed by "naar Roemenië"
    if b in lex.parents.get(a, frozenset()):
        return "broader"
    return "unrelated"


@cache
def _party(entity: str) -> frozenset[str]:
    """An entity and everyone it acts for: Kirby -> Pentagon -> US."""
    lex = lexicon()
    seen = {entity}
    x = entity
    while x in lex.affiliation and lex.affiliation[x] not in seen:
        x = lex.affiliation[x]
        seen.add(x)
    # a city or state acts for its country, but two countries are not one party
    # because both lie in Europe
    for member in list(seen):
        if member.startswith("place:"):
            seen |= {p for p in lex.parents.get(member, ()) if p.startswith("country:")}
    return frozenset(seen)


def same_party(a: str, b: str, lex: Lexicon) -> bool:
    """Actors that can stand for each other: Biden and the US, Kirby and the Pentagon."""
    return a == b or not _party(a).isdisjoint(_party(b))


@lru_cache(maxsize=100_000)
def _found(stated: tuple[str, ...], claimed: str) -> bool:
    """Does any of ``stated`` stand for ``claimed``? Cached: a passage's names recur from claim to claim."""
    return any(stands_for(other, claimed) for other in stated)


@lru_cache(maxsize=100_000)
def stands_for(stated: str, claimed: str) -> bool:
    """Can the passage's ``stated`` entity confirm a mention of ``claimed``?

    Biden stands for the US and the US for the Pentagon when it comes to who
    acted, and a city lies in its country; but a named person is only
    confirmed by that person: NATO does not confirm "Stoltenberg".
    """
    lex = lexicon()
    if stated == claimed or related_places(claimed, stated, lex) in {"same", "narrower"}:
        return True
    if claimed.startswith("person:"):
        return False
    return same_party(stated, claimed, lex)


def quantities_relate(claim: Quantity, passage: Quantity) -> Literal["match", "weak", "differs", "vague"]:
    overlap = claim.low <= passage.high and passage.low <= claim.high
    precise = {"exact", "approx"}
    if overlap:
        if passage.kind in precise and claim.low <= passage.value <= claim.high:
            return "match"  # the source's figure lies where the claim puts it ("at least eleven" / "elf")
        if passage.kind in {"min", "max"} and claim.kind in precise and _close(claim.value, passage.value, 0.15):
            return "match"  # "a 60-kilometre convoy" / "ruim 60 kilometer": the claim rounds the reported bound
        if claim.kind in precise and passage.kind in precise:
            return "match"
        same_bounds = claim.kind == passage.kind and _close(claim.low, passage.low) and _close(claim.high, passage.high)
        return "match" if same_bounds else "weak"  # "3,000" within "1,000 to 5,000" is consistent, not confirmed
    if claim.kind == "vague" or passage.kind == "vague":
        return "vague"  # "thousands" never contradicts a figure
    return "differs"


def _close(a: float, b: float, tolerance: float = 0.005) -> bool:
    return a == b or abs(a - b) <= tolerance * max(abs(a), abs(b))


def concepts_comparable(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return not ({a, b} & {"percent", "money"})
    return a == b


# -- the comparison ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _ClaimSide:
    """What every comparison reads from the claim, derived once per claim, not once per passage."""

    clause: Clause
    places: dict[str, tuple[list[EntityMention], str]]  # slot -> (claimed places, their names)
    actors: list[EntityMention]  # who the claim has acting
    actor_names: str
    names: dict[str, str]  # entity id -> the claim's text for it

    @classmethod
    def of(cls, claim: Analysis) -> _ClaimSide:
        places = {}
        for slot, roles in PLACE_SLOTS:
            claimed = _places(claim, roles)
            places[slot] = (claimed, ", ".join(dict.fromkeys(m.text for m in claimed)))
        actors = [m for m in _who(claim) if m.kind in {"country", "org", "person", "region"}]
        return cls(
            _claim_clause(claim),
            places,
            actors,
            ", ".join(dict.fromkeys(m.text for m in actors)),
            {m.id: m.text for m in claim.entities},
        )


_last_claim = threading.local()


def _claim_side(claim: Analysis) -> _ClaimSide:
    """:meth:`_ClaimSide.of`, kept for the claim last seen on this thread: a claim is compared
    with its candidates one after another."""
    last: tuple[Analysis, _ClaimSide] | None = getattr(_last_claim, "side", None)
    if last is not None and last[0] is claim:
        return last[1]
    side = _ClaimSide.of(claim)
    _last_claim.side = (claim, side)
    return side


class _Comparison:
    """One claim against one passage: what both say, and the findings gathered so far."""

    def __init__(
        self, claim: Analysis, passage: Analysis, context: Sequence[Analysis], lex: Lexicon, side: _ClaimSide
    ) -> None:
        self.claim: Final = claim
        self.passage: Final = passage
        self.context: Final = context
        self.lex: Final = lex
        self.side: Final = side
        self.findings: list[Finding] = []
        self.set_aside = False  # the passage names the claim's value as the one it replaces

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def of(self, relation: Relation) -> list[Finding]:
        return [f for f in self.findings if f.relation == relation]


def _check_quantities(c: _Comparison) -> None:
    passage_qs = [q for q in c.passage.quantities if not q.contrasted]
    for qc in (q for q in c.claim.quantities if not q.contrasted):
        comparable = [qp for qp in passage_qs if concepts_comparable(qc.concept, qp.concept)]
        what = f" {qc.noun}" if qc.noun else ""
        if not comparable:
            c.add(Finding("number", "missing", qc.text, None, f"source gives no number for{what or ' it'}"))
            continue
        relations = [(quantities_relate(qc, qp), qp) for qp in comparable]
        for wanted in ("match", "weak"):
            hit = next((qp for rel, qp in relations if rel == wanted), None)
            if hit is not None:
                relation: Relation = "match" if wanted == "match" else "compatible"
                word = "number matches" if wanted == "match" else "number is consistent"
                # a figure inside "up to 10,000" confirms it but does not tie two events together
                exact = qc.kind in {"exact", "approx"} or (qc.kind == hit.kind and qc.kind != "vague")
                c.add(
                    Finding(
                        "number",
                        relation,
                        qc.text,
                        hit.text,
                        f"{word}: claim {qc.text}, source {hit.text}",
                        _spans([hit]),
                        _spans([qc]),
                        exact=exact,
                    )
                )
                break
        else:
            precise = [qp for rel, qp in relations if rel == "differs"]
            if precise and not any(_same_scale(qc, qp) for qp in precise) and not _value_anchor_possible(c):
                # "Twee militairen" on a photo is another group, not a misreported 8,500
                c.add(
                    Finding(
                        "number",
                        "compatible",
                        qc.text,
                        precise[0].text,
                        f"source counts another group: {precise[0].text}",
                    )
                )
            elif precise:
                # the same thing counted, if any, else the first comparable figure
                qp = next((q for q in precise if q.concept == qc.concept and q.concept), precise[0])
                counted = qc.concept or qp.concept
                c.add(
                    Finding(
                        "number",
                        "differs",
                        qc.text,
                        qp.text,
                        f"number differs: claim {qc.text} vs source {qp.text}" + (f" ({counted})" if counted else ""),
                        _spans([qp]),
                        _spans([qc]),
                    )
                )
            else:
                c.add(
                    Finding(
                        "number",
                        "compatible",
                        qc.text,
                        relations[0][1].text,
                        f"source gives only a rough figure: {relations[0][1].text}",
                    )
                )


def _same_scale(claim: Quantity, passage: Quantity) -> bool:
    """Figures within a factor of 20: a misreport of the same number, not a different group."""
    low, high = sorted((abs(claim.value), abs(passage.value)))
    return low > 0 and high / low <= SAME_SCALE_RATIO


def _value_anchor_possible(c: _Comparison) -> bool:
    """Could a place or a year tie the two figures to one event? Both texts must name one."""
    places = any(m.role in SPATIAL_ROLES and m.kind in PLACE_KINDS for m in c.claim.entities) and any(
        m.role in SPATIAL_ROLES and m.kind in PLACE_KINDS for m in c.passage.entities
    )
    return places or bool(c.claim.years and c.passage.years)


def _check_set_aside(c: _Comparison) -> None:
    """The claim's own value is the one the passage sets aside: "na vijf dagen, in plaats van na tien dagen"."""
    pairs: list[tuple[str, str, str, tuple[int, int]]] = []
    for qc in c.claim.quantities:
        for qp in c.passage.quantities:
            if qp.contrasted and concepts_comparable(qc.concept, qp.concept) and quantities_relate(qc, qp) == "match":
                pairs.append(("number", qc.text, qp.text, (qp.start, qp.end)))
    for dc in c.claim.durations:
        for dp in c.passage.durations:
            if dp.contrasted and abs(dp.days - dc.days) <= 0.01 * dc.days:
                pairs.append(("duration", dc.text, dp.text, (dp.start, dp.end)))
    for yc in c.claim.years:
        for yp in c.passage.years:
            if yp.contrasted and yp.value == yc.value:
                pairs.append(("year", yc.text, yp.text, (yp.start, yp.end)))
    for slot, claimed, stated, span in pairs:
        c.add(Finding(slot, "match", claimed, stated, f"source sets the claim's {slot} aside: {stated}", (span,)))
        c.set_aside = True


def _check_years(c: _Comparison) -> None:
    claim_years = [y for y in c.claim.years if not y.contrasted]
    passage_years = [y for y in c.passage.years if not y.contrasted]
    for yc in claim_years:
        same = next((y for y in passage_years if y.value == yc.value), None)
        if same is not None:
            c.add(Finding("year", "match", yc.text, same.text, f"year matches: {same.text}", ((same.start, same.end),)))
        elif passage_years:
            yp = passage_years[0]
            c.add(
                Finding(
                    "year",
                    "differs",
                    yc.text,
                    yp.text,
                    f"year differs: claim {yc.text} vs source {yp.text}",
                    ((yp.start, yp.end),),
                )
            )
        else:
            c.add(Finding("year", "missing", yc.text, None, f"source gives no year for {yc.text}"))


def _check_durations(c: _Comparison) -> None:
    passage_ds = [d for d in c.passage.durations if not d.contrasted]
    for dc in (d for d in c.claim.durations if not d.contrasted):
        same = next((d for d in passage_ds if abs(d.days - dc.days) <= 0.01 * dc.days), None)
        if same is not None:
            c.add(
                Finding(
                    "duration", "match", dc.text, same.text, f"duration matches: {same.text}", ((same.start, same.end),)
                )
            )
        elif passage_ds:
            dp = passage_ds[0]
            c.add(
                Finding(
                    "duration",
                    "differs",
                    dc.text,
                    dp.text,
                    f"duration differs: claim {dc.text} vs source {dp.text}",
                    ((dp.start, dp.end),),
                )
            )
        else:
            c.add(Finding("duration", "missing", dc.text, None, f"source gives no duration for {dc.text}"))


def _places(analysis: Analysis, roles: AbstractSet[str]) -> list[EntityMention]:
    return [m for m in analysis.entities if m.role in roles and m.kind in PLACE_KINDS]


def _check_places(c: _Comparison) -> None:
    """Where it goes (destination, or location when nothing moves) and where it comes from."""
    for slot, roles in PLACE_SLOTS:
        claimed, names_c = c.side.places[slot]
        if not claimed:
            continue
        stated = _places(c.passage, roles)
        refers_back = any(role in roles for role, _, _ in c.passage.place_refs)
        if not stated and refers_back:
            # "leveren aan het land" after "aan Oekraïne": the place named before is the one meant
            around = [m for a in c.context for m in a.entities if m.kind in PLACE_KINDS and m.via != "demonym"]
            stated = [m for m in around if m.role in roles] or [m for m in around if m.role in SPATIAL_ROLES]
        if not stated:
            # the place may be named in the sentence around it ("naar NAVO-lidstaten in Oost-Europa")
            around = [m for a in c.context for m in _places(a, roles)]
            if around and all(
                any(related_places(mc.id, mp.id, c.lex) in {"same", "narrower"} for mp in around) for mc in claimed
            ):
                # named nearby, not in the passage: consistent, but the passage itself does not confirm it
                c.add(
                    Finding(
                        slot,
                        "compatible",
                        names_c,
                        ", ".join(m.text for m in around),
                        f"{slot} named only in a nearby sentence: {names_c}",
                    )
                )
            else:
                c.add(Finding(slot, "missing", names_c, None, f"source does not say the {slot}"))
            continue
        names_p = ", ".join(dict.fromkeys(m.text for m in stated))
        relations = [[related_places(mc.id, mp.id, c.lex) for mp in stated] for mc in claimed]
        confirmed = [any(r in {"same", "narrower"} for r in row) for row in relations]
        touching = [any(r != "unrelated" for r in row) for row in relations]
        spans = _spans(stated)
        if all(confirmed):
            exact = all(any(r == "same" for r in row) for row in relations)
            reason = f"{slot} matches: {names_p}" if exact else f"{slot} lies within the claimed {names_c}: {names_p}"
            c.add(Finding(slot, "match", names_c, names_p, reason, spans, _spans(claimed), exact=exact))
        elif any(touching):
            c.add(
                Finding(
                    slot,
                    "compatible",
                    names_c,
                    names_p,
                    f"{slot} only partly stated: claim {names_c}, source {names_p}",
                    spans,
                )
            )
        else:
            c.add(
                Finding(
                    slot,
                    "differs",
                    names_c,
                    names_p,
                    f"{slot} differs: claim {names_c}, source {names_p}",
                    spans,
                    _spans(claimed),
                )
            )


def _who(analysis: Analysis) -> list[EntityMention]:
    return [m for m in analysis.entities if m.role in WHO_ROLES and m.kind != "name"]


def _check_actor(c: _Comparison) -> None:
    """Who acts. Another actor makes another event.

    The claimed actor acting anywhere in the passage is a match. Otherwise a
    different actor differs: in the clause that carries the claim, or, when
    the passage names none, a stated origin ("vanuit de VS") or an actor in the
    sentences around it. Not when the claimed actor is there in another guise
    ("zei NAVO-chef Jens Stoltenberg"), nor when the rival is a participant
    the claim itself names ("Russia demands that NATO troops leave" is not
    contradicted by "NAVO-troepen").
    """
    claimed, names_c = c.side.actors, c.side.actor_names
    if not claimed:
        return

    def compatible(mentions: Iterable[EntityMention]) -> list[EntityMention]:
        return [m for m in mentions if any(same_party(mc.id, m.id, c.lex) for mc in claimed)]

    acting = compatible(_who(c.passage))
    if acting:
        names = ", ".join(dict.fromkeys(m.text for m in acting))
        c.add(Finding("actor", "match", names_c, names, f"actor matches: {names}", _spans(acting)))
        return
    if compatible(c.passage.entities):
        return
    clause = c.passage.clauses.index(_best_clause(c)) if c.passage.clauses else 0
    mentioned = {m.id for m in c.claim.entities}
    rivals = [m for m in _who(c.passage) if m.clause == clause and m.id not in mentioned]
    if not _who(c.passage):
        # no actor in the sentence: the one it states the troops come from ("vanuit de VS")
        rivals = [m for m in _places(c.passage, {"origin"}) if not m.derived and m.kind == "country"]
    rivals = [m for m in rivals if m.id not in mentioned]
    if rivals:
        names_p = ", ".join(dict.fromkeys(m.text for m in rivals))
        spans = _spans(m for m in rivals if any(m is x for x in c.passage.entities))
        c.add(Finding("actor", "differs", names_c, names_p, f"another actor: claim {names_c}, source {names_p}", spans))


def _actor_unconfirmed(c: _Comparison) -> Finding | None:
    """The claim says who acted; neither the passage nor the sentences around it name them."""
    claimed = [m for m in _who(c.claim) if m.kind in {"country", "org", "person"} and m.via != "compound"]
    if not claimed:
        return None
    stated = [m.id for m in c.passage.entities] + [m.id for a in c.context for m in a.entities]
    if any(stands_for(sid, mc.id) for mc in claimed for sid in stated):
        return None
    names = ", ".join(dict.fromkeys(m.text for m in claimed))
    return Finding("actor", "missing", names, None, f"source does not say {names} did it")


def _role_clashes(c: _Comparison) -> list[Finding]:
    """A name the claim gives one role and the passage another: actor here, destination there."""
    clashes = []
    for mc in c.claim.entities:
        # demonyms are affiliations, not places: "American troops" fit "troepen in de VS"
        if mc.kind not in PLACE_KINDS or mc.role not in SPATIAL_ROLES | WHO_ROLES or mc.via == "demonym":
            continue
        same = [mp for mp in c.passage.entities if mp.id == mc.id and mp.via != "demonym"]
        if not same:
            continue
        claim_group = "who" if mc.role in WHO_ROLES else ("from" if mc.role == "origin" else "to")
        groups = {
            "who" if mp.role in WHO_ROLES else ("from" if mp.role == "origin" else "to")
            for mp in same
            if mp.role in SPATIAL_ROLES | WHO_ROLES
        }
        # who acts or where it starts, against where it goes: "Poland is sending" / "naar Polen".
        # Acting from one's own country ("fled Ukraine" / "uit Oekraïne") is no clash.
        if groups and claim_group not in groups and ("to" in groups) != (claim_group == "to"):
            clashes.append(
                Finding(
                    "role",
                    "differs",
                    mc.text,
                    same[0].text,
                    f"{mc.text} plays another part in the source",
                    _spans(same[:1]),
                )
            )
    return clashes


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


def coverages(
    claim: Analysis, candidates: Sequence[Sequence[Analysis]], words: ClaimWords
) -> list[tuple[Coverage, Coverage]]:
    """Share of the claim's names and content words each candidate (a passage, then the sentences
    around it) covers: with the sentences around, and in the passage alone.

    Names may be found around the passage at a discount (anaphora: "het land", "hij"); the
    second result counts the passage alone, for what must rest on it. Words weigh by how much
    they say (``words.weights``, from their frequency in the claim's language). A claim's
    candidates are covered together (:meth:`ClaimWords.covers`), and :func:`compare` takes
    each one's result.
    """
    names = _claim_side(claim).names
    name_total = NAME_WEIGHT * len(names)
    word_total = words.total_weight if words.words else 0.0
    found: list[tuple[WordCover, WordCover]]
    if words.words:
        folds = [[a.content_folds for a in candidate] for candidate in candidates]
        found = words.covers(folds, WORD_FLOOR, WORD_FULL, CONTEXT_FACTOR)
    else:
        found = [((0.0, ()), (0.0, ()))] * len(candidates)
    result: list[tuple[Coverage, Coverage]] = []
    for candidate, ((own_covered, own_word_gaps), (with_covered, with_word_gaps)) in zip(
        candidates, found, strict=True
    ):
        passage_ids = candidate[0].entity_ids
        context_ids = tuple(i for a in candidate[1:] for i in a.entity_ids)
        own_name_gaps: list[str] = []
        with_name_gaps: list[str] = []
        nearby = 0  # names found only around the passage
        for name, text in names.items():
            if _found(passage_ids, name):
                continue
            own_name_gaps.append(text)
            if _found(context_ids, name):
                nearby += 1
            else:
                with_name_gaps.append(text)
        own_names = NAME_WEIGHT * (len(names) - len(own_name_gaps))
        with_names = own_names + NAME_WEIGHT * CONTEXT_FACTOR * nearby
        result.append(
            (
                _covered(with_names, name_total, with_covered, word_total, with_name_gaps, with_word_gaps),
                _covered(own_names, name_total, own_covered, word_total, own_name_gaps, own_word_gaps),
            )
        )
    return result


def _covered(
    names: float, name_total: float, words: float, word_total: float, name_gaps: list[str], word_gaps: tuple[str, ...]
) -> Coverage:
    total = name_total + word_total
    return Coverage(
        (names + words) / total if total else 1.0,
        words / word_total if word_total else 1.0,
        (*name_gaps, *word_gaps),
        every_word=not word_gaps,
    )


def _best_clause(c: _Comparison) -> Clause:
    """The passage clause that carries the claim's content: its polarity is what counts."""
    if len(c.passage.clauses) == 1:
        return c.passage.clauses[0]
    claim_ids = {m.id for m in c.claim.entities}
    claim_words = {t.lemma for t in c.claim.content} | {t.fold for t in c.claim.content}

    def weight(index: int) -> float:
        ids = {m.id for m in c.passage.entities if m.clause == index}
        items = sum(1 for q in c.passage.quantities if q.clause == index)
        clause = c.passage.clauses[index]
        words = {t.lemma for t in c.passage.content if clause.start <= t.start < clause.end}
        return 2 * len(ids & claim_ids) + items * bool(c.claim.quantities) + len(words & claim_words) + 0.5 * len(words)

    return c.passage.clauses[max(range(len(c.passage.clauses)), key=weight)]


def _claim_clause(claim: Analysis) -> Clause:
    def size(clause: Clause) -> int:
        return sum(1 for t in claim.content if clause.start <= t.start < clause.end) + sum(
            1 for m in claim.entities if clause.start <= m.start < clause.end
        )

    return max(claim.clauses, key=size)


def _speaker_clause(c: _Comparison, speaker: str) -> Clause | None:
    for clause in c.passage.clauses:
        if clause.speaker is not None and same_party(speaker, clause.speaker, c.lex):
            return clause
    return None


def _quote(passage: Analysis, clause: Clause) -> str:
    text = passage.text[clause.start : clause.end].strip()
    return text if len(text) <= 120 else text[:117] + "..."


class _Evidence:
    """Everything the decision reads, gathered once."""

    def __init__(
        self,
        c: _Comparison,
        similarity: float,
        cover: Coverage,
        own_cover: Coverage,
        claim_clause: Clause,
        passage_clause: Clause,
        speaker_ok: bool,
        reasons: list[str],
        source_actors: frozenset[str] | None = None,
    ) -> None:
        self.c: Final = c
        self.similarity: Final = similarity
        self.cover: Final = cover  # with the sentences around the passage
        self.own_cover: Final = own_cover  # by the passage alone
        self.claim_clause: Final = claim_clause
        self.passage_clause: Final = passage_clause
        self.speaker_ok: Final = speaker_ok
        self.reasons: Final = reasons
        self.source_actors: Final = source_actors

    @property
    def own(self) -> float:
        return self.own_cover.overall

    @property
    def predicate(self) -> bool:
        """Does the passage itself say what the claim says happened: its words, or the sentence as a whole?

        Every content word of the claim needs a counterpart in the passage or around it, and
        the passage itself must carry most of them (or be close as a whole sentence): names may
        come from the sentences around it ("het land", "hij"), the event may not. Without a
        matching figure, place or year, each word must be in the passage itself.
        """
        if not self.cover.every_word:
            return False  # "trekt zijn troepen terug" is not "troepenopbouw", however similar the sentences
        if self.similarity >= SUPPORT_SENTENCE:
            return True
        confirmed = [f for f in self.c.of("match") if f.exact and f.slot in VALUE_SLOTS | {"actor"}]
        if not any(f.slot in VALUE_SLOTS for f in confirmed):
            return self.own_cover.words >= SUPPORT_WORDS and self.own_cover.every_word
        # the more of the claim's facts the passage confirms, the less its wording must match
        needed = SUPPORT_WORDS - WORDS_PER_CONFIRMED_FACT * (len(confirmed) - 1)
        return self.own_cover.words >= needed

    @property
    def hedged(self) -> bool:
        return bool(self.passage_clause.hedges) and not self.claim_clause.hedges

    @property
    def polarity_differs(self) -> bool:
        return self.passage_clause.negated != self.claim_clause.negated

    def result(self, stance: Stance, strength: float, reasons: Sequence[str]) -> PassageStance:
        if self.hedged and stance != "neutral":
            strength *= HEDGE_FACTOR
        return PassageStance(
            stance,
            _score(stance, strength),
            tuple(dict.fromkeys(reasons)) or ("nothing decisive",),
            tuple(self.c.findings),
            coverage=round(self.cover.overall, 3),
        )

    def neutral(self, reasons: Sequence[str], summary: str | None = None) -> PassageStance:
        return self.result(
            "neutral", _neutral_strength(self.similarity, self.cover), [summary, *reasons] if summary else reasons
        )


def _score(stance: Stance, strength: float) -> float:
    return round(min(strength if stance != "neutral" else 1 - strength, 0.97), 3)


def _neutral_strength(similarity: float, cover: Coverage) -> float:
    """A neutral passage is scored by how far it is from deciding anything."""
    return 0.6 * (0.5 * _scale(similarity, 0.2, 0.7) + 0.5 * cover.overall)


def _may_take_side(cover: Coverage, own: Coverage) -> bool:
    """False when no decision below can find for or against: each needs this much of the claim.

    A conflict over one value needs ``CONFLICT_COVERAGE`` in the passage itself
    (:func:`_slot_conflict`); support and a polarity conflict need every content word
    covered and ``SUPPORT_COVERAGE`` or ``POLARITY_COVERAGE`` with the sentences around
    (:func:`_support`, :func:`_polarity_conflict`, through ``_Evidence.predicate``).
    """
    if own.overall >= CONFLICT_COVERAGE:
        return True
    return cover.every_word and cover.overall >= min(SUPPORT_COVERAGE, POLARITY_COVERAGE)


def _values_rule_out_a_side(c: _Comparison) -> bool:
    """After the value checks: a value the claim fixes is missing or only roughly stated, and none
    differs. Support and a polarity conflict need every value confirmed (:func:`_unconfirmed`);
    a conflict needs a differing value (:func:`_slot_conflict`) or the claim's value set aside,
    which takes a contrasted value in the passage. The actor check cannot change that: another
    actor makes the passage neutral too."""
    if not any(f.relation in {"missing", "compatible"} and f.slot in VALUE_SLOTS for f in c.findings):
        return False
    if any(f.relation == "differs" for f in c.findings):
        return False
    p = c.passage
    return not (
        any(q.contrasted for q in p.quantities)
        or any(d.contrasted for d in p.durations)
        or any(y.contrasted for y in p.years)
    )


def _brief_neutral(similarity: float, cover: Coverage) -> PassageStance:
    """What every neutral decision scores (``_Evidence.neutral``), without its reasons."""
    strength = _neutral_strength(similarity, cover)
    return PassageStance("neutral", _score("neutral", strength), (), coverage=round(cover.overall, 3), brief=True)


def compare(
    claim: Analysis,
    passage: Analysis,
    similarity: float,
    *,
    context: Sequence[Analysis] = (),
    words: ClaimWords | None = None,
    source_actors: frozenset[str] | None = None,
    brief: bool = False,
    coverage: tuple[Coverage, Coverage] | None = None,
) -> PassageStance:
    """The stance of ``passage`` towards ``claim``; ``context`` is the sentences around the passage.

    ``words`` holds the claim's word similarities (:meth:`WordMatcher.for_claim`); without it
    words are compared by spelling only. ``source_actors`` (see :func:`acting_parties`) are
    everyone the whole source has acting. ``coverage``: the passage's from :func:`coverages`,
    which covers all of a claim's candidates at once (``words`` is then not read).

    ``brief``: a passage that cannot take a side is answered as neutral, scored from its
    coverage alone, without reasons or findings (``PassageStance.brief``): one with too little
    of the claim (:func:`_may_take_side`, before any check), or one whose values rule a side
    out (:func:`_values_rule_out_a_side`, after the value checks). Most of a claim's
    candidates are such passages and most are never shown; a caller compares the ones it
    shows again in full.
    """
    if similarity < MIN_SIMILARITY:
        return PassageStance("neutral", round(1 - similarity, 3), ("not about the claim",))
    side = _claim_side(claim)
    c = _Comparison(claim, passage, context, lexicon(), side)
    if coverage is None:
        claim_words = words or claim_words_for(claim, [w for a in (passage, *context) for w in a.content_folds])
        coverage = coverages(claim, [(passage, *context)], claim_words)[0]
    # conflicts and the event itself rest on the passage alone: context may not make a caption
    # look like the event
    cover, own = coverage
    if brief and not _may_take_side(cover, own):
        return _brief_neutral(similarity, cover)
    for check in (_check_quantities, _check_years, _check_durations, _check_places):
        check(c)
    if brief and _values_rule_out_a_side(c):
        return _brief_neutral(similarity, cover)
    _check_actor(c)
    _check_set_aside(c)
    reasons = [f.reason for f in c.findings if f.relation != "missing" or f.slot in {"number", "year", "duration"}]

    claim_clause = side.clause
    passage_clause = _best_clause(c)
    speaker_ok = True
    if claim_clause.speaker is not None and claim_clause.speech is not None:
        # "Russia confirmed ...": only what Russia is reported saying can support or contradict it
        reported = _speaker_clause(c, claim_clause.speaker)
        if reported is None:
            speaker_ok = False
            info = c.lex.info(claim_clause.speaker)
            reasons.append(f"source does not report {info.label if info else 'the speaker'} saying so")
        else:
            passage_clause = reported
    evidence = _Evidence(c, similarity, cover, own, claim_clause, passage_clause, speaker_ok, reasons, source_actors)
    return _slot_conflict(evidence) or _polarity_conflict(evidence) or _support(evidence) or _undecided(evidence)


def _slot_conflict(e: _Evidence) -> PassageStance | None:
    """Exactly one checked value disagrees about what is evidently the same event."""
    c = e.c
    differs = c.of("differs")
    matches = c.of("match")
    if any(f.slot == "actor" for f in differs):
        return e.neutral(e.reasons, "another actor: a different event")
    slot_differs = [f for f in differs if f.slot != "actor"]
    clashes = _role_clashes(c)
    actor_anchor = e.own >= ACTOR_ANCHOR_COVERAGE
    # "to Europe" is matched by any European country: only the same place ties two events together
    anchors = [f for f in matches if (f.slot in VALUE_SLOTS and f.exact) or (f.slot == "actor" and actor_anchor)]
    if _names_anchor(c):
        anchors.append(Finding("names", "match", None, None, "the source names the same actors and places"))
    if e.own_cover.every_word and e.own >= CONTENT_ANCHOR_COVERAGE and e.similarity >= CONTENT_ANCHOR_SIMILARITY:
        # "Ongeveer 40.000 mensen zijn de afgelopen week uit de regio gevlucht": everything but the figure matches
        anchors.append(Finding("content", "match", None, None, "the source says everything else the claim says"))
    absent = _actor_absent_from_source(e) if slot_differs or c.set_aside else None
    if absent:
        return e.neutral([*e.reasons, *(f.reason for f in slot_differs), absent])
    if (
        len(slot_differs) == 1
        and not clashes
        and anchors
        and e.own >= CONFLICT_COVERAGE
        and e.similarity >= CONFLICT_SIMILARITY
        and not e.claim_clause.negated  # "will not send troops to Ukraine" is not contradicted by troops elsewhere
    ):
        strength = min(0.95, 0.55 + 0.12 * min(len(anchors), 2) + 0.3 * _scale(e.similarity, 0.25, 0.65))
        return e.result("conflicts", strength, _ordered(e.reasons, slot_differs))
    if c.set_aside and not slot_differs and not clashes and e.own >= CONFLICT_COVERAGE:
        # "in plaats van na tien dagen" with no other figure: the claim's value is the rejected one
        aside = [f for f in matches if f.reason.startswith("source sets")]
        return e.result("conflicts", 0.6 + 0.3 * _scale(e.similarity, 0.25, 0.65), _ordered(e.reasons, aside))
    if slot_differs or clashes:
        why = [*(f.reason for f in slot_differs), *(f.reason for f in clashes)]
        if not anchors:
            why.append("nothing else ties it to the claim's event")
        if e.own < CONFLICT_COVERAGE:
            why.append("the passage is about something else")
        summary = "differs in more than one way: another event" if len(slot_differs) + len(clashes) > 1 else None
        return e.neutral([*e.reasons, *why], summary)
    return None


def _actor_absent_from_source(e: _Evidence) -> str | None:
    """The claim says who acted and the whole source never has them act: it cannot be
    contradicting a claim about their troops ("France is sending 500 troops", "Polish soldiers")."""
    if e.source_actors is None:
        return None
    claimed = [m for m in _who(e.c.claim) if m.kind in {"country", "org", "person"}]
    if not claimed or any(same_party(m.id, a, e.c.lex) for m in claimed for a in e.source_actors):
        return None
    names = ", ".join(dict.fromkeys(m.text for m in claimed))
    return f"the source never has {names} acting: not about their actions"


def _names_anchor(c: _Comparison) -> bool:
    """Two or more of the claim's names, all in the passage itself: "Russia annexed Crimea in 2016"
    and "In 2014 veroverde Rusland de Krim" are about one event."""
    claimed = {m.id for m in c.claim.entities if m.kind != "name"}
    if len(claimed) < 2:
        return False
    stated = set(c.passage.entity_ids)
    # identity, not containment: "Europe" is not tied to an event by any European country;
    # the same test as same_party against each stated name, with their parties pooled
    parties = frozenset().union(*map(_party, stated))
    return all(e in stated or not _party(e).isdisjoint(parties) for e in claimed)


def _unconfirmed(c: _Comparison) -> list[Finding]:
    """Values the claim fixes that the passage does not confirm (missing, or only roughly compatible)."""
    gaps = [f for f in [*c.of("missing"), *c.of("compatible")] if f.slot in VALUE_SLOTS]
    actor_gap = _actor_unconfirmed(c)
    return [*gaps, actor_gap] if actor_gap else gaps


def _polarity_conflict(e: _Evidence) -> PassageStance | None:
    """The passage says what the claim says, with the opposite polarity.

    Only when it negates what the claim says happened: its values are there,
    its words (not only its names), the sentence as a whole is close, and the
    passage asserts rather than supposes ("in case troops are needed").
    """
    same_speaker = e.claim_clause.speech is not None and e.speaker_ok
    if not (
        e.polarity_differs
        and e.speaker_ok
        and not e.passage_clause.hedges
        # "Germany had earlier refused" is not contradicted by what Germany does now
        and bool(e.claim_clause.past) == bool(e.passage_clause.past)
        and not _unconfirmed(e.c)
        and e.cover.overall >= POLARITY_COVERAGE
        and e.predicate
        and e.own_cover.words >= POLARITY_WORDS
        # the same speaker saying the opposite ("admits" / "ontkent") lowers the sentences' similarity
        and e.similarity >= (MIN_SIMILARITY if same_speaker else POLARITY_SIMILARITY)
    ):
        return None
    quote = _quote(e.c.passage, e.passage_clause)
    if e.passage_clause.negated:
        reason = f'source negates ({", ".join(e.passage_clause.negations)}): "{quote}"'
    else:
        reason = f'claim negates ({", ".join(e.claim_clause.negations)}), source asserts: "{quote}"'
    strength = min(0.9, 0.45 + 0.35 * e.cover.overall + 0.2 * _scale(e.similarity, 0.3, 0.7))
    return e.result("conflicts", strength, [reason, *e.reasons])


def _support(e: _Evidence) -> PassageStance | None:
    """Every value the claim fixes is confirmed, the polarity agrees, and the passage says what
    the claim says happened (its words, or the sentence as a whole)."""
    strong = [f for f in e.c.of("match") if f.slot in VALUE_SLOTS]
    # a matching figure, year or place is evidence by itself: a long passage that
    # mentions the figure in passing scores low on sentence similarity
    floor = MIN_SIMILARITY if strong else SUPPORT_SIMILARITY_NO_VALUES
    if (
        e.polarity_differs
        or not e.speaker_ok
        or _unconfirmed(e.c)
        or not e.predicate
        or e.cover.overall < SUPPORT_COVERAGE
        or e.similarity < floor
    ):
        return None
    strength = 0.35 + 0.35 * e.cover.overall + 0.2 * _scale(e.similarity, 0.3, 0.7) + 0.05 * min(len(strong), 2)
    if e.c.of("compatible"):
        strength *= 0.9
    reasons = list(e.reasons)
    if e.claim_clause.negated:
        reasons.insert(0, f"source also negates: {', '.join(e.passage_clause.negations)}")
    if e.hedged:
        reasons.append(f"source hedges: {', '.join(e.passage_clause.hedges)}")
    return e.result("supports", strength, reasons)


def _undecided(e: _Evidence) -> PassageStance:
    why = list(e.reasons)
    why.extend(f.reason for f in _unconfirmed(e.c))
    if (e.cover.overall < SUPPORT_COVERAGE or not e.predicate) and e.cover.gaps:
        why.append(f"source does not mention: {', '.join(e.cover.gaps[:4])}")
    if e.polarity_differs and e.cover.overall < POLARITY_COVERAGE:
        why.append("polarity differs, but the passage says something else")
    return e.neutral(why)


def _scale(value: float, low: float, high: float) -> float:
    return min(1.0, max(0.0, (value - low) / (high - low)))


def _ordered(reasons: list[str], first: list[Finding]) -> tuple[str, ...]:
    head = [f.reason for f in first]
    return tuple(head + [r for r in reasons if r not in head])


def acting_parties(analyses: Iterable[Analysis]) -> frozenset[str]:
    """Everyone a source has acting: subjects, agents, stated origins, and whose troops (demonyms)."""
    return frozenset(
        m.id
        for a in analyses
        for m in a.entities
        if m.role in WHO_ROLES or m.via in {"demonym", "compound"} or (m.role == "origin" and not m.derived)
    )


def claim_words_for(claim: Analysis, vocabulary: Iterable[str], matcher: WordMatcher | None = None) -> ClaimWords:
    """The claim's content words, weighted by how much they say, against a vocabulary."""
    folds = [t.fold for t in claim.content]
    weights = [specificity(t.lower, claim.language) for t in claim.content]
    return (matcher or WordMatcher()).for_claim(folds, vocabulary, weights)
