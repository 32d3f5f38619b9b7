"""Places, people and organisations across languages and spellings, with their roles."""

from __future__ import annotations

import pytest

from service.engine.analysis import analyze


def ids(text: str, language: str | None = None) -> list[str]:
    return [m.id for m in analyze(text, language).entities]


def roles(text: str, language: str | None = None) -> dict[str, str]:
    return {m.id: m.role for m in analyze(text, language).entities}


@pytest.mark.parametrize(
    ("english", "dutch", "entity"),
    [
        ("Romania", "Roemenië", "country:RO"),
        ("Kyiv", "Kiev", "place:kyiv"),
        ("Putin", "Poetin", "person:putin"),
        ("NATO", "NAVO", "org:nato"),
        ("the US", "de VS", "country:US"),
        ("the United States", "de Verenigde Staten", "country:US"),
        ("Crimea", "de Krim", "place:crimea"),
        ("Eastern Europe", "Oost-Europa", "region:151"),
        ("Lithuania", "Litouwen", "country:LT"),
    ],
)
def test_names_across_languages(english: str, dutch: str, entity: str) -> None:
    assert entity in ids(f"They spoke about {english} yesterday.", "en")
    assert entity in ids(f"Ze spraken gisteren over {dutch}.", "nl")


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("Officials in Roemenie said so.", "country:RO"),  # no diaeresis
        ("Zelenskyj sprak met Poetin.", "person:zelensky"),  # another transliteration
        ("Zelenski sprak met de premier.", "person:zelensky"),
        ("President Volodymyr Zelensky spoke.", "person:zelensky"),
    ],
)
def test_spelling_variants(text: str, entity: str) -> None:
    assert entity in ids(text)


def test_demonyms_name_a_country() -> None:
    assert ids("8.500 Amerikaanse militairen staan paraat.", "nl") == ["country:US"]
    assert ids("Russian soldiers are at the border.", "en") == ["country:RU"]


def test_the_pronoun_us_is_not_the_united_states() -> None:
    assert "country:US" not in ids("They told us to leave.", "en")
    assert "country:US" in ids("The US told them to leave.", "en")


def test_movement_roles() -> None:
    assert roles("Duizend soldaten die al in Duitsland zijn, worden naar Roemenië gestuurd.", "nl") == {
        "country:DE": "origin",
        "country:RO": "destination",
    }
    assert roles("Duizend militairen gaan van Duitsland naar Polen.", "nl") == {
        "country:DE": "origin",
        "country:PL": "destination",
    }
    assert roles("Er worden 2.000 militairen vanuit de VS naar Polen en Duitsland gestuurd.", "nl") == {
        "country:US": "origin",
        "country:PL": "destination",
        "country:DE": "destination",  # coordinated with Polen
    }
    assert roles("Troops stationed in Germany will be deployed in Romania.", "en") == {
        "country:DE": "origin",
        "country:RO": "destination",
    }


def test_location_without_movement() -> None:
    assert roles("Tweeduizend militairen worden gestationeerd in Duitsland en Polen.", "nl") == {
        "country:DE": "location",
        "country:PL": "location",
    }


def test_actor_and_passive_agent() -> None:
    assert roles("Poland is sending 2,000 troops to Lithuania.", "en") == {
        "country:PL": "actor",
        "country:LT": "destination",
    }
    assert roles("Crimea was annexed by Russia in 2014.", "en") == {"place:crimea": "other", "country:RU": "actor"}


def test_compounds_name_whose_troops() -> None:
    analysis = analyze("Het land wil dat NAVO-troepen Oost-Europa verlaten.", "nl")
    nato = next(m for m in analysis.entities if m.id == "org:nato")
    assert (nato.via, nato.role, nato.text) == ("compound", "actor", "NAVO")
    assert "troepen" in [t.fold for t in analysis.content]


def test_unknown_proper_names_are_kept_for_coverage() -> None:
    assert "name:interfax" not in ids("Dat zegt hij tegen het persbureau Interfax.", "nl")  # it is in the lexicon
    assert "org:interfax" in ids("Dat zegt hij tegen het persbureau Interfax.", "nl")
    assert "name:olympic games" in ids("The Olympic Games in Beijing opened.", "en")


def test_months_and_sentence_openers_are_not_names() -> None:
    found = ids("Gisteren vertrokken de troepen in februari.", "nl") + ids("The summit opened in February.", "en")
    assert found == []


def test_cldr_renamed_countries_keep_their_common_names() -> None:
    assert "country:TR" in ids("Turkey closed the Bosphorus to warships.", "en")
    assert "country:TR" in ids("Turkije sloot de Bosporus.", "nl")


def test_an_object_after_an_english_verb_is_not_the_actor() -> None:
    assert roles("More than 500,000 people have fled Ukraine.", "en") == {"country:UA": "other"}


def test_a_name_that_starts_with_a_common_noun() -> None:
    analysis = analyze("Het Amerikaanse ministerie van Buitenlandse Zaken adviseert te vertrekken.", "nl")
    assert "org:state-department" in [m.id for m in analysis.entities]


def test_possessives_are_not_destinations() -> None:
    assert roles("The US and NATO agreed to Russia's demands.", "en")["country:RU"] == "other"


def test_definite_place_nouns_refer_back() -> None:
    refs = analyze("Eerder weigerde Berlijn wapens te leveren aan het land.", "nl").place_refs
    assert [role for role, _, _ in refs] == ["location"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Pogba Has Quit The French National Team Over Macron's Remarks", "en"),
        ("Minister Zegt Dat De Grens Van Het Land Dicht Gaat", "nl"),
    ],
)
def test_title_case_capitals_are_not_names(text: str, language: str) -> None:
    # a headline capitalises every word: only names the lexicon knows are names there
    found = ids(text, language)
    assert not [i for i in found if i.startswith("name:")], found


