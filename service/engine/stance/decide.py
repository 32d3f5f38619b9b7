"""Stance of one passage towards a claim, with the reasons.

Both texts are analysed the same way (``service.engine.analysis``); this module
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

from collections.abc import Sequence
from typing import Final

from service.engine.analysis import Analysis, Clause, Token
from service.engine.analysis.lexicon import lexicon
from service.engine.names import subject_anaphor
from service.engine.stance.actors import (
    actor_absent_from_source,
    actor_unconfirmed,
    check_actor,
    names_anchor,
    role_clashes,
    speaker_clause,
)
from service.engine.stance.coverage import claim_words_for, coverages
from service.engine.stance.records import (
    VALUE_SLOTS,
    Comparison,
    Coverage,
    Finding,
    PassageStance,
    Stance,
    best_clause,
    claim_side,
)
from service.engine.stance.slots import (
    check_durations,
    check_places,
    check_quantities,
    check_set_aside,
    check_weekdays,
    check_years,
    opposed_words,
)
from service.engine.stance.thresholds import (
    ACTOR_ANCHOR_COVERAGE,
    CONFLICT_COVERAGE,
    CONFLICT_SIMILARITY,
    CONTENT_ANCHOR_COVERAGE,
    CONTENT_ANCHOR_SIMILARITY,
    DENIAL_SIMILARITY,
    DENIAL_WORDS,
    ECHO_COVERAGE,
    ECHO_SIMILARITY,
    EVIDENTIAL_COVERAGE,
    EVIDENTIAL_SIMILARITY,
    HEDGE_FACTOR,
    MEASURE_SUBJECT_SIMILARITY,
    MIN_SIMILARITY,
    POLARITY_COVERAGE,
    POLARITY_SIMILARITY,
    POLARITY_WORDS,
    SUPPORT_COVERAGE,
    SUPPORT_SENTENCE,
    SUPPORT_SIMILARITY_NO_VALUES,
    SUPPORT_WORDS,
    WORDS_PER_CONFIRMED_FACT,
)
from service.engine.words import ClaimWords

SUBJECT_KINDS: Final = frozenset({"name", "person"})  # entity kinds that name a subject (not places or states)


def _quote(passage: Analysis, clause: Clause) -> str:
    text = passage.text[clause.start : clause.end].strip()
    return text if len(text) <= 120 else text[:117] + "..."


class _Evidence:
    """Everything the decision reads, gathered once."""

    def __init__(
        self,
        c: Comparison,
        similarity: float,
        cover: Coverage,
        own_cover: Coverage,
        claim_clause: Clause,
        passage_clause: Clause,
        speaker_ok: bool,
        reasons: list[str],
        source_actors: frozenset[str] | None = None,
        opposed: tuple[str, str] | None = None,
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
        self.opposed: Final = opposed  # a claim word the passage says the opposite of (opposed_words)

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
        """Opposite polarity: one side negates, or the passage says the opposite of a claim word
        ("declined" for "increased"); both at once cancel ("did not decline")."""
        return (self.passage_clause.negated != self.claim_clause.negated) != (self.opposed is not None)

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


def _may_take_side(cover: Coverage, own: Coverage, passage: Analysis) -> bool:
    """False when no decision below can find for or against: each needs this much of the claim.

    A conflict over one value needs ``CONFLICT_COVERAGE`` in the passage itself
    (:func:`_slot_conflict`); support and a polarity conflict need every content word
    covered and ``SUPPORT_COVERAGE`` or ``POLARITY_COVERAGE`` with the sentences around
    (:func:`_support`, :func:`_polarity_conflict`, through ``_Evidence.predicate``).
    """
    if own.overall >= CONFLICT_COVERAGE:
        return True
    if own.overall >= EVIDENTIAL_COVERAGE and any(clause.evidential for clause in passage.clauses):
        return True  # "there is no evidence that ...": :func:`_evidential_denial`
    return cover.every_word and cover.overall >= min(SUPPORT_COVERAGE, POLARITY_COVERAGE)


def _values_rule_out_a_side(c: Comparison) -> bool:
    """After the value checks: a value the claim fixes is missing or only roughly stated, and none
    differs. Support and a polarity conflict need every value confirmed (:func:`_unconfirmed`);
    a conflict needs a differing value (:func:`_slot_conflict`) or the claim's value set aside,
    which takes a contrasted value in the passage. The actor check cannot change that: another
    actor makes the passage neutral too. A passage saying the claim is unfounded ("there is no
    evidence that any of the planes crashed") rules it out at any value
    (:func:`_evidential_denial`), so it is not answered here."""
    if not c.side.clause.negated and any(clause.evidential for clause in c.passage.clauses):
        return False
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
    side = claim_side(claim)
    c = Comparison(claim, passage, context, lexicon(), side)
    if coverage is None:
        claim_words = words or claim_words_for(claim, [w for a in (passage, *context) for w in a.content_folds])
        coverage = coverages(claim, [(passage, *context)], claim_words)[0]
    # conflicts and the event itself rest on the passage alone: context may not make a caption
    # look like the event
    cover, own = coverage
    if brief and not _may_take_side(cover, own, passage):
        return _brief_neutral(similarity, cover)
    for check in (check_quantities, check_years, check_weekdays, check_durations, check_places):
        check(c)
    if brief and _values_rule_out_a_side(c):
        return _brief_neutral(similarity, cover)
    check_actor(c)
    check_set_aside(c)
    reasons = [f.reason for f in c.findings if f.relation != "missing" or f.slot in {"number", "year", "duration"}]

    claim_clause = side.clause
    passage_clause = best_clause(c)
    speaker_ok = True
    if claim_clause.speaker is not None and claim_clause.speech is not None:
        # "Russia confirmed ...": only what Russia is reported saying can support or contradict it
        reported = speaker_clause(c, claim_clause.speaker)
        if reported is None:
            speaker_ok = False
            info = c.lex.info(claim_clause.speaker)
            reasons.append(f"source does not report {info.label if info else 'the speaker'} saying so")
        else:
            passage_clause = reported
    opposed = opposed_words(c, passage_clause)
    evidence = _Evidence(
        c, similarity, cover, own, claim_clause, passage_clause, speaker_ok, reasons, source_actors, opposed
    )
    return (
        _slot_conflict(evidence)
        or _polarity_conflict(evidence)
        or _attribute_conflict(evidence)
        or _support(evidence)
        or _undecided(evidence)
    )


def _attribute_differs(c: Comparison) -> tuple[str, str] | None:
    """A nationality or country the claim gives as an attribute ("is a Canadian"), which the passage
    lacks, against another one the passage gives in the same role ("is an American actor"); or a
    value of a group of exclusive ones (``exclusive_attributes``: a genre, a party) against another."""
    return _nationality_differs(c) or _exclusive_value_differs(c)


def _exclusive_value_differs(c: Comparison) -> tuple[str, str] | None:
    table = c.lex.exclusive_attributes
    if not table:
        return None
    claimed, stated = _exclusive_values(c.claim.content, table), _exclusive_values(c.passage.content, table)
    for (group, value), text in claimed.items():
        if (group, value) in stated:
            continue
        other = next((word for (g, v), word in stated.items() if g == group and v != value), None)
        if other is not None:
            return text, other
    return None


def _exclusive_values(tokens: Sequence[Token], table: dict[str, tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The exclusive values the words give, each with the first word giving it."""
    found: dict[tuple[str, int], str] = {}
    for t in tokens:
        hit = table.get(t.fold) or table.get(t.lemma)
        if hit is not None:
            found.setdefault(hit, t.text)
    return found


def _nationality_differs(c: Comparison) -> tuple[str, str] | None:
    passage_ids = {m.id for m in c.passage.entities}
    claimed = [m for m in c.claim.entities if m.kind == "country" and m.role == "other" and m.id not in passage_ids]
    if not claimed:
        return None
    claim_ids = {m.id for m in c.claim.entities}
    other = next(
        (m for m in c.passage.entities if m.kind == "country" and m.role == "other" and m.id not in claim_ids), None
    )
    return (claimed[0].text, other.text) if other is not None else None


def _attribute_conflict(e: _Evidence) -> PassageStance | None:
    """A differing attribute of the same named subject conflicts; with no named subject the
    passage cannot support either (an unchecked differing slot is never support)."""
    pair = _attribute_differs(e.c)
    if pair is None:
        return None
    reason = f"attribute differs: claim {pair[0]} vs source {pair[1]}"
    if (
        _attribute_anchored(e)
        and e.own_cover.words >= SUPPORT_WORDS
        and e.similarity >= CONFLICT_SIMILARITY
        and not e.polarity_differs
        and not e.claim_clause.negated
    ):
        strength = 0.55 + 0.3 * _scale(e.similarity, 0.25, 0.65)
        return e.result("conflicts", strength, [reason, *e.reasons])
    return e.neutral([*e.reasons, reason])


def _slot_conflict(e: _Evidence) -> PassageStance | None:
    """Exactly one checked value disagrees about what is evidently the same event."""
    c = e.c
    differs = c.of("differs")
    matches = c.of("match")
    if any(f.slot == "actor" for f in differs):
        return e.neutral(e.reasons, "another actor: a different event")
    slot_differs = [f for f in differs if f.slot != "actor"]
    clashes = role_clashes(c)
    actor_anchor = e.own >= ACTOR_ANCHOR_COVERAGE
    # "to Europe" is matched by any European country: only the same place ties two events together
    anchors = [f for f in matches if (f.slot in VALUE_SLOTS and f.exact) or (f.slot == "actor" and actor_anchor)]
    if names_anchor(c):
        anchors.append(Finding("names", "match", None, None, "the source names the same actors and places"))
    short = any(f.relation in {"missing", "compatible"} and f.slot in VALUE_SLOTS for f in c.findings)
    if (
        c.same_measure
        and not short
        and e.own_cover.words >= SUPPORT_WORDS
        and e.similarity >= (MEASURE_SUBJECT_SIMILARITY if _subject_named(e) else CONTENT_ANCHOR_SIMILARITY)
    ):
        # "Ali grossed less than $90 million" / "the film went on to gross $187.7 million": the
        # passage says what happened in its own words, and gives another figure for the same measure;
        # not when it falls short of the claim elsewhere (a part of the troops, to one of the places)
        anchors.append(Finding("measure", "match", None, None, "the source measures the same thing for the same event"))
    if e.own_cover.every_word and e.own >= CONTENT_ANCHOR_COVERAGE and e.similarity >= CONTENT_ANCHOR_SIMILARITY:
        # "Ongeveer 40.000 mensen zijn de afgelopen week uit de regio gevlucht": everything but the figure matches
        anchors.append(Finding("content", "match", None, None, "the source says everything else the claim says"))
    absent = actor_absent_from_source(c, e.source_actors) if slot_differs or c.set_aside else None
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


def _attribute_anchored(e: _Evidence) -> bool:
    """Is the passage's differing attribute evidently that of the claim's subject? The passage names
    the claim's subject (its first name: "Summit Entertainment is a North American film studio"
    against "Summit Entertainment LLC is a British film studio"), or confirms a place, year or
    figure of it exactly ("the French embassy in Sudan" against "In Sudan, demonstrators stormed
    the German embassy")."""
    subject = next((m.text for m in e.c.claim.entities if m.kind in SUBJECT_KINDS), None)
    if subject is not None and subject not in e.cover.gaps:
        return True
    return any(f.slot in VALUE_SLOTS and f.exact for f in e.c.of("match"))


def _subject_named(e: _Evidence) -> bool:
    """Does the passage (or its subject's reference, "the film") name every name of the claim? Then a
    figure for the same measure is about the same subject, however the sentences differ in wording.

    A claim without a name may open with its subject all the same, a capitalised word the analysis
    reads as a word ("Ali grossed less than $90 million"): the passage refers to it as its own
    subject ("The film went on to gross ..."). Where the passage has the word, nothing says it is
    the passage's subject ("De 10 miljoen euro voor Giro555")."""
    names = [m.text for m in e.c.claim.entities if m.kind in SUBJECT_KINDS]
    if not names:
        opener = e.c.claim.content[0] if e.c.claim.content else None
        if opener is None or opener.start != 0 or not opener.text[:1].isupper() or e.c.claim.entities:
            return False
        return opener.fold in e.own_cover.gaps and subject_anaphor(e.c.passage)
    # a country or a place names no subject: "Amerikaanse militairen" are not one group of them
    return not any(text in e.cover.gaps for text in names)


def _unconfirmed(c: Comparison) -> list[Finding]:
    """Values the claim fixes that the passage does not confirm (missing, or only roughly compatible)."""
    gaps = [f for f in [*c.of("missing"), *c.of("compatible")] if f.slot in VALUE_SLOTS]
    actor_gap = actor_unconfirmed(c)
    return [*gaps, actor_gap] if actor_gap else gaps


def _polarity_conflict(e: _Evidence) -> PassageStance | None:
    """The passage says what the claim says, with the opposite polarity.

    Only when it negates what the claim says happened: its values are there,
    its words (not only its names), the sentence as a whole is close, and the
    passage asserts rather than supposes ("in case troops are needed").
    """
    same_speaker = e.claim_clause.speech is not None and e.speaker_ok
    evidential = _evidential_denial(e)
    if not evidential and not (
        e.polarity_differs
        and e.speaker_ok
        and not e.passage_clause.hedges
        # "Germany had earlier refused" is not contradicted by what Germany does now
        and bool(e.claim_clause.past) == bool(e.passage_clause.past)
        and (_denies(e) or (not _unconfirmed(e.c) and e.predicate))
        and e.cover.overall >= POLARITY_COVERAGE
        and e.own_cover.words >= POLARITY_WORDS
        # the same speaker saying the opposite ("admits" / "ontkent") lowers the sentences' similarity
        and e.similarity >= (MIN_SIMILARITY if same_speaker else POLARITY_SIMILARITY)
    ):
        return None
    quote = _quote(e.c.passage, e.passage_clause)
    if evidential:
        reason = f'source says it is unfounded ({", ".join(e.passage_clause.evidential)}): "{quote}"'
    elif e.opposed is not None and e.passage_clause.negated == e.claim_clause.negated:
        reason = f'source says the opposite: claim {e.opposed[0]}, source {e.opposed[1]}: "{quote}"'
    elif e.passage_clause.negated:
        reason = f'source negates ({", ".join(e.passage_clause.negations)}): "{quote}"'
    else:
        reason = f'claim negates ({", ".join(e.claim_clause.negations)}), source asserts: "{quote}"'
    strength = min(0.9, 0.45 + 0.35 * e.cover.overall + 0.2 * _scale(e.similarity, 0.3, 0.7))
    return e.result("conflicts", strength, [reason, *e.reasons])


def _evidential_denial(e: _Evidence) -> bool:
    """The passage says the claim is unfounded or untrue: "There is no evidence that any of the
    planes crashed", "Taiwan dismissed the reports that its air defence shot down a Chinese jet",
    "Er is geen bewijs dat ...". Such a sentence speaks of the claim's proposition itself rather
    than of a neighbouring fact, so it need echo less of it than a negated fact must
    (``EVIDENTIAL_COVERAGE``, ``EVIDENTIAL_SIMILARITY``), and the report it denies ("the reports
    that ...") is what it rejects, not a hedge of its own. Only against an asserting claim whose
    subject and actor the passage (or the sentences around it) names."""
    if not e.passage_clause.evidential or e.claim_clause.negated or not e.speaker_ok:
        return False
    if not _subject_and_actor_named(e):
        return False
    return e.own >= EVIDENTIAL_COVERAGE and e.similarity >= EVIDENTIAL_SIMILARITY


def _subject_and_actor_named(e: _Evidence) -> bool:
    """Does the passage, or the sentences around it, name the claim's actor and its subject (its
    first name)? A denial of another subject's deed is another matter."""
    if any(f.relation == "missing" and f.slot == "actor" for f in e.c.findings) or actor_unconfirmed(e.c):
        return False
    subject = min(e.c.claim.entities, key=lambda m: m.start).text if e.c.claim.entities else None
    return subject is None or subject not in e.cover.gaps


def _denies(e: _Evidence) -> bool:
    """The passage denies the claim's proposition about the claim's subject: "There is no evidence
    that Biden proposed a nationwide property tax increase" against "Biden proposed a 2% property
    tax increase", "De PHE voegt de cijfers niet samen" against "De PHE voegt de cijfers samen".

    Not-P rules out P at any value, so a figure or place the passage leaves out does not stand
    in the way, and paraphrased evidence need not echo every word: the informative words it
    covers (``DENIAL_WORDS``) and the sentence as a whole (``DENIAL_SIMILARITY``) carry it. A
    claim that negates is not denied by a passage that merely asserts something less specific,
    so this holds only for a negating passage against an asserting claim, and only when the
    claim's subject is named in the passage or around it (another subject is another matter).
    """
    if not e.passage_clause.negated or e.claim_clause.negated:
        return False
    if not _subject_and_actor_named(e):
        return False
    return e.own_cover.words >= DENIAL_WORDS and e.similarity >= DENIAL_SIMILARITY


def _support(e: _Evidence) -> PassageStance | None:
    """Every value the claim fixes is confirmed, the polarity agrees, and the passage says what
    the claim says happened (its words, or the sentence as a whole)."""
    strong = [f for f in e.c.of("match") if f.slot in VALUE_SLOTS]
    # a matching figure, year or place is evidence by itself: a long passage that
    # mentions the figure in passing scores low on sentence similarity
    floor = MIN_SIMILARITY if strong else SUPPORT_SIMILARITY_NO_VALUES
    if not strong and e.own >= ECHO_COVERAGE and e.own_cover.every_word:
        # "Artists currently signed to Interscope include The 1975, Madonna, Billie Eilish, ...": every
        # name and word of the claim in the passage itself; the list lowers the sentence similarity
        floor = ECHO_SIMILARITY
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
