"""The lexicon builder: CLDR names in both languages, the JSON's aliases, containment, affiliations."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from service.engine.analysis.lexicon import _raw, build, fold, lexicon


@pytest.fixture(scope="module")
def small() -> Any:
    """A lexicon whose entity sections are small and known; the cue-word sections are the real ones."""
    raw = copy.deepcopy(_raw())
    raw["places"] = {"place:Kharkiv": ["Kharkiv", "Charkiv"], "_note": ["ignored"], "country:US": ["VS", "U.S."]}
    raw["organisations"] = {"org:NATO": ["NAVO", "NATO", "Noord-Atlantische Verdragsorganisatie"]}
    raw["people"] = {"person:Kirby": {"names": ["John Kirby", "Kirby"], "affiliation": "org:Pentagon"}}
    raw["affiliation"] = {"org:Pentagon": "country:US", "_comment": "ignored"}
    raw["part_of"] = {"UA": ["place:Kharkiv"], "151": ["UA"], "150": ["151"]}
    raw["demonyms"] = {"country:UA": ["Oekraïense", "Ukrainian"]}
    return build(raw)


def test_countries_come_from_cldr_in_dutch_and_english(small: Any) -> None:
    for name in ("Roemenië", "Romania", "roemenie"):
        info = small.gazetteer.names[tuple(fold(name).split())]
        assert (info.id, info.kind, info.label) == ("country:RO", "country", "Romania")


def test_aliases_are_matched_folded_and_acronyms_only_as_written(small: Any) -> None:
    assert small.gazetteer.names[("charkiv",)].id == "place:Kharkiv"
    assert small.gazetteer.acronyms["VS"].id == "country:US"
    assert small.gazetteer.acronyms["US"].id == "country:US"  # "U.S." without its dots
    assert small.gazetteer.acronyms["NAVO"].id == "org:NATO"
    assert ("vs",) not in small.gazetteer.names  # the Dutch "vs." (versus) is no country
    assert small.gazetteer.names[("noord", "atlantische", "verdragsorganisatie")].id == "org:NATO"
    assert not any(info.id == "_note" for info in small.gazetteer.names.values())


def test_containment_is_closed_transitively(small: Any) -> None:
    assert small.parents["place:Kharkiv"] == {"country:UA", "region:151", "region:150"}
    assert small.parents["country:UA"] == {"region:151", "region:150"}


def test_people_act_for_their_affiliation(small: Any) -> None:
    assert small.affiliation == {"org:Pentagon": "country:US", "person:Kirby": "org:Pentagon"}
    assert small.info("person:Kirby") is not None and small.info("person:Kirby").label == "Kirby"


def test_demonyms_name_their_country(small: Any) -> None:
    assert small.gazetteer.demonyms[("oekraiense",)].id == "country:UA"
    assert "ukrainian" in small.demonym_words


def test_multi_word_cues_are_tried_longest_first(small: Any) -> None:
    for phrases in (small.hedges, small.negative_predicates, small.contrast):
        lengths = [len(p) for p in phrases]
        assert lengths == sorted(lengths, reverse=True)


def test_stopwords_are_frequent_function_words_but_never_negations(small: Any) -> None:
    assert {"the", "de", "het", "and", "en"} <= small.stopwords
    assert not {"not", "niet", "geen", "no"} & small.stopwords
    assert "sent" not in small.stopwords  # in stopwords-iso, but a content word


def test_the_bundled_lexicon_is_built_once() -> None:
    assert lexicon() is lexicon()
    assert lexicon().gazetteer.names[("roemenie",)].id == "country:RO"
