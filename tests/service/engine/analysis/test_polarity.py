"""Clauses, negation and denial (single and double), hedges and who is reported speaking."""

from __future__ import annotations

import pytest

from service.engine.analysis import analyze


def negated(text: str, language: str | None = None) -> list[bool]:
    return [c.negated for c in analyze(text, language).clauses]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Biden is niet van plan troepen naar Oekraïne te sturen.", "nl", [True]),
        ("The US will not send troops into Ukraine.", "en", [True]),
        ("The US won't send troops into Ukraine.", "en", [True]),
        ("Rusland ontkent plannen te hebben om Oekraïne binnen te vallen.", "nl", [True]),
        ("Russia denies planning an invasion.", "en", [True]),
        ("De Amerikanen willen de inzet van hun troepen in Oekraïne vermijden.", "nl", [True]),
        ("De VS en hun bondgenoten wijzen die eisen van de hand.", "nl", [True]),
        ("Er zijn geen concrete plannen.", "nl", [True]),
        ("Oekraïne wordt nooit lid van de NAVO.", "nl", [True]),
        # double negation: "does not rule out" says it may happen
        ("Kirby sluit niet uit dat de Amerikanen meer militairen sturen.", "nl", [False]),
        ("Kirby does not rule out sending more troops.", "en", [False]),
        ("The US sends troops to Poland.", "en", [False]),
    ],
)
def test_negation(text: str, language: str, expected: list[bool]) -> None:
    assert negated(text, language) == expected


def test_negation_stays_in_its_clause() -> None:
    text = "Rusland ontkent dat het een invasie plant, maar heeft wel zo'n 100.000 troepen aan de grens."
    assert negated(text, "nl") == [True, False]
    assert negated("Het land wil dat de troepen vertrekken en dat Oekraïne nooit lid wordt.", "nl") == [False, True]


@pytest.mark.parametrize(
    ("text", "hedge"),
    [
        ("Er zouden 100.000 militairen aan de grens staan.", "zouden"),
        ("Volgens de krant gaat het om 1.000 troepen.", "Volgens"),
        ("Reportedly 1,000 troops were sent.", "Reportedly"),
        ("Dat is voor het geval de troepen snel nodig zijn.", "voor het geval"),
        ("Biden overweegt troepen te sturen.", "overweegt"),
    ],
)
def test_hedges(text: str, hedge: str) -> None:
    assert hedge in analyze(text).clauses[0].hedges


def test_speaker_of_a_statement() -> None:
    clause = analyze("Rusland ontkent dat het een invasie van Oekraïne plant.", "nl").clauses[0]
    assert (clause.speaker, clause.negated) == ("country:RU", True)
    clause = analyze("De extra vliegtuigen moeten Rusland afschrikken, zei NAVO-chef Jens Stoltenberg.", "nl").clauses[
        0
    ]
    assert clause.speaker == "person:stoltenberg"
    clause = analyze("Russia confirmed it is planning an invasion of Ukraine.", "en").clauses[0]
    assert (clause.speaker, clause.speech, clause.negated) == ("country:RU", "confirmed", False)


def test_language_is_detected_for_claims() -> None:
    assert analyze("Duizend militairen gaan naar Roemenië").language == "nl"
    assert analyze("1,000 troops moved to Romania").language == "en"


def test_former_states_are_marked() -> None:
    assert analyze("Eerder weigerde Berlijn wapens te leveren.", "nl").clauses[0].past == ("Eerder",)
    assert analyze("Germany had previously refused to send weapons.", "en").clauses[0].past == ("previously",)
    assert analyze("Germany sends weapons.", "en").clauses[0].past == ()


def test_ruling_out_is_a_statement_by_its_subject() -> None:
    clause = analyze("Prime Minister Boris Johnson ruled out sending British troops into Ukraine.", "en").clauses[0]
    assert (clause.speaker, clause.negated) == ("person:johnson", True)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("No, Minneapolis has not defunded the police.", "en", [True]),
        ("No, the video was filmed in 2012.", "en", [False]),
        ("No one was hurt.", "en", [True]),
        ("Nee, er zijn geen troepen gestuurd.", "nl", [True]),
        ("Nee, de video is van 2012.", "nl", [False]),
    ],
)
def test_a_reply_particle_does_not_cancel_a_negation(text: str, language: str, expected: list[bool]) -> None:
    assert negated(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Bed nets treated or not treated with insecticide are harmful.", "en"),
        ("Whether or not troops are sent, the talks go on.", "en"),
        ("Het al dan niet sturen van troepen ligt bij de regering.", "nl"),
        ("Of er nu troepen komen of niet, de gesprekken gaan door.", "nl"),
    ],
)
def test_an_alternative_is_not_a_negation(text: str, language: str) -> None:
    assert negated(text, language) == [False] * len(negated(text, language))


