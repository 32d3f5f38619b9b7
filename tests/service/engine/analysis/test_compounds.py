from __future__ import annotations

import pytest

from service.engine.analysis import analyze
from service.engine.analysis.compounds import split_compound


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("burgerdoelen", ("burger", "doelen")),
        ("luchtafweerraketten", ("lucht", "afweer", "raketten")),
        ("betalingssysteem", ("betaling", "systeem")),  # the linking s
        ("troepenopbouw", ("troepen", "opbouw")),
        ("oorlogsbodems", ("oorlog", "bodems")),
    ],
)
def test_dutch_compounds_split_into_words(word: str, parts: tuple[str, ...]) -> None:
    assert split_compound(word) == parts


@pytest.mark.parametrize("word", ["aangevallen", "internationale", "militairen", "persconferentie", "betekent"])
def test_ordinary_words_stay_whole(word: str) -> None:
    assert split_compound(word) == ()


def test_english_is_not_split() -> None:
    assert split_compound("counterattack", "en") == ()


def test_compound_parts_are_content_words() -> None:
    folds = [t.fold for t in analyze("Het Kremlin ontkent dat burgerdoelen worden aangevallen.", "nl").content]
    assert {"burgerdoelen", "burger", "doelen"} <= set(folds)
