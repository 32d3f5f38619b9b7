"""The value slots as intervals: bounds, ranks, factors, scales and dates, claim against passage,
in English and Dutch. Similarities are given explicitly, as in test_decide.py."""

from __future__ import annotations

import pytest

from service.engine.analysis import analyze
from service.engine.analysis.lexicon import lexicon
from service.engine.stance import PassageStance, compare
from service.engine.stance.records import Comparison, claim_side
from service.engine.stance.slots import opposed_words


def judge(claim: str, passage: str, similarity: float = 0.75) -> PassageStance:
    return compare(analyze(claim), analyze(passage), similarity)


@pytest.mark.parametrize(
    ("claim", "passage", "stance"),
    [
        # a figure inside the bound confirms it; outside, or on a bound that excludes it, contradicts
        ("The album sold more than 75,000 copies in Norway.", "The album sold 80,000 copies in Norway.", "supports"),
        ("The album sold more than 75,000 copies in Norway.", "The album sold 70,000 copies in Norway.", "conflicts"),
        ("The album scored over 79% in Norway.", "The album scored 79% in Norway.", "conflicts"),
        ("The album scored at least 79% in Norway.", "The album scored 79% in Norway.", "supports"),
        ("The film grossed less than $127 million in France.", "The film grossed $127 million in France.", "conflicts"),
        (
            "Het album verkocht meer dan 75.000 exemplaren in Noorwegen.",
            "Het album verkocht 80.000 exemplaren in Noorwegen.",
            "supports",
        ),
        (
            "Het album verkocht minder dan 75.000 exemplaren in Noorwegen.",
            "Het album verkocht 80.000 exemplaren in Noorwegen.",
            "conflicts",
        ),
        (
            "Het album haalde ten minste 79 procent in Noorwegen.",
            "Het album haalde 79 procent in Noorwegen.",
            "supports",
        ),
        ("Het album haalde ruim 79 procent in Noorwegen.", "Het album haalde 79 procent in Noorwegen.", "conflicts"),
    ],
)
def test_bounds_are_intervals(claim: str, passage: str, stance: str) -> None:
    assert judge(claim, passage).stance == stance


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        # a source's "over 2.3 million" reports about 2.3 million, not 3 million
        ("The album sold more than 3 million copies in Norway.", "The album sold over 2.3 million copies in Norway."),
        (
            "The video was viewed less than 122.5 million times in Norway.",
            "The video was viewed over 123 million times in Norway.",
        ),
        (
            "Het album verkocht meer dan 3 miljoen exemplaren in Noorwegen.",
            "Het album verkocht ruim 2,3 miljoen exemplaren in Noorwegen.",
        ),
    ],
)
def test_a_source_bound_reports_its_own_figure(claim: str, passage: str) -> None:
    result = judge(claim, passage)
    assert result.stance == "conflicts"
    assert any("number differs" in r for r in result.reasons)


def test_a_consistent_source_bound_confirms() -> None:
    assert (
        judge(
            "The album sold more than 2 million copies in Norway.", "The album sold over 2.3 million copies in Norway."
        ).stance
        == "supports"
    )


@pytest.mark.parametrize(
    ("claim", "passage", "stance"),
    [
        (
            "Penguin Books was founded in London after 1932.",
            "Penguin Books was founded in London in 1930.",
            "conflicts",
        ),
        (
            "Penguin Books was founded in London before 1935.",
            "Penguin Books was founded in London in 1930.",
            "supports",
        ),
        (
            "Guilty Gear was released in Japan before 1998.",
            "Guilty Gear was released in Japan on May 14, 1998.",
            "conflicts",
        ),
        ("The company started in Utrecht before 2017.", "The company started in Utrecht in January 2016.", "supports"),
        ("Het bedrijf werd na 1932 in Londen opgericht.", "Het bedrijf werd in 1930 in Londen opgericht.", "conflicts"),
        (
            "Het bedrijf werd voor 1935 in Londen opgericht.",
            "Het bedrijf werd in 1930 in Londen opgericht.",
            "supports",
        ),
    ],
)
def test_before_and_after_are_compared_as_bounds(claim: str, passage: str, stance: str) -> None:
    assert judge(claim, passage).stance == stance