@pytest.mark.parametrize(
    ("text", "language", "evidential"),
    [
        ("The suggestion that the pandemic was planned is false.", "en", ("false",)),
        ("Claims that the vaccine holds microchips are untrue and misleading.", "en", ("untrue",)),
        ("Het bericht dat de minister is afgetreden, is onjuist.", "nl", ("onjuist",)),
        ("Dat bericht bleek nep, zei de woordvoerder.", "nl", ("nep",)),
        # an article, intensifiers and coordinated adverbs between; "fake news" as the verdict
        ("These stories are completely and entirely false.", "en", ("false",)),
        ("We state that this is fake news.", "en", ("fake",)),
        ("Het bericht is volledig onjuist.", "nl", ("onjuist",)),
        ("Dat is nepnieuws.", "nl", ("nepnieuws",)),
        # not after a copula at the end of the predicate, or itself negated: says nothing of a claim
        ("It was a false alarm.", "en", ()),
        ("Fake news spread quickly.", "en", ()),
        ("The report is not false.", "en", ()),
        ("Het was vals alarm.", "nl", ()),
    ],
)
def test_a_falsity_word_after_a_copula_denies_the_claim(text: str, language: str, evidential: tuple[str, ...]) -> None:
    (clause,) = analyze(text, language).clauses[:1]
    assert clause.evidential == evidential
    assert clause.negated == bool(evidential)


@pytest.mark.parametrize(
    ("text", "language", "speaker", "speech"),
    [
        # a word of speech after a determiner or a number is a noun
        ("49 states had cases, plus the District of Columbia.", "en", None, None),
        ("The reports reached NATO on Monday.", "en", None, None),
        ("De verklaring van Rusland kwam maandag.", "nl", None, None),
        # a passive one: what was said is the subject, who said it the agent, if any
        ("The film was announced on 10 December by Chopra.", "en", "name:chopra", "announced"),
        ("The film was announced on 10 December.", "en", None, "announced"),
        ("Het plan werd bevestigd door de NAVO.", "nl", "org:nato", "bevestigd"),
        ("Het plan werd maandag bevestigd.", "nl", None, "bevestigd"),
        # the active voice, as before
        ("Russia confirmed the troops left.", "en", "country:RU", "confirmed"),
    ],
)
def test_who_is_reported_speaking_in_nouns_and_passives(
    text: str, language: str, speaker: str | None, speech: str | None
) -> None:
    clause = analyze(text, language).clauses[0]
    assert (clause.speaker, clause.speech) == (speaker, speech)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Officials in Turkey said at least 2,921 people were killed.", "en"),
        ("Turkish officials reported at least 2,921 deaths.", "en"),
        ("In Turkije meldden de autoriteiten 2.921 doden.", "nl"),
    ],
)
def test_officials_speak_for_the_country_they_speak_in(text: str, language: str) -> None:
    assert analyze(text, language).clauses[0].speaker == "country:TR"


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        # two denials joined by ", and there ...": each in its own clause, not cancelling out
        ("These stories are entirely false, and there is no basis for them.", "en", [True, True]),
        ("Het bericht is onjuist, en er is geen bewijs voor.", "nl", [True, True]),
        # "and" inside a list stays one clause
        ("The US sent troops, tanks and planes.", "en", [False]),
        ("De VS stuurden troepen, tanks en vliegtuigen.", "nl", [False]),
    ],
)
def test_a_comma_and_a_new_subject_begin_a_clause(text: str, language: str, expected: list[bool]) -> None:
    assert negated(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The Spurs desisted from re-signing him.", "en"),
        ("The US refrained from sending troops.", "en"),
        ("De VS lieten na troepen te sturen.", "nl"),
        ("Rusland onthield zich van stemming.", "nl"),
    ],
)
def test_refraining_from_something_negates_it(text: str, language: str) -> None:
    assert negated(text, language) == [True]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        # what is asked is not done or left undone: the call itself is asserted
        ("Het kabinet roept mensen op niet naar het rampgebied te komen.", "nl", [False]),
        ("De burgemeester vraagt inwoners niet naar buiten te gaan.", "nl", [False]),
        ("Officials urged people not to travel to the area.", "en", [False]),
        # a negation outside such an infinitive still negates
        ("The US will not send troops to Ukraine.", "en", [True]),
        ("Biden is niet van plan troepen naar Oekraïne te sturen.", "nl", [True]),
    ],
)
def test_a_negation_in_what_is_asked_leaves_the_call_asserted(text: str, language: str, expected: list[bool]) -> None:
    assert negated(text, language) == expected
