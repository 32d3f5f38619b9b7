"""Names: a surname or first name alone, titles, diacritics and mojibake, in English and Dutch."""

from __future__ import annotations

import pytest

from service.engine.analysis import analyze
from service.engine.names import name_words, same_name, subject_anaphor, title_spans
from service.engine.stance import compare


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("name:long", "name:shane long"),  # surname alone
        ("name:shane long", "name:long"),  # either way round
        ("name:mindy", "name:mindy kaling"),  # first name alone
        ("US Judge Amy Coney Barrett", "Judge Barrett"),  # titles set aside on both sides
        ("minister Ollongren", "Kajsa Ollongren"),
        ("burgemeester Femke Halsema", "Halsema"),
        ("Patricio", "Rui Patrício"),  # diacritics
        ("Patrï¿½cio", "Rui Patrício"),  # a letter lost to mojibake
        ("Patr\ufffdcio", "Patrício"),
    ],
)
def test_names_that_stand_for_the_same_person(a: str, b: str) -> None:
    assert same_name(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("name:shane long", "name:chris long"),  # one surname, two people
        ("name:jan de vries", "name:piet de vries"),
        ("Patrï¿½cio", "Patterson"),
        ("name:barrett", "name:amy coney"),
    ],
)
def test_names_that_do_not(a: str, b: str) -> None:
    assert not same_name(a, b)


def test_a_title_alone_stays_a_name() -> None:
    assert name_words("Judge") == ("judge",)
    assert name_words("Koning Willem-Alexander") == ("willem", "alexander")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Neil Harris is the eighth longest serving manager in English football.", "Neil Harris"),
        ("Kajsa Ollongren meldde het de Kamer.", "Kajsa Ollongren"),
        ("Rui Patrï¿½cio was born in Leiria.", "Rui Patrï¿½cio"),
    ],
)
def test_a_sentence_opener_followed_by_a_name_begins_that_name(text: str, name: str) -> None:
    assert name in [m.text for m in analyze(text).entities]


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        (
            "Shane Long scored twice against Wales.",
            "Long scored twice against Wales on Saturday, and his side won.",
        ),
        (
            "Minister Kajsa Ollongren stuurt een vliegtuig naar Turkije.",
            "Ollongren stuurt een vliegtuig naar Turkije, meldde het ministerie.",
        ),
    ],
)
def test_a_surname_in_the_source_covers_the_full_name_in_the_claim(claim: str, passage: str) -> None:
    result = compare(analyze(claim), analyze(passage), 0.75)
    assert result.stance == "supports", result.reasons
    assert not any("does not mention" in r for r in result.reasons)


def test_another_person_with_the_same_surname_is_not_covered() -> None:
    result = compare(analyze("Shane Long scored twice against Wales."), analyze("Chris Long scored twice."), 0.75)
    assert result.stance != "supports"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He is the all-time leader in games played.", True),
        ("On Rotten Tomatoes, the film has a rating of 5%.", True),
        ("The music video has surpassed 134 million views.", True),
        ("Hij is de langst zittende premier.", True),
        ("Volgens de KNMI, de film trok 2 miljoen bezoekers.", True),
        ("De band verkocht twee miljoen platen.", True),
        ("The Bloods are a street gang.", False),
        ("De VS sturen troepen naar Roemenië.", False),
        ("Berkley was born in Michigan.", False),
        ("Artists signed to Interscope include the band Muse.", False),
    ],
)
def test_a_pronoun_or_definite_description_as_subject_refers_back(text: str, expected: bool) -> None:
    assert subject_anaphor(analyze(text)) is expected


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        (
            "Based on 40 reviews, Dirty Grandpa has a rating of 5%.",
            "On Rotten Tomatoes, the film has a rating of 5%, based on 40 reviews.",
        ),
        ("De Vliegende Hollander verkocht 40.000 platen.", "De band verkocht 40.000 platen."),
    ],
)
def test_the_claims_subject_referred_to_by_the_passages_subject_is_covered(claim: str, passage: str) -> None:
    result = compare(analyze(claim), analyze(passage), 0.6)
    assert result.stance == "supports", result.reasons


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        (
            "Jake Bugg's uncle Mark introduced him to the guitar.",
            "He was introduced to the guitar by his uncle George.",
        ),
        ("Jan de Vries kocht het huis van Piet Jansen.", "Hij kocht het huis van Klaas Bakker."),
    ],
)
def test_only_the_claims_subject_is_referred_to(claim: str, passage: str) -> None:
    result = compare(analyze(claim), analyze(passage), 0.6)
    assert result.stance != "supports", result.reasons


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("Prime Minister Rutte attended the crisis meeting.", "Premier Rutte was bij het crisisoverleg."),
        ("Premier Rutte attended the crisis meeting.", "Rutte attended the crisis meeting."),
    ],
)
def test_a_claims_title_is_not_required_of_the_source(claim: str, passage: str) -> None:
    result = compare(analyze(claim), analyze(passage), 0.7)
    assert not any(
        r.startswith("source does not mention") and ("Minister" in r or "Premier" in r) for r in result.reasons
    )


def test_a_description_is_not_a_title() -> None:
    # nameparser lists "coach" and "film" as titles; in lower case they describe, and stay words
    assert title_spans(analyze("Chris Petersen is Boise State's coach.")) == frozenset()
    assert title_spans(analyze("The film Soodhu Kavvum opened to negative reviews.")) == frozenset()
