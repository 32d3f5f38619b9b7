"""Stance of one passage towards a claim: the decision rules, without a model.

Similarities are given explicitly and words are matched by spelling, so these
tests pin the logic; tests/service/test_verify.py runs the same kinds of cases
through the real model.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from service.engine.analysis import analyze
from service.engine.stance import PassageStance, compare, decide


def judge(claim: str, passage: str, similarity: float = 0.7, context: tuple[str, ...] = ()) -> PassageStance:
    return compare(analyze(claim), analyze(passage), similarity, context=tuple(analyze(c) for c in context))


def test_matching_number_and_place_support() -> None:
    result = judge("1,000 troops moved to Romania", "The Pentagon said 1,000 troops moved to Romania on Tuesday.")
    assert result.stance == "supports"
    assert any("number matches" in r for r in result.reasons)
    assert 0 < result.score <= 1


def test_a_different_number_for_the_same_movement_conflicts_and_names_both_numbers() -> None:
    result = judge("2,000 troops moved to Romania", "1,000 troops moved to Romania.", similarity=0.95)
    assert result.stance == "conflicts"  # high similarity alone is not support
    assert "number differs: claim 2,000 vs source 1,000" in result.reasons[0]


def test_same_number_another_destination_conflicts() -> None:
    result = judge("1,000 troops moved to Bulgaria", "1,000 troops moved to Romania.")
    assert result.stance == "conflicts"
    assert result.reasons[0] == "destination differs: claim Bulgaria, source Romania"


def test_another_actor_with_the_same_number_is_neutral() -> None:
    result = judge("Poland sent 1,000 troops to Romania.", "The United States sent 1,000 troops to Romania.")
    assert result.stance == "neutral"
    assert any("another actor" in r for r in result.reasons)


def test_number_and_place_both_differ_is_another_event() -> None:
    result = judge("4,000 troops moved to Hungary", "1,000 troops moved to Romania.")
    assert result.stance == "neutral"
    assert any("another event" in r for r in result.reasons)


def test_negation_inside_the_claim() -> None:
    positive = "The United States sent troops to Romania, officials said."
    conflict = judge("The United States did not send troops to Romania.", positive)
    assert conflict.stance == "conflicts"
    assert "claim negates" in conflict.reasons[0]
    agree = judge(
        "The United States did not send troops to Romania.", "The United States did not send troops to Romania."
    )
    assert agree.stance == "supports"


def test_source_negation_conflicts_with_a_positive_claim() -> None:
    result = judge("The US and NATO accepted the demands.", "The US and NATO said they would not accept the demands.")
    assert result.stance == "conflicts"
    assert result.reasons[0].startswith("source negates (not)")


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        (
            "Biden proposed a 2% property tax increase",
            "There is no evidence that Biden proposed a nationwide property tax increase.",
        ),
        ("Het kabinet verhoogt de btw op groente met 3 procent", "Het kabinet verhoogt de btw op groente niet."),
    ],
)
def test_a_denial_rules_out_the_claim_at_any_value(claim: str, passage: str) -> None:
    """Not-P rules out P whatever its figure: the figure the denial leaves out does not stop the conflict."""
    result = judge(claim, passage)
    assert result.stance == "conflicts"
    assert result.reasons[0].startswith(("source negates", "source says it is unfounded"))


@pytest.mark.parametrize(
    ("claim", "passage", "similarity"),
    [
        # another subject's denial says nothing about the claim's
        (
            "Biden proposed a 2% property tax increase",
            "There is no evidence that Trump proposed a nationwide property tax increase.",
            0.7,
        ),
        ("Het kabinet verhoogt de btw op groente met 3 procent", "De gemeente verhoogt de btw op groente niet.", 0.7),
        # a denial that is not close to the claim as a sentence, while leaving a value unconfirmed
        ("Biden proposed a 2% property tax increase", "Biden did not propose a nationwide property tax increase.", 0.5),
        # one that says the claim is unfounded may be further from it, not this far
        (
            "Biden proposed a 2% property tax increase",
            "There is no evidence that Biden proposed a nationwide property tax increase.",
            0.35,
        ),
    ],
)
def test_a_denial_needs_the_claims_subject_and_a_close_sentence(claim: str, passage: str, similarity: float) -> None:
    assert judge(claim, passage, similarity=similarity).stance == "neutral"


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        (
            "A Rafale jet crashed during training near Ambala",
            "There is no evidence that a Rafale jet crashed near Ambala.",
        ),
        (
            "Taiwan shot down a Chinese fighter jet",
            "Taiwan's ministry dismissed the reports that Taiwan shot down a Chinese fighter jet.",
        ),
        (
            "Het leger heeft 500 soldaten naar Polen gestuurd",
            "Er is geen bewijs dat het leger soldaten naar Polen heeft gestuurd.",
        ),
        # a falsity word after a copula says so too
        (
            "The pandemic was planned by Bill Gates",
            "The suggestion that the pandemic was planned by Bill Gates is false.",
        ),
        (
            "Minister Jansen is afgetreden",
            "Het bericht dat minister Jansen is afgetreden, is onjuist.",
        ),
    ],
)
def test_a_passage_saying_the_claim_is_unfounded_conflicts(claim: str, passage: str) -> None:
    """ "No evidence that P" speaks of P itself: it conflicts further from the claim than a negated fact
    must be, with a value it leaves out, and the reports it dismisses are not its own hedge."""
    result = judge(claim, passage, similarity=0.45)
    assert result.stance == "conflicts", result.reasons
    assert result.reasons[0].startswith("source says it is unfounded")


def test_a_bare_denial_of_something_else_is_not_evidential() -> None:
    # "Rusland ontkent plannen ...": denies another proposition; only a negated fact close to the claim counts
    result = judge(
        "Rusland nam de Krim in 2014 in.", "Rusland ontkent plannen te hebben om Oekraïne binnen te vallen.", 0.45
    )
    assert result.stance == "neutral"


def test_double_negation_is_not_a_denial() -> None:
    result = judge("Kirby said more troops may be sent.", "Kirby does not rule out that more troops may be sent.")
    assert result.stance != "conflicts"


@pytest.mark.parametrize(
    ("claim", "stance"),
    [
        ("3,000 troops will go to Poland.", "neutral"),  # inside the range: consistent, not confirmed
        ("8,000 troops will go to Poland.", "conflicts"),  # outside it
        ("Between 1,000 and 5,000 troops will go to Poland.", "supports"),  # the same range
    ],
)
def test_a_range_in_the_source(claim: str, stance: str) -> None:
    assert judge(claim, "Between 1,000 and 5,000 troops will go to Poland.").stance == stance


@pytest.mark.parametrize(
    ("claim", "stance"),
    [
        ("1,100 troops will go to Poland.", "supports"),  # within the room "about" leaves
        ("1,000 troops will go to Poland.", "supports"),
        ("1,500 troops will go to Poland.", "conflicts"),  # outside it
    ],
)
def test_an_approximate_number_within_and_outside_tolerance(claim: str, stance: str) -> None:
    assert judge(claim, "About 1,000 troops will go to Poland.").stance == stance


def test_a_vague_figure_never_conflicts() -> None:
    assert judge("400 troops went to Poland.", "Thousands of troops went to Poland.").stance == "neutral"


def test_dutch_claim_against_dutch_passage() -> None:
    passage = "1.000 militairen die al in Duitsland zijn, gaan naar Roemenië."
    assert judge("Duizend militairen gaan naar Roemenië.", passage).stance == "supports"
    conflict = judge("Tweeduizend militairen gaan naar Roemenië.", passage)
    assert conflict.stance == "conflicts"
    assert conflict.reasons[0].startswith("number differs: claim Tweeduizend vs source 1.000")
    assert judge("Duizend militairen gaan van Duitsland naar Polen.", passage).reasons[0] == (
        "destination differs: claim Polen, source Roemenië"
    )


def test_english_claim_against_english_passage_with_a_year() -> None:
    passage = "In 2014 Russia annexed Crimea, a peninsula in the south of Ukraine."
    assert judge("Crimea was annexed by Russia in 2014.", passage).stance == "supports"
    conflict = judge("Russia annexed Crimea in 2012.", passage)
    assert conflict.stance == "conflicts"
    assert conflict.reasons[0] == "year differs: claim 2012 vs source 2014"


def test_the_claims_value_set_aside_by_the_source_conflicts() -> None:
    passage = "The troops will be ready to leave for Europe after five days instead of after ten days."
    result = judge("The troops need ten days to leave for Europe.", passage)
    assert result.stance == "conflicts"
    assert any("duration differs: claim ten days vs source five days" in r for r in result.reasons)


def test_what_someone_said_needs_that_speaker() -> None:
    claim = "Russia confirmed it is planning an invasion of Ukraine."
    denial = judge(claim, "Russia denies that it is planning an invasion of Ukraine.")
    assert denial.stance == "conflicts"
    reported = judge(claim, "There are reports that Russia is planning an invasion of Ukraine.")
    assert reported.stance == "neutral"
    assert any("does not report Russia" in r for r in reported.reasons)


def test_a_hypothetical_does_not_contradict() -> None:
    result = judge(
        "The US will not send troops into Ukraine.", "In case of an invasion, troops could be sent into Ukraine."
    )
    assert result.stance != "conflicts"


def test_names_may_come_from_the_sentence_before() -> None:
    result = judge(
        "Russia demands that NATO troops leave Eastern Europe.",
        "The country wants NATO troops to leave Eastern Europe.",
        context=("Russia denies having such plans but demands security guarantees.",),
    )
    assert result.stance == "supports"


def test_a_claim_about_something_else_is_neutral() -> None:
    result = judge("Spain sent a frigate to the Black Sea.", "1,000 troops moved to Romania.", similarity=0.3)
    assert result.stance == "neutral"


def test_below_the_similarity_floor_nothing_is_decided() -> None:
    result = judge("1,000 troops moved to Romania", "1,000 troops moved to Romania.", similarity=0.1)
    assert result.stance == "neutral"


def test_spans_point_at_the_differing_value() -> None:
    passage = "1,000 troops moved to Romania."
    result = judge("2,000 troops moved to Romania", passage)
    number = next(f for f in result.findings if f.slot == "number")
    ((start, end),) = number.source_spans
    assert passage[start:end] == "1,000"


def test_a_former_refusal_is_not_contradicted_by_a_present_delivery() -> None:
    result = judge("Germany had earlier refused to supply weapons to Ukraine.", "Germany supplies weapons to Ukraine.")
    assert result.stance != "conflicts"


def test_the_same_speaker_saying_the_opposite_conflicts_even_at_low_similarity() -> None:
    result = judge(
        "Johnson said British troops would be sent into Ukraine.",
        "Johnson ruled out sending British troops into Ukraine.",
        similarity=0.3,
    )
    assert result.stance == "conflicts"


def test_at_least_is_confirmed_by_the_exact_figure() -> None:
    assert judge("At least eleven civilians were killed.", "Eleven civilians were killed.").stance == "supports"


def test_a_loose_bound_does_not_tie_events_together() -> None:
    result = judge("Up to 10,000 troops could be sent to Norway.", "3,000 troops will be sent to Estonia.")
    assert result.stance == "neutral"


BRIEF_CLAIMS = [
    "1,000 troops moved to Romania",
    "De VS sturen 3.000 militairen naar Polen en Duitsland",
    "Biden denied sending troops to Ukraine",
    "Rusland heeft 100.000 militairen aan de grens met Oekraïne",
    "The Pentagon put 8,500 soldiers on high alert",
    "Nederland levert geen wapens aan Oekraïne",
    "2,000 American troops moved to Eastern Europe in 2022",
    "Russia annexed Crimea in 2014",
    "De oefening duurt tien dagen",
    "Thousands of soldiers left Belarus",
]


def test_a_brief_comparison_gives_the_full_stance_and_score(monkeypatch: pytest.MonkeyPatch) -> None:
    """``brief`` may skip the checks only where no decision could take a side: over every seed
    sentence, with the sentences before it as context, it gives the same stance and score."""
    from index.documents import iter_documents
    from index.sentences import split_sentences
    from tests.conftest import SEEDS

    sentences = [analyze(s.text, "nl") for doc in iter_documents([SEEDS]) for s in split_sentences(doc.text, "nl")]
    cases = [
        (claim, passage, tuple(sentences[max(0, i - 2) : i]), similarity)
        for claim in map(analyze, BRIEF_CLAIMS)
        for i, passage in enumerate(sentences)
        for similarity in (0.3, 0.5, 0.7)
    ]
    answered_briefly = 0
    for claim, passage, context, similarity in cases:
        full = compare(claim, passage, similarity, context=context)
        brief = compare(claim, passage, similarity, context=context, brief=True)
        if brief.brief:
            answered_briefly += 1
            assert (brief.stance, brief.score, brief.coverage) == (full.stance, full.score, full.coverage)
            assert (brief.reasons, brief.findings) == ((), ())
        else:
            assert brief == full
    # both rules answer some: too little of the claim, and values that rule a side out (patched in
    # the module run from source: compiled functions call each other directly, past any patch)
    source = _from_source(decide, monkeypatch)
    monkeypatch.setattr(source, "_values_rule_out_a_side", lambda c: False)
    by_coverage = sum(source.compare(c, p, s, context=x, brief=True).brief for c, p, x, s in cases)
    assert 0 < by_coverage < answered_briefly < len(cases)


def _from_source(module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A fresh copy of ``module`` run from its ``.py`` file, whether or not it is compiled."""
    assert module.__file__
    path = Path(module.__file__).parent / f"{module.__name__.rpartition('.')[2]}.py"
    spec = importlib.util.spec_from_file_location(f"{module.__name__}_from_source", path)
    assert spec and spec.loader
    copy = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, copy)  # dataclasses look their module up
    spec.loader.exec_module(copy)
    return copy


