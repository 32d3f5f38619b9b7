"""Which claim words a passage must contain: comparison and very frequent words never block;
across languages words are found by meaning, in English and in Dutch."""

from __future__ import annotations

from typing import Any

import pytest

from service.engine.analysis import analyze, analyze_passage
from service.engine.informative import may_block
from service.engine.stance.coverage import claim_words_for, coverages
from service.engine.words import WordMatcher


@pytest.mark.parametrize(
    ("word", "language"),
    [("less", "en"), ("top", "en"), ("highest", "en"), ("minder", "nl"), ("hoogste", "nl"), ("ruim", "nl")],
)
def test_comparison_words_never_block(word: str, language: str) -> None:
    assert not may_block(word, language)


@pytest.mark.parametrize(("word", "language"), [("people", "en"), ("called", "en"), ("mensen", "nl"), ("gaan", "nl")])
def test_the_most_frequent_words_never_block(word: str, language: str) -> None:
    assert not may_block(word, language)


@pytest.mark.parametrize(
    ("word", "language"),
    [("troops", "en"), ("museum", "en"), ("militairen", "nl"), ("vluchtelingen", "nl"), ("week", "nl"), ("week", "en")],
)
def test_informative_words_block(word: str, language: str) -> None:
    assert may_block(word, language)


def cover(claim: str, passage: str, matcher: WordMatcher | None = None) -> Any:
    c, p = analyze(claim), analyze_passage(passage, None)
    words = claim_words_for(c, p.content_folds, matcher)
    return coverages(c, [(p,)], words)[0][1]


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("The Red Tower is the highest building in Leiden.", "The Red Tower is a building in Leiden."),
        ("The Red Tower was visited by people.", "The Red Tower was visited."),
        ("De Rode Toren is het hoogste gebouw van Leiden.", "De Rode Toren is een gebouw in Leiden."),
    ],
)
def test_a_missing_comparison_or_frequent_word_is_no_gap(claim: str, passage: str) -> None:
    found = cover(claim, passage)
    assert found.every_word, found.gaps


@pytest.mark.parametrize(
    ("claim", "passage", "gap"),
    [
        ("The Red Tower is a museum in Leiden.", "The Red Tower is a building in Leiden.", "museum"),
        ("De Rode Toren is een museum in Leiden.", "De Rode Toren is een gebouw in Leiden.", "museum"),
    ],
)
def test_a_missing_informative_word_is_a_gap(claim: str, passage: str, gap: str) -> None:
    found = cover(claim, passage)
    assert not found.every_word and gap in found.gaps


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        (  # English claim, Dutch source
            "The Netherlands is giving another 10 million euros to the earthquake victims.",
            "Nederland doneert 10 miljoen euro extra voor hulp aan de slachtoffers van de aardbeving.",
        ),
        (  # Dutch claim, English source
            "Alle zeven inzittenden van het vliegtuig kwamen om.",
            "All seven people on the plane were killed.",
        ),
    ],
)
def test_no_claim_word_is_required_literally_in_the_other_language(
    claim: str, passage: str, real_embedder: Any
) -> None:
    """Not one claim word is spelled as in the source; each is found by meaning (the encoder's
    word vectors), so none is a gap. (Translations score below same-language synonyms, so they
    cover a claim word only in part: the coverage, not the gaps, is what the other language costs.)"""
    c, p = analyze(claim), analyze_passage(passage, None)
    assert c.language != p.language
    assert not {t.fold for t in c.content} & {t.fold for t in p.content}  # nothing to match literally
    matcher = WordMatcher(real_embedder)
    matcher.prepare([*c.content_folds, *p.content_folds])
    found = coverages(c, [(p,)], claim_words_for(c, p.content_folds, matcher))[0][1]
    assert found.every_word, found.gaps
    assert found.words > 0.3


@pytest.mark.parametrize(
    ("claim", "found_in", "missed_in"),
    [
        (
            "Gazprombank valt onder de maatregel.",
            "Gazprombank valt onder de maatregel.",
            "De bank valt onder de maatregel.",
        ),
        ("Clairo released a new album.", "Clairo released a new album.", "She released a new album."),
    ],
)
def test_a_name_kept_as_a_word_counts_where_found_and_nowhere_else(claim: str, found_in: str, missed_in: str) -> None:
    """A sentence's opening name, found by its rarity alone, is a word too ("Gazprombank"): it counts
    where a passage has it, and a passage without it is judged as if the claim had not said it
    (the name itself is checked as a name), never as missing a word."""
    found, missed = cover(claim, found_in), cover(claim, missed_in)
    assert found.every_word and found.words == 1.0
    assert missed.every_word and missed.words == pytest.approx(1.0)
    assert analyze(claim).content[0].fold not in missed.gaps
