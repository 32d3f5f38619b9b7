from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.sentences import normalize_quotes, split_sentences


def texts(text: str, language: str = "nl") -> list[str]:
    return [s.text for s in split_sentences(text, language)]


def test_dutch_double_comma_quotes() -> None:
    text = (
        "Hij hoopt dat Poetin kiest voor een oplossing. ,,We geloven nog steeds niet dat hij een beslissing "
        "heeft genomen.” Daarna vertrok hij."
    )
    assert texts(text) == [
        "Hij hoopt dat Poetin kiest voor een oplossing.",
        ",,We geloven nog steeds niet dat hij een beslissing heeft genomen.”",
        "Daarna vertrok hij.",
    ]


def test_low_and_curly_quotes() -> None:
    text = "Zij zei „nee”. De VS sturen 1.000 troepen. “Is dat zo?” vroeg hij. ‘Ja’, zei zij."
    assert texts(text) == [
        "Zij zei „nee”.",
        "De VS sturen 1.000 troepen.",
        "“Is dat zo?” vroeg hij.",
        "‘Ja’, zei zij.",
    ]


def test_quote_mapping_keeps_offsets() -> None:
    text = ",,Ja”, „nee“ ‘ok’ «non»"
    assert len(normalize_quotes(text)) == len(text)


def test_abbreviations_and_numbers_do_not_split() -> None:
    text = "De VS sturen o.a. naar Polen 2.000 militairen, d.w.z. meer dan verwacht. Het gaat om ca. 8.500 man."
    assert texts(text) == [
        "De VS sturen o.a. naar Polen 2.000 militairen, d.w.z. meer dan verwacht.",
        "Het gaat om ca. 8.500 man.",
    ]


def test_english_titles() -> None:
    assert texts("Mr. Smith went to Washington. He said no.", "en") == [
        "Mr. Smith went to Washington.",
        "He said no.",
    ]


def test_headings_without_a_stop_stay_their_own_unit() -> None:
    text = "Russische eisen\n\nRusland wil nu verregaande veiligheidsgaranties.\n8.500 andere troepen stand-by\n"
    assert texts(text) == [
        "Russische eisen",
        "Rusland wil nu verregaande veiligheidsgaranties.",
        "8.500 andere troepen stand-by",
    ]


@pytest.mark.parametrize(
    "furniture",
    [
        "© AFP",
        "Volg dit onderwerp Volgen Ontvang meldingen bij belangrijk nieuws over de spanningen",
        "De regio in beeld De regio in beeld Foto: NU.nl",
        "Volledig scherm",
        "Foto: ANP",
    ],
)
def test_page_furniture_is_not_evidence(furniture: str) -> None:
    text = f"Duizend soldaten gaan naar Roemenië.\n\n{furniture}\n\nDe NAVO vreest een inval."
    assert texts(text) == ["Duizend soldaten gaan naar Roemenië.", "De NAVO vreest een inval."]


def test_credits_are_cut_off_captions() -> None:
    text = "Volledig scherm Pentagon-woordvoerder John Kirby. © AFP"
    assert texts(text) == ["Pentagon-woordvoerder John Kirby."]


def test_near_identical_sentences_are_stored_once_but_different_numbers_are_kept() -> None:
    text = (
        "Duizend soldaten gaan naar Roemenië.\n"
        "Duizend soldaten gaan naar Roemenië!\n"
        "duizend soldaten gaan naar  Roemenië.\n"
        "Er gaan 1.000 soldaten naar Roemenië.\n"
        "Er gaan 2.000 soldaten naar Roemenië.\n"
    )
    assert texts(text) == [
        "Duizend soldaten gaan naar Roemenië.",
        "Er gaan 1.000 soldaten naar Roemenië.",
        "Er gaan 2.000 soldaten naar Roemenië.",
    ]


def test_markdown_markup_is_trimmed_from_units() -> None:
    text = "# Troepen\n\n> Duizend soldaten gaan.\n- Tweeduizend naar Polen.\n"
    assert texts(text) == ["Troepen", "Duizend soldaten gaan.", "Tweeduizend naar Polen."]


def test_overlong_units_are_wrapped() -> None:
    text = " ".join(["woord"] * 600)
    units = split_sentences(text, "nl")
    assert len(units) > 1
    assert all(len(u.text) <= 1000 for u in units)


def test_positions_and_paragraphs() -> None:
    units = split_sentences("Een zin. Twee zin.\n\nDrie zin.", "nl")
    assert [(u.position, u.paragraph) for u in units] == [(0, 0), (1, 0), (2, 1)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .,!?\n\"„“”‘’,'©:#-1ÉéÏ")), max_size=200))
def test_offsets_always_point_at_the_unit(text: str) -> None:
    units = split_sentences(text, "nl")
    previous_end = 0
    for unit in units:
        assert text[unit.char_start : unit.char_end] == unit.text
        assert unit.char_start >= previous_end
        assert unit.text == unit.text.strip() and unit.text
        previous_end = unit.char_end