# Sides taken although a value the claim fixes is missing: another value differs, or the
# claim's own value is the one the passage sets aside.
SIDE_WITH_A_VALUE_MISSING = [
    ("Russia annexed Crimea with 20,000 troops in 2016", "In 2014 annexeerde Rusland de Krim."),
    (
        "The Russian exercise with 30,000 troops in Belarus ends after ten days",
        "De Russische militaire oefening in Belarus eindigt later, in plaats van na tien dagen.",
    ),
]


@pytest.mark.parametrize(("claim", "passage"), SIDE_WITH_A_VALUE_MISSING)
def test_a_brief_comparison_still_finds_a_conflict_with_a_value_missing(claim: str, passage: str) -> None:
    full = compare(analyze(claim), analyze(passage, "nl"), 0.6)
    assert full.stance == "conflicts"
    assert any(f.relation == "missing" for f in full.findings)
    assert compare(analyze(claim), analyze(passage, "nl"), 0.6, brief=True) == full


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("Jay Sekulow was born in 1956.", "Jay Alan Sekulow (born June 10, 1945) is an American attorney."),
        ("Jay Sekulow werd geboren in 1956.", "Jay Alan Sekulow (geboren op 10 juni 1945) is advocaat."),
    ],
)
def test_another_figure_for_the_same_measure_of_the_named_subject_conflicts(claim: str, passage: str) -> None:
    # the sentences differ in wording (low similarity), but the subject and the measure are the same
    result = judge(claim, passage, similarity=0.39)
    assert result.stance == "conflicts"
    assert "year differs" in result.reasons[0]


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("The lawyer was born in 1956.", "Jay Alan Sekulow (born June 10, 1945) is an American attorney."),
        ("De advocaat werd geboren in 1956.", "Jay Alan Sekulow (geboren op 10 juni 1945) is een advocaat."),
    ],
)
def test_without_a_named_subject_a_loosely_similar_figure_stays_neutral(claim: str, passage: str) -> None:
    assert judge(claim, passage, similarity=0.39).stance == "neutral"


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("Jason Sudeikis is a Canadian actor.", "Jason Sudeikis is an American actor and comedian."),
        ("Jason Sudeikis is een Canadese acteur.", "Jason Sudeikis is een Amerikaanse acteur en komiek."),
    ],
)
def test_a_differing_nationality_of_the_named_subject_conflicts(claim: str, passage: str) -> None:
    result = judge(claim, passage, similarity=0.8)
    assert result.stance == "conflicts"
    assert result.reasons[0].startswith("attribute differs")


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        # the subject's first name is named, another name of the claim's is not
        ("Stellar Pictures is a North American film studio.", "Stellar Pictures LLC is a British film studio."),
        ("Stellar Pictures is een Noord-Amerikaanse filmstudio.", "Stellar Pictures LLC is een Britse filmstudio."),
        # no name, but the place is the same: the embassy in Chad (in Dutch a nationality before the
        # object is still read as who acts, "vielen de Franse ambassade aan", and differs as an actor)
        ("Protesters attacked the French embassy in Chad.", "In Chad, protesters attacked the German embassy."),
    ],
)
def test_a_differing_attribute_of_what_the_passage_evidently_speaks_of_conflicts(claim: str, passage: str) -> None:
    result = judge(claim, passage, similarity=0.6)
    assert result.stance == "conflicts", result.reasons
    assert result.reasons[0].startswith("attribute differs")


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("The actor is a Canadian.", "The actor is an American comedian."),
        ("De acteur is een Canadees.", "De acteur is een Amerikaanse komiek."),
    ],
)
def test_a_differing_nationality_never_supports(claim: str, passage: str) -> None:
    assert judge(claim, passage, similarity=0.9).stance != "supports"


