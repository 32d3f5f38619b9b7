"""Quantities across conventions and languages: the same number however it is written."""

from __future__ import annotations

import pytest

from service.engine.analysis import analyze
from service.engine.analysis.numbers import APPROX_TOLERANCE, parse_digits


@pytest.mark.parametrize(
    ("text", "language", "value"),
    [
        ("1,000", "en", 1000),
        ("1.000", "nl", 1000),
        ("1.000", "en", 1000),  # a three-digit group is a thousands separator in news writing
        ("100.000", "nl", 100_000),
        ("8500", "nl", 8500),
        ("1.234.567", "nl", 1_234_567),
        ("2,5", "nl", 2.5),
        ("2.5", "en", 2.5),
        ("1.234,5", "nl", 1234.5),
        ("1,234.5", "en", 1234.5),
    ],
)
def test_digits_in_either_convention(text: str, language: str, value: float) -> None:
    assert parse_digits(text, language) == pytest.approx(value)


def quantities(text: str, language: str | None = None) -> list[tuple[float, str, str | None]]:
    return [(q.value, q.kind, q.concept) for q in analyze(text, language).quantities]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Duizend soldaten gaan naar Roemenië.", "nl", [(1000, "exact", "troops")]),
        ("Tweeduizend militairen worden gestationeerd in Polen.", "nl", [(2000, "exact", "troops")]),
        ("Achtduizend vijfhonderd militairen staan paraat.", "nl", [(8500, "exact", "troops")]),
        ("A thousand US soldiers are moving.", "en", [(1000, "exact", "troops")]),
        ("One thousand troops arrived.", "en", [(1000, "exact", "troops")]),
        ("Eight thousand five hundred soldiers were put on alert.", "en", [(8500, "exact", "troops")]),
        ("Er gaan 1.000 troepen naar Roemenië.", "nl", [(1000, "exact", "troops")]),
        ("Some 2,000 troops will go.", "en", [(2000, "approx", "troops")]),
        ("Zo'n 100.000 Russische militairen staan aan de grens.", "nl", [(100_000, "approx", "troops")]),
        ("Een duizendtal troepen gaat naar Roemenië.", "nl", [(1000, "approx", "troops")]),
        ("Een 2.000-tal militairen wordt gestuurd.", "nl", [(2000, "approx", "troops")]),
        ("Ongeveer 40.000 mensen zijn gevlucht.", "nl", [(40_000, "approx", "people")]),
        ("More than 1,000 soldiers left.", "en", [(1000, "min", "troops")]),
        ("Het gaat om 1.000 tot 5.000 troepen.", "nl", [(1000, "range", "troops")]),
        ("Between 1,000 and 5,000 troops could be sent.", "en", [(1000, "range", "troops")]),
        ("De VS sturen enkele duizenden militairen.", "nl", [(2000, "vague", "troops")]),
        ("Thousands of troops are on standby.", "en", [(2000, "vague", "troops")]),
        ("Two ships and 300 marines sailed.", "en", [(2, "exact", "ships"), (300, "exact", "troops")]),
        ("Het kost 2,5 miljoen euro.", "nl", [(2_500_000, "exact", "money")]),
    ],
)
def test_quantities_and_what_they_count(text: str, language: str, expected: list[tuple[float, str, str]]) -> None:
    assert quantities(text, language) == expected


def test_tolerances_fit_the_wording() -> None:
    exact, approx, rng = (
        analyze("1.000 militairen", "nl").quantities[0],
        analyze("zo'n 1.000 militairen", "nl").quantities[0],
        analyze("1.000 tot 5.000 militairen", "nl").quantities[0],
    )
    assert exact.low == pytest.approx(995) and exact.high == pytest.approx(1005)
    assert approx.low == pytest.approx(1000 * (1 - APPROX_TOLERANCE))
    assert approx.high == pytest.approx(1000 * (1 + APPROX_TOLERANCE))
    assert (rng.low, rng.high) == (1000, 5000)


def test_the_approximator_is_part_of_the_quoted_number() -> None:
    (q,) = analyze("Bij de grens staan zo'n 100.000 militairen.", "nl").quantities
    assert q.text == "zo'n 100.000"


def test_years_are_not_quantities() -> None:
    analysis = analyze("In 2014 annexeerde Rusland de Krim.", "nl")
    assert [y.value for y in analysis.years] == [2014]
    assert analysis.quantities == ()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("In 2014 annexeerde Rusland met troepen de Krim.", "nl"),  # "troepen" four words on
        ("In 2014 stuurde Rusland troepen naar de Krim.", "nl"),
        ("Rusland stuurde in 2014 troepen naar de Krim.", "nl"),  # right after "in"
        ("Since 2014 troops have been stationed in the Baltics.", "en"),
    ],
)
def test_a_year_followed_by_what_could_be_counted_is_still_a_year(text: str, language: str) -> None:
    analysis = analyze(text, language)
    assert [y.value for y in analysis.years] == [2014]
    assert analysis.quantities == ()


@pytest.mark.parametrize(
    ("text", "language"),
    [("2000 troops will go to Poland.", "en"), ("Er gaan 2000 Amerikaanse militairen naar Polen.", "nl")],
)
def test_a_four_digit_count_is_not_a_year(text: str, language: str) -> None:
    analysis = analyze(text, language)
    assert [(q.value, q.concept) for q in analysis.quantities] == [(2000, "troops")]
    assert analysis.years == ()