def test_a_date_differs_by_its_day() -> None:
    result = judge(
        "Their daughter was born in Leeds on April 29, 2000.", "Their daughter was born in Leeds on April 28, 2000."
    )
    assert result.stance == "conflicts"
    assert any("date differs" in r for r in result.reasons)
    dutch = judge(
        "Hun dochter werd op 29 april 2000 in Leeds geboren.", "Hun dochter werd op 28 april 2000 in Leeds geboren."
    )
    assert dutch.stance == "conflicts"


@pytest.mark.parametrize(
    ("claim", "passage", "stance"),
    [
        (
            "Off the Wall is the fifth studio album by Michael Jackson.",
            "Off the Wall is the fourth studio album by Michael Jackson.",
            "conflicts",
        ),
        (
            "Off the Wall is the 5th studio album by Michael Jackson.",
            "Off the Wall is the fifth studio album by Michael Jackson.",
            "supports",
        ),
        (
            "Het is het derde studioalbum van Michael Jackson.",
            "Het is het vierde studioalbum van Michael Jackson.",
            "conflicts",
        ),
    ],
)
def test_ranks_are_compared_with_ranks(claim: str, passage: str, stance: str) -> None:
    assert judge(claim, passage).stance == stance


def test_a_rank_is_never_compared_with_a_count() -> None:
    result = judge("Jackson released his fifth album in Norway.", "Jackson released 4 albums in Norway.")
    assert not any("number" in r and ("differs" in r or "matches" in r) for r in result.reasons)


@pytest.mark.parametrize(
    ("claim", "passage", "stance"),
    [
        ("Sales of the album doubled in Norway.", "Sales of the album tripled in Norway.", "conflicts"),
        ("Sales of the album doubled in Norway.", "Sales of the album rose twofold in Norway.", "supports"),
        (
            "De verkoop van het album is in Noorwegen verdubbeld.",
            "De verkoop van het album is in Noorwegen verdrievoudigd.",
            "conflicts",
        ),
    ],
)
def test_factors_are_compared_with_factors(claim: str, passage: str, stance: str) -> None:
    assert judge(claim, passage).stance == stance


def test_a_factor_is_never_an_amount() -> None:
    result = judge(
        "The region is 10 times larger than Belgium.", "The region covers 10 square kilometres more than Belgium."
    )
    assert not any(r.startswith("number matches") for r in result.reasons)


def test_scales_convert_before_comparing() -> None:
    assert (
        judge("The film earned 1 billion rupees in India.", "The film earned 100 crore rupees in India.").stance
        == "supports"
    )
    assert (
        judge(
            "Het kabinet trekt 3 miljard euro uit voor dijken.", "Het kabinet trekt 3.000 miljoen euro uit voor dijken."
        ).stance
        == "supports"
    )


def test_a_share_is_never_confirmed_by_a_count() -> None:
    result = judge(
        "Based on 177 reviews, The Grey scored over 79%.", "The Grey holds a 79% rating based on 177 reviews."
    )
    assert result.stance == "conflicts"
    assert "number differs: claim over 79 vs source 79 (percent)" in result.reasons
    dutch = judge(
        "De film scoorde meer dan 79% op basis van 177 recensies.",
        "De film heeft een score van 79% op basis van 177 recensies.",
    )
    assert dutch.stance == "conflicts"


@pytest.mark.parametrize(
    ("claim", "passage", "paired"),
    [
        (
            "At least 2,921 people were killed in Turkey.",
            "Officials said more than 15,000 people were injured and 2,921 people were killed in Turkey.",
            "2,921",
        ),
        (
            "Ten minste 2.921 mensen kwamen om in Turkije.",
            "Meer dan 15.000 mensen raakten gewond en 2.921 mensen kwamen om in Turkije.",
            "2.921",
        ),
    ],
)
def test_a_bound_is_paired_with_the_nearest_figure_it_holds(claim: str, passage: str, paired: str) -> None:
    # both figures satisfy "at least 2,921": the one it speaks of is the nearest, not the first
    result = judge(claim, passage)
    match = next(f for f in result.findings if f.slot == "number" and f.relation == "match")
    assert match.source == paired


