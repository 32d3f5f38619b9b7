"""Bounds, scales, currencies, ranks, factors and dates as the analysis reads them, in English and Dutch."""

from __future__ import annotations

import pytest

from service.engine.analysis import Quantity, Year, analyze


def only_quantity(text: str, language: str | None = None) -> Quantity:
    (quantity,) = analyze(text, language).quantities
    return quantity


def only_year(text: str, language: str | None = None) -> Year:
    (year,) = analyze(text, language).years
    return year


@pytest.mark.parametrize(
    ("text", "language", "kind", "strict"),
    [
        ("The Grey scored over 79%.", "en", "min", True),
        ("It sold more than 3 million copies.", "en", "min", True),
        ("At least 11 people died.", "en", "min", False),
        ("It has fewer than 96 reviews.", "en", "max", True),
        ("Up to 10,000 troops could go.", "en", "max", False),
        ("Meer dan 50 procent stemde voor.", "nl", "min", True),
        ("Ten minste 11 mensen kwamen om.", "nl", "min", False),
        ("Minder dan 96 recensies.", "nl", "max", True),
        ("Hooguit 20 schepen varen uit.", "nl", "max", False),
    ],
)
def test_a_bound_knows_whether_it_excludes_its_own_figure(text: str, language: str, kind: str, strict: bool) -> None:
    quantity = only_quantity(text, language)
    assert (quantity.kind, quantity.strict) == (kind, strict)


@pytest.mark.parametrize(
    ("text", "language", "value"),
    [
        ("Ali grossed less than $90 million.", "en", 90e6),
        ("The club paid £3 million.", "en", 3e6),
        ("The film earned 100 crore rupees.", "en", 1e9),
        ("The scheme reached 2 lakh farmers.", "en", 2e5),
        ("Het kabinet trekt 3 miljard euro uit.", "nl", 3e9),
        ("De schade bedraagt €40 miljoen.", "nl", 40e6),
    ],
)
def test_scales_and_currencies(text: str, language: str, value: float) -> None:
    quantity = only_quantity(text, language)
    assert quantity.value == value
    if "farmers" not in text:
        assert quantity.concept == "money"


def test_a_currency_symbol_does_not_hide_the_bound_before_it() -> None:
    quantity = only_quantity("Ali grossed less than $90 million.", "en")
    assert (quantity.kind, quantity.strict, quantity.text) == ("max", True, "less than $90 million")


@pytest.mark.parametrize(
    ("text", "language", "value", "noun"),
    [
        ("Isadora Duncan's third child was stillborn.", "en", 3, "child"),
        ("It is the 3rd studio album.", "en", 3, "studio"),
        ("Het is het derde kind van het paar.", "nl", 3, "kind"),
        ("Ze eindigde op de 3e plaats.", "nl", 3, "plaats"),
        ("It was their twenty-first game.", "en", 21, "game"),
    ],
)
def test_ordinals_are_ranks(text: str, language: str, value: float, noun: str) -> None:
    quantity = only_quantity(text, language)
    assert (quantity.value, quantity.concept, quantity.noun) == (value, "ordinal", noun)


@pytest.mark.parametrize(
    ("text", "language", "value"),
    [
        ("Sales doubled last year.", "en", 2),
        ("The price rose tenfold.", "en", 10),
        ("The region is 10 times larger than Belgium.", "en", 10),
        ("Twice as many people came.", "en", 2),
        ("Het aantal aanvragen is verdubbeld.", "nl", 2),
        ("Het gebied is tien keer groter dan België.", "nl", 10),
    ],
)
def test_multipliers_are_factors_not_amounts(text: str, language: str, value: float) -> None:
    quantity = only_quantity(text, language)
    assert (quantity.value, quantity.concept) == (value, "multiplier")


def test_ten_times_without_a_comparison_is_a_count() -> None:
    quantity = only_quantity("He won the title ten times.", "en")
    assert (quantity.value, quantity.concept) == (10, None)


@pytest.mark.parametrize(
    ("text", "language", "year", "month", "day"),
    [
        ("Tyger Lily was born on April 29, 2000.", "en", 2000, 4, 29),
        ("Sony announced it on August 16th, 2018.", "en", 2018, 8, 16),
        ("She was born 29 April 2000 in Leeds.", "en", 2000, 4, 29),
        ("Hij werd geboren op 29 april 2000.", "nl", 2000, 4, 29),
        ("The album came out in May 2019.", "en", 2019, 5, 0),
        ("Het album verscheen in mei 2019.", "nl", 2019, 5, 0),
    ],
)
def test_a_date_is_one_value_and_its_day_no_count(text: str, language: str, year: int, month: int, day: int) -> None:
    analysis = analyze(text, language)
    assert analysis.quantities == ()
    (found,) = analysis.years
    assert (found.value, found.month, found.day, found.bound) == (year, month, day, "")


@pytest.mark.parametrize(
    ("text", "language", "bound"),
    [
        ("Guilty Gear was first released before 1998.", "en", "before"),
        ("Penguin Books was founded after 1932.", "en", "after"),
        ("Before 24 November 2008, Babbel was assistant coach.", "en", "before"),
        ("Het bedrijf werd voor 2017 opgericht.", "nl", "before"),
        ("Het bedrijf werd na 1932 opgericht.", "nl", "after"),
        ("The company has existed since 1932.", "en", ""),
    ],
)
def test_before_and_after_make_a_date_a_bound(text: str, language: str, bound: str) -> None:
    assert only_year(text, language).bound == bound


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Based on 177 reviews, The Grey scored over 79%.", "en"),
        ("Op basis van 177 recensies scoorde de film meer dan 79%.", "nl"),
    ],
)
def test_a_percent_sign_says_what_its_figure_counts(text: str, language: str) -> None:
    reviews, share = analyze(text, language).quantities
    assert (reviews.value, reviews.concept) == (177, None)
    assert (share.value, share.concept, share.kind) == (79, "percent", "min")


@pytest.mark.parametrize(
    ("text", "language", "date"),
    [
        ("April 4, Finland became the 31st member of NATO.", "en", (0, 4, 4, "")),
        ("Op 16 augustus werd de Kamer geïnformeerd.", "nl", (0, 8, 16, "")),
        ("Na 3 maart kwamen de troepen.", "nl", (0, 3, 3, "after")),
        ("The troops moved on 12 March 2022.", "en", (2022, 3, 12, "")),
    ],
)
def test_a_day_of_a_month_is_a_date_with_or_without_its_year(
    text: str, language: str, date: tuple[int, int, int, str]
) -> None:
    assert [(y.value, y.month, y.day, y.bound) for y in analyze(text, language).years] == [date]
