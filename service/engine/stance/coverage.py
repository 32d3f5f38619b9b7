"""How much of the claim a passage covers: its names, and its content words weighted by how much
they say, in the passage alone and with the sentences around it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from service.engine.analysis import Analysis
from service.engine.informative import may_block
from service.engine.names import named_in, subject_anaphor, title_spans
from service.engine.stance.actors import named_among
from service.engine.stance.records import Coverage, claim_side
from service.engine.stance.thresholds import CONTEXT_FACTOR, NAME_WEIGHT, WORD_FLOOR, WORD_FULL
from service.engine.words import ClaimWords, WordCover, WordMatcher, specificity


def coverages(
    claim: Analysis, candidates: Sequence[Sequence[Analysis]], words: ClaimWords
) -> list[tuple[Coverage, Coverage]]:
    """Share of the claim's names and content words each candidate (a passage, then the sentences
    around it) covers: with the sentences around, and in the passage alone.

    Names may be found around the passage at a discount (anaphora: "het land", "hij"); the
    second result counts the passage alone, for what must rest on it. A passage whose subject is
    a pronoun or a definite description ("The film grossed ...", "Hij scoorde ...",
    :func:`subject_anaphor`) names its subject elsewhere in the source: the claim's first name,
    if found nowhere, counts as found around it, and only when every other name is found ("the
    film" is not also its director). Words weigh by how much they say (``words.weights``, from
    their frequency in the claim's language). A claim's candidates are covered together
    (:meth:`ClaimWords.covers`), and :func:`compare` takes each one's result.
    """
    names = claim_side(claim).names
    subject = min(claim.entities, key=lambda m: m.start).id if claim.entities else None
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
        referred = 0  # the claim's subject, referred to by the passage's subject ("the film", "he")
        for name, text in names.items():
            if named_among(passage_ids, name) or named_in(name, candidate[0]):
                continue
            if named_among(context_ids, name) or any(named_in(name, a) for a in candidate[1:]):
                own_name_gaps.append(text)
                nearby += 1
            elif name == subject and subject_anaphor(candidate[0]):
                referred += 1
            else:
                own_name_gaps.append(text)
                with_name_gaps.append(text)
        if referred and with_name_gaps:
            # a reference stands in for the subject only when every other name is found
            own_name_gaps.append(names[subject or ""])
            with_name_gaps.append(names[subject or ""])
            referred = 0
        own_names = NAME_WEIGHT * (len(names) - len(own_name_gaps) - referred * (1 - CONTEXT_FACTOR))
        with_names = own_names + NAME_WEIGHT * CONTEXT_FACTOR * nearby
        with_total, with_word_gaps = _without_missed_bonus(words.bonus, word_total, with_word_gaps)
        own_total, own_word_gaps = _without_missed_bonus(words.bonus, word_total, own_word_gaps)
        result.append(
            (
                _covered(with_names, name_total, with_covered, with_total, with_name_gaps, with_word_gaps),
                _covered(own_names, name_total, own_covered, own_total, own_name_gaps, own_word_gaps),
            )
        )
    return result


def _without_missed_bonus(
    bonus: dict[str, float], total: float, gaps: tuple[str, ...]
) -> tuple[float, tuple[str, ...]]:
    """The word total and gaps, leaving out the bonus words a passage misses (found by spelling, a
    bonus word is covered in full or not at all)."""
    if not bonus or not gaps:
        return total, gaps
    left = total - sum(bonus.get(w, 0.0) for w in gaps)
    return (left if left > 1e-6 else 0.0), tuple(w for w in gaps if w not in bonus)


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


def claim_words_for(claim: Analysis, vocabulary: Iterable[str], matcher: WordMatcher | None = None) -> ClaimWords:
    """The claim's content words, weighted by how much they say, against a vocabulary."""
    titled = title_spans(claim)
    words = [t for t in claim.content if t.start not in titled]
    folds = [t.fold for t in words]
    weights = [specificity(t.lower, claim.language) for t in words]
    required = [may_block(t.fold, claim.language) for t in words]
    # a name kept as a word (a sentence's opening "Gazprombank") is found by its spelling only: by
    # meaning, "Sberbank" would be found in "banken"
    names = [(m.start, m.end) for m in claim.entities if m.kind == "name"]
    literal = [any(start <= t.start < end for start, end in names) for t in words]
    return (matcher or WordMatcher()).for_claim(folds, vocabulary, weights, required, literal)