def test_a_title_inside_a_sentence_keeps_the_names() -> None:
    assert "name:big nae nae show" in ids("Big Narstie hosts The Big Nae Nae Show.", "en")
    assert "name:wereld draait door" in ids("Hij presenteerde De Wereld Draait Door jarenlang.", "nl")


def test_emphatic_negation_is_not_a_name() -> None:
    assert ids("Paul Pogba is NOT quitting football.", "en") == ["name:paul pogba"]
    assert ids("Paul Pogba stopt NIET met voetbal.", "nl") == ["name:paul pogba"]


@pytest.mark.parametrize(
    ("text", "language", "entity"),
    [
        ("Clairo was an electropop recording artist.", "en", "name:clairo"),
        ("Gazprombank valt niet onder de maatregel.", "nl", "name:gazprombank"),
    ],
)
def test_an_opener_no_dictionary_knows_is_a_name(text: str, language: str, entity: str) -> None:
    assert entity in ids(text, language)


def test_an_opener_the_dictionary_knows_is_not_a_name() -> None:
    assert ids("Yesterday the troops left.", "en") == [] and ids("Gisteren vertrokken de troepen.", "nl") == []


def test_a_title_before_a_name_is_not_a_name_of_its_own() -> None:
    assert ids("Prime Minister Rutte attended a crisis meeting.", "en") == ["person:rutte"]
    assert roles("Prime Minister Rutte attended a crisis meeting.", "en") == {"person:rutte": "actor"}


def test_a_country_before_a_title_is_whose_office_not_a_place() -> None:
    found = roles("Haavisto handed the documents to United States Secretary of State Antony Blinken.", "en")
    assert found["country:US"] == "other"
    found = roles("Haavisto gaf de documenten aan de Amerikaanse minister Blinken.", "nl")
    assert "destination" not in found.values()


@pytest.mark.parametrize(
    ("text", "language", "word"),
    [
        ("Clairo was an electropop recording artist.", "en", "clairo"),
        ("Gazprombank valt niet onder de maatregel.", "nl", "gazprombank"),
    ],
)
def test_an_opener_read_as_a_name_for_its_rarity_stays_a_word_unsplit(text: str, language: str, word: str) -> None:
    """Its capital says nothing, so it is a content word too, and one word: not "gazprom" and "bank"."""
    analysis = analyze(text, language)
    content = [t.fold for t in analysis.content]
    assert f"name:{word}" in [m.id for m in analysis.entities]
    assert word in content and not {"gazprom", "bank"} & set(content)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Neil Harris is the manager of the club.", "en"),  # an opener followed by a name
        ("Turkish President Recep Tayyip Erdogan visited the region.", "en"),  # a name inside the sentence
        ("De Turkse president Recep Tayyip Erdogan bezocht het gebied.", "nl"),
    ],
)
def test_other_names_are_not_content_words_but_their_words_are_found(text: str, language: str) -> None:
    analysis = analyze(text, language)
    name = next(m for m in analysis.entities if m.kind == "name")
    spans = [(t.start, t.end) for t in analysis.content]
    assert not any(name.start <= start < name.end for start, _ in spans)
    # each word of the name is in the words a claim's words are looked for in ("Erdogan" in the full name)
    assert set(name.id.partition(":")[2].split()) <= set(analysis.content_folds)


@pytest.mark.parametrize(
    "text",
    [
        "The earthquake struck Turkey and Syria on Monday.",  # irregular: struck
        "The storm hit Cuba overnight.",  # the same form in present and past
        "Last week the minister sent Lithuania a letter.",
        "The ruling party narrowly won Georgia.",
    ],
)
def test_a_name_after_an_english_irregular_past_tense_is_its_object(text: str) -> None:
    """Past tenses in -ed were read before; lemminflect's lexicon adds the irregular ones."""
    assert set(roles(text, "en").values()) == {"other"}


def test_a_name_before_the_verb_still_acts() -> None:
    assert roles("Turkey struck back on Monday.", "en") == {"country:TR": "actor"}


@pytest.mark.parametrize(
    ("text", "language", "city", "role"),
    [
        ("The epicentre was near Gaziantep.", "en", "Gaziantep", "location"),
        ("The plane flew from Indianapolis to Chicago.", "en", "Indianapolis", "origin"),
        ("Het epicentrum lag bij Gaziantep.", "nl", "Gaziantep", "location"),
        ("De hulpgoederen gaan naar Ankara.", "nl", "Ankara", "destination"),
    ],
)
def test_a_city_after_a_preposition_of_place_is_a_place_in_its_country(
    text: str, language: str, city: str, role: str
) -> None:
    from service.engine.analysis.lexicon import lexicon

    mention = next(m for m in analyze(text, language).entities if m.text == city)
    assert (mention.kind, mention.role) == ("place", role)
    assert {"country:TR", "country:US"} & lexicon().parents[mention.id]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Austin said the plan had failed.", "en"),  # no preposition of place: maybe a person
        ("George Weah was named African Player of the Century.", "en"),  # the start of a person's name
        ("He was traded to the Cleveland Browns.", "en"),  # the start of a team's name
        ("Austin Reaves scoorde twintig punten.", "nl"),
    ],
)
def test_a_city_name_elsewhere_is_no_place(text: str, language: str) -> None:
    assert not [m for m in analyze(text, language).entities if m.kind == "place"]