@pytest.mark.parametrize(
    ("claim", "passage", "pair"),
    [
        ("The ruling party won ten seats.", "The ruling party lost ten seats.", ("won", "lost")),
        ("De invoer steeg met 27 procent.", "De invoer daalde met 27 procent.", ("steeg", "daalde")),
        ("The strike was legal.", "The strike was illegal.", ("legal", "illegal")),
        ("De staking was wettig.", "De staking was onwettig.", ("wettig", "onwettig")),
    ],
)
def test_a_word_of_opposite_sense_is_found(claim: str, passage: str, pair: tuple[str, str]) -> None:
    c = Comparison(analyze(claim), analyze(passage), (), lexicon(), claim_side(analyze(claim)))
    assert opposed_words(c, c.passage.clauses[0]) == pair


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("The ruling party won ten seats.", "The ruling party won ten seats after it lost two."),  # says both
        ("The report covers the war.", "The report discovers the war."),  # "dis" + a short stem
        ("The ruling party won ten seats.", "The ruling party took ten seats."),
    ],
)
def test_no_opposite_without_one(claim: str, passage: str) -> None:
    c = Comparison(analyze(claim), analyze(passage), (), lexicon(), claim_side(analyze(claim)))
    assert opposed_words(c, c.passage.clauses[0]) is None


@pytest.mark.parametrize(
    ("claim", "passage", "stance"),
    [
        # a day of a month without its year is still a fact: the month and day are compared
        ("Finland joined NATO on 4 May 2023.", "April 4, Finland joined NATO.", "conflicts"),
        ("Finland joined NATO on 4 April 2023.", "April 4, Finland joined NATO.", "supports"),
        ("De Kamer werd op 16 augustus geïnformeerd.", "Op 16 juli is de Kamer geïnformeerd.", "conflicts"),
        ("De Kamer werd op 16 juli geïnformeerd.", "Op 16 juli is de Kamer geïnformeerd.", "supports"),
        # and a bound on such a date is a bound
        (
            "The cases were confirmed before February 26.",
            "As of 25 February 2020, the cases were confirmed.",
            "supports",
        ),
        (
            "The cases were confirmed before February 24.",
            "As of 25 February 2020, the cases were confirmed.",
            "conflicts",
        ),
    ],
)
def test_a_date_without_its_year(claim: str, passage: str, stance: str) -> None:
    assert judge(claim, passage).stance == stance


@pytest.mark.parametrize(
    ("claim", "passage", "stance"),
    [
        ("The minister visited the area on Wednesday.", "The minister visited the area on Thursday.", "conflicts"),
        ("The minister visited the area on Wednesday.", "The minister visited the area on Wednesday.", "supports"),
        ("De minister bezocht het gebied op woensdag.", "De minister bezocht het gebied op donderdag.", "conflicts"),
        ("De minister bezocht het gebied op woensdag.", "De minister bezocht woensdag het gebied.", "supports"),
    ],
)
def test_a_day_of_the_week_is_a_value(claim: str, passage: str, stance: str) -> None:
    assert judge(claim, passage).stance == stance


def test_a_weekday_naming_another_thing_is_not_the_claims_day() -> None:
    result = judge("The minister visited the area on Tuesday.", "The minister visited the area hit by Monday's quake.")
    assert not any(r.startswith("weekday differs") for r in result.reasons)