@pytest.mark.parametrize(
    ("text", "language", "days"),
    [("na vijf dagen", "nl", 5), ("ten days", "en", 10), ("binnen twee weken", "nl", 14), ("3 months", "en", 91.2)],
)
def test_durations(text: str, language: str, days: float) -> None:
    (duration,) = analyze(text, language).durations
    assert duration.days == pytest.approx(days, rel=0.01)


def test_a_value_set_aside_is_marked() -> None:
    text = "De troepen zijn na vijf dagen klaar om te vertrekken, in plaats van na tien dagen."
    durations = analyze(text, "nl").durations
    assert [(d.value, d.contrasted) for d in durations] == [(5, False), (10, True)]
    english = analyze("They will be ready after five days instead of ten days.", "en").durations
    assert [(d.value, d.contrasted) for d in english] == [(5, False), (10, True)]


def test_articles_and_pronouns_are_not_numbers() -> None:
    assert quantities("Een soldaat zei dat een van de twee schepen vertrok.", "nl") == [(2, "exact", "ships")]
    assert quantities("One of the soldiers said so.", "en") == []


@pytest.mark.parametrize(
    ("text", "language", "concept"),
    [
        ("Nederland levert 300 air defence missiles.", "en", "weapons"),  # the head comes last in English
        ("Het kabinet levert 200 luchtafweerraketten.", "nl", "weapons"),  # a Dutch compound's head
        ("Een konvooi van 60 kilometer.", "nl", "distance"),
        ("De VS sturen 2.000 militairen naar Polen.", "nl", "troops"),
    ],
)
def test_what_a_number_counts(text: str, language: str, concept: str) -> None:
    assert analyze(text, language).quantities[0].concept == concept


def test_a_verb_after_a_number_is_not_what_it_counts() -> None:
    (quantity,) = analyze("Rusland heeft een konvooi van 60 kilometer naar Kiev gestuurd.", "nl").quantities
    assert quantity.concept == "distance"


@pytest.mark.parametrize(("text", "kind"), [("zeker elf burgers", "min"), ("ruim 500.000 mensen", "min")])
def test_at_least_is_a_lower_bound(text: str, kind: str) -> None:
    assert analyze(text, "nl").quantities[0].kind == kind


@pytest.mark.parametrize(
    ("text", "language", "values"),
    [
        ("47 Meters Down made more than $30 million.", "en", [30e6]),
        ("Bad Santa 2 scored 72 points on Metacritic.", "en", [72]),
        ("More than 3,780 cases of COVID-19 have been confirmed.", "en", [3780]),
        ("The Pentagon sends 2,000 US troops to Poland.", "en", [2000]),  # a country after it is no name
        ("47 Meters Down bracht meer dan 30 miljoen dollar op.", "nl", [30e6]),
        ("Vlucht MH17 vervoerde 298 passagiers.", "nl", [298]),
        ("De VS sturen 1.000 Amerikaanse militairen naar Roemenië.", "nl", [1000]),
    ],
)
def test_a_number_inside_a_name_is_no_figure(text: str, language: str, values: list[float]) -> None:
    assert [q.value for q in analyze(text, language).quantities] == pytest.approx(values)


@pytest.mark.parametrize(
    ("text", "language", "concepts"),
    [
        ("At least 2,921 people were killed with more than 15,000 injured.", "en", ["deaths", "injured"]),
        ("The earthquake has killed more than 11,000 people.", "en", ["deaths"]),
        ("Rescuers pulled out alive 80 people.", "en", ["rescued"]),
        ("In Turkije kwamen zeker 2.921 mensen om het leven.", "nl", ["deaths"]),
        ("Meer dan 15.000 mensen raakten gewond.", "nl", ["injured"]),
        ("Het team heeft twaalf mensen levend onder het puin gehaald.", "nl", ["rescued"]),
        ("De aardbevingen kostten ruim 11.000 mensen het leven.", "nl", ["deaths"]),
        # no fate in reach: a count of people; troops keep their own concept, and so do countries
        ("The plane can carry about 70 people.", "en", ["people"]),
        ("Twee soldaten werden gedood.", "nl", ["troops"]),
        ("Rescue teams from more than 20 countries are searching.", "en", [None]),
        ("Reddingsteams uit ruim twintig landen zoeken.", "nl", [None]),
        # the injured by their own nouns
        ("Syria reported 1,444 deaths and about 3,500 injuries.", "en", ["deaths", "injured"]),
        ("Er vielen 12 doden en 40 gewonden.", "nl", ["deaths", "injured"]),
    ],
)
def test_a_count_of_people_counts_what_happened_to_them(text: str, language: str, concepts: list[str]) -> None:
    assert [q.concept for q in analyze(text, language).quantities] == concepts


def test_the_fates_the_code_names_are_the_lexicons() -> None:
    import json
    from pathlib import Path

    from service.engine.analysis.numbers import FATES

    raw = json.loads((Path(__file__).parents[4] / "service" / "data" / "lexicon.json").read_text(encoding="utf-8"))
    assert {k for k in raw["fates"] if not k.startswith("_")} == FATES


@pytest.mark.parametrize(
    ("text", "language"),
    [("The death toll passed 4,000.", "en"), ("Het dodental overschreed de 4.000.", "nl")],
)
def test_a_figure_passed_or_exceeded_is_a_lower_bound(text: str, language: str) -> None:
    (quantity,) = analyze(text, language).quantities
    assert (quantity.kind, quantity.low) == ("min", 4000)