def test_the_same_nationality_in_the_other_language_still_supports() -> None:
    result = judge("Jason Sudeikis is an American actor.", "Jason Sudeikis is een Amerikaanse acteur.", similarity=0.8)
    assert result.stance != "conflicts"


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        (
            "Madonna signed with Interscope Records.",
            "Artists who signed with Interscope Records include The 1975, Madonna, Billie Eilish and Eminem.",
        ),
        (
            "Madonna tekende bij Interscope Records.",
            "Bij Interscope Records tekenden onder anderen The 1975, Madonna, Billie Eilish en Eminem.",
        ),
    ],
)
def test_a_long_passage_echoing_the_whole_claim_supports(claim: str, passage: str) -> None:
    # a list lowers the sentence similarity; every name and word of the claim is there
    assert judge(claim, passage, similarity=0.35).stance == "supports"


def test_a_long_passage_missing_a_word_needs_a_close_sentence() -> None:
    passage = "Artists who left Interscope Records include The 1975, Madonna, Billie Eilish and Eminem."
    assert judge("Madonna signed with Interscope Records.", passage, similarity=0.35).stance == "neutral"


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("Frozen grossed less than $90 million worldwide.", "The film grossed $187.7 million worldwide."),
        (
            "Frozen bracht wereldwijd minder dan 90 miljoen dollar op.",
            "De film bracht wereldwijd 187,7 miljoen dollar op.",
        ),
    ],
)
def test_a_claim_opening_with_its_subject_as_a_word_is_referred_to_by_the_passages_subject(
    claim: str, passage: str
) -> None:
    """ "Frozen" is a word, not a name; the passage's "The film" is its subject all the same, and
    another figure for the same measure contradicts the claim."""
    result = judge(claim, passage, similarity=0.44)
    assert result.stance == "conflicts", result.reasons