@pytest.mark.parametrize(
    ("claim", "passage", "stance"),
    [
        # the killed are compared with the killed, never with the injured or the rescued
        ("At least 2,921 people were killed in Turkey.", "More than 15,000 people were injured in Turkey.", "neutral"),
        (
            "Zeker 2.921 mensen kwamen om het leven in Turkije.",
            "Twaalf mensen werden levend gered in Turkije.",
            "neutral",
        ),
        ("At least 2,921 people were killed in Turkey.", "In Turkey, 2,921 people were killed on Monday.", "supports"),
        ("Zeker 2.921 mensen kwamen om het leven in Turkije.", "In Turkije zijn 1.200 mensen omgekomen.", "conflicts"),
        # a count of people says nothing of their fate: it may be the dead
        ("4,300 people died in Turkey.", "The earthquake in Turkey left 4,300 people dead.", "supports"),
    ],
)
def test_figures_of_different_fates_are_not_compared(claim: str, passage: str, stance: str) -> None:
    assert judge(claim, passage).stance == stance, judge(claim, passage).reasons


@pytest.mark.parametrize(
    ("claim", "passage", "stance"),
    [
        ("The festival in Leiden lasted more than two weeks.", "The festival in Leiden lasted 20 days.", "supports"),
        ("The festival in Leiden lasted more than two weeks.", "The festival in Leiden lasted 10 days.", "conflicts"),
        ("Het festival in Leiden duurde meer dan twee weken.", "Het festival in Leiden duurde 20 dagen.", "supports"),
        ("Het festival in Leiden duurde meer dan twee weken.", "Het festival in Leiden duurde 10 dagen.", "conflicts"),
        # an age: "16-year-old" and "16-jarige" are durations too, paired with the nearest
        (
            "In Leiden he played a student below 17 years and a survivor below 33 years.",
            "In Leiden he played a 16-year-old student and a 32 year old survivor.",
            "supports",
        ),
        (
            "In Leiden speelde hij een scholier van onder de 17 jaar.",
            "In Leiden speelde hij een 16-jarige scholier.",
            "supports",
        ),
    ],
)
def test_durations_are_compared_as_intervals(claim: str, passage: str, stance: str) -> None:
    result = judge(claim, passage)
    assert result.stance == stance, result.reasons


@pytest.mark.parametrize(
    ("claim", "passage", "stance"),
    [
        ("The epicentre of the quake was near Ankara.", "The epicentre of the quake was near Gaziantep.", "conflicts"),
        (
            "Het epicentrum van de beving lag bij Ankara.",
            "Het epicentrum van de beving lag bij Gaziantep.",
            "conflicts",
        ),
        # a city lies in its country
        ("The epicentre of the quake was in Turkey.", "The epicentre of the quake was near Gaziantep.", "supports"),
    ],
)
def test_cities_are_places_compared_as_places(claim: str, passage: str, stance: str) -> None:
    result = judge(claim, passage)
    assert result.stance == stance, result.reasons


@pytest.mark.parametrize(
    ("claim", "passage", "stance"),
    [
        ("Neymar was born in the early 1980s in Mogi.", "Neymar was born on 5 February 1982 in Mogi.", "supports"),
        ("Neymar was born in the late 1980s in Mogi.", "Neymar was born on 5 February 1982 in Mogi.", "conflicts"),
        ("Neymar werd begin jaren 80 geboren in Mogi.", "Neymar werd op 5 februari 1982 geboren in Mogi.", "supports"),
        (
            "Neymar werd in de jaren negentig geboren in Mogi.",
            "Neymar werd op 5 februari 1982 geboren in Mogi.",
            "conflicts",
        ),
        # a decade in the source allows a year of it, without confirming it
        ("Neymar was born in 1982 in Mogi.", "Neymar was born in the 1980s in Mogi.", "neutral"),
    ],
)
def test_a_decade_is_the_years_it_covers(claim: str, passage: str, stance: str) -> None:
    result = judge(claim, passage)
    assert result.stance == stance, result.reasons


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        (
            "The youngest victim in Belgium was 39 years old.",
            "The youngest victim in Belgium was younger than 45 years old.",
        ),
        (
            "Het jongste slachtoffer in België was 39 jaar oud.",
            "Het jongste slachtoffer in België was jonger dan 45 jaar.",
        ),
    ],
)
def test_younger_than_is_a_bound_that_holds_a_younger_age(claim: str, passage: str) -> None:
    assert judge(claim, passage).stance != "conflicts", judge(claim, passage).reasons
