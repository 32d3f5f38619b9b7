"""From passage stances to a source's stance, and from sources to the verdict (docs/verdicts.md, 3-4)."""

from __future__ import annotations

import pytest

from service.engine.stance.thresholds import MIXED_MARGIN, NEE_FLOOR
from service.engine.verdict import overall, source_stance


def test_a_source_with_only_neutral_passages_is_neutral_scored_by_its_surest_passage() -> None:
    assert source_stance([("neutral", 0.8), ("neutral", 0.6)]) == ("neutral", 0.6, False)
    assert source_stance([]) == ("neutral", 1.0, False)


def test_one_side_takes_its_best_passage_plus_a_tenth_of_the_second() -> None:
    assert source_stance([("supports", 0.5), ("supports", 0.7), ("neutral", 0.9)]) == ("supports", 0.75, False)
    assert source_stance([("conflicts", 0.6)]) == ("conflicts", 0.6, False)
    # repetition within one article never reaches certainty
    assert source_stance([("supports", 0.97), ("supports", 0.97)])[1] == 0.99


def test_a_clearly_stronger_side_wins_a_mixed_source_at_a_cost() -> None:
    stance, score, mixed = source_stance([("supports", 0.8), ("conflicts", 0.4)])
    assert (stance, mixed) == ("supports", True)
    assert score == pytest.approx(0.8 - 0.5 * 0.4)
    stance, score, mixed = source_stance([("supports", 0.3), ("conflicts", 0.9)])
    assert (stance, score, mixed) == ("conflicts", pytest.approx(0.9 - 0.5 * 0.3), True)


def test_a_source_that_contradicts_itself_is_neutral() -> None:
    close = 0.7 - MIXED_MARGIN / 2
    stance, score, mixed = source_stance([("supports", 0.7), ("conflicts", close)])
    assert (stance, mixed) == ("neutral", True)
    assert score == pytest.approx(1 - 0.7)


@pytest.mark.parametrize(
    ("sources", "verdict"),
    [
        ([("supports", 0.6), ("neutral", 0.9)], "supported"),
        ([("conflicts", 0.6), ("neutral", 0.9)], "refuted"),
        ([("supports", 0.6), ("conflicts", 0.5)], "conflicting"),
        ([("neutral", 0.9)], "not_enough_evidence"),
        ([], "not_enough_evidence"),
    ],
)
def test_the_verdict_follows_the_sides_taken(sources: list[tuple[str, float]], verdict: str) -> None:
    assert overall(sources, closest=0.2)[0] == verdict  # type: ignore[arg-type]


def test_independent_sources_add_up_but_never_to_certainty() -> None:
    assert overall([("supports", 0.5), ("supports", 0.5)], 0.0) == ("supported", 0.75)
    assert overall([("conflicts", 0.9), ("conflicts", 0.9), ("conflicts", 0.9)], 0.0) == ("refuted", 0.99)


def test_conflicting_is_as_sure_as_its_weaker_side() -> None:
    assert overall([("supports", 0.9), ("conflicts", 0.4), ("conflicts", 0.5)], 0.0) == ("conflicting", 0.7)


def test_not_enough_evidence_is_surer_the_further_anything_came_from_deciding() -> None:
    far, near = overall([], closest=0.1), overall([("neutral", 0.5)], closest=0.45)
    assert far == ("not_enough_evidence", 0.9)
    assert near == ("not_enough_evidence", 0.55)
    assert overall([], closest=0.9) == ("not_enough_evidence", NEE_FLOOR)


def test_a_copy_adds_a_tenth_of_what_an_independent_source_adds() -> None:
    """Sources of one story family (docs/verdicts.md, "Independent sources") are one witness."""
    two = [("supports", 0.5), ("supports", 0.5)]
    assert overall(two, 0.0, ["a", "b"]) == ("supported", 0.75)  # type: ignore[arg-type]
    assert overall(two, 0.0, ["a", "a"]) == ("supported", 0.525)  # type: ignore[arg-type]  # 1 - 0.5 * 0.95
    sides = [("supports", 0.9), ("conflicts", 0.6), ("conflicts", 0.6)]
    assert overall(sides, 0.0, ["s", "c", "c"]) == ("conflicting", 0.624)  # type: ignore[arg-type]
    assert overall(sides, 0.0, ["s", "c", "d"]) == overall(sides, 0.0) == ("conflicting", 0.84)  # type: ignore[arg-type]