def test_an_opening_word_the_passage_names_elsewhere_is_not_taken_for_its_subject() -> None:
    # the 10 million goes to Giro555; it is not what Giro555 raised
    result = judge(
        "Giro555 haalde tijdens de actiedag 100 miljoen euro op.",
        "De 10 miljoen euro voor Giro555 komt bovenop de 10 miljoen euro die het kabinet vrijmaakte.",
        similarity=0.42,
    )
    assert result.stance == "neutral", result.reasons


@pytest.mark.parametrize(
    ("claim", "passage", "paired"),
    [
        (
            "Coldplay had less than two gold records.",
            "Coldplay sold more than 7 million albums and earned two gold records.",
            "two",
        ),
        (
            "Coldplay had minder dan twee gouden platen.",
            "Coldplay verkocht meer dan 7 miljoen albums en kreeg twee gouden platen.",
            "twee",
        ),
    ],
)
def test_a_differing_figure_is_paired_with_the_one_counting_the_same_noun(
    claim: str, passage: str, paired: str
) -> None:
    result = judge(claim, passage, similarity=0.44)
    differs = next(f for f in result.findings if f.slot == "number" and f.relation == "differs")
    assert differs.source == paired
    assert result.stance == "conflicts", result.reasons


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        (
            "Olive Garden prohibits its staff from wearing flag masks.",
            "There are no credible reports of Olive Garden banning its staff from wearing flag masks.",
        ),
        (
            "Olive Garden verbiedt zijn personeel vlagmaskers te dragen.",
            "Er zijn geen geloofwaardige berichten dat Olive Garden zijn personeel verbiedt vlagmaskers te dragen.",
        ),
    ],
)
def test_no_credible_reports_of_a_ban_contradict_the_ban(claim: str, passage: str) -> None:
    """ "Prohibits" negates as "bans" does, so the report's denial of a ban denies the claimed one."""
    result = judge(claim, passage, similarity=0.8)
    assert result.stance == "conflicts", result.reasons


@pytest.mark.parametrize(
    ("claim", "passage", "stance"),
    [
        ("Mad Men is a period comedy television series.", "Mad Men is a period drama television series.", "conflicts"),
        (
            "Mad Men is een televisieserie, een komedie over reclamemakers in New York.",
            "Mad Men is een televisieserie, een drama over reclamemakers in New York.",
            "conflicts",
        ),
        # a passage with the claim's value as well does not differ
        (
            "Mad Men is a period comedy television series.",
            "Mad Men is a period comedy drama television series.",
            "supports",
        ),
        (
            "Mad Men is een komedie over de jaren zestig.",
            "Mad Men is een komedie en een drama over de jaren zestig.",
            "supports",
        ),
    ],
)
def test_a_differing_value_of_an_exclusive_group_conflicts(claim: str, passage: str, stance: str) -> None:
    result = judge(claim, passage, similarity=0.72)
    assert result.stance == stance, result.reasons
