"""When two names found in text stand for the same person (or thing).

Names the lexicon does not know become ``name:`` ids of their folded words ("Shane Long" ->
``name:shane long``). News refers to one person in several ways, so equality is too strict:

* a surname or a first name alone stands for the full name, either way round ("Long" /
  "Shane Long", "Patrício" / "Rui Patrício"): one name's words are all among the other's;
* titles and honorifics before a name are set aside ("US Judge Amy Coney Barrett",
  "minister Ollongren"): nameparser's list of ~800 English titles, and the Dutch ones below;
* diacritics are folded (``lexicon.fold``), and a character lost to mojibake (``ï¿½``, or
  the replacement character it decodes to) matches any one or two letters ("Patrï¿½cio").

Two different first names with one surname ("Shane Long" / "Chris Long") are not the same.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from service.engine.analysis.lexicon import fold
from service.engine.analysis.model import Analysis, Token

NAME_PREFIX = "name:"
# A character lost to mojibake: UTF-8 of U+FFFD read as Latin-1 ("ï¿½"), or U+FFFD itself;
# in raw text, and as ``fold`` leaves them ("ï¿½" folds to "i¿1⁄2").
_LOST_RAW = re.compile(r"ï¿½|\ufffd")
_LOST = re.compile(r"i¿1⁄2|ï¿½|\ufffd")
# Dutch titles and honorifics before a name, which nameparser's English list lacks.
DUTCH_TITLES = frozenset(
    {
        "koning",
        "koningin",
        "prins",
        "prinses",
        "burgemeester",
        "wethouder",
        "staatssecretaris",
        "minister-president",
        "premier",
        "bondskanselier",
        "president",
        "rechter",
        "generaal",
        "kolonel",
        "luitenant-kolonel",
        "majoor",
        "kapitein",
        "commandant",
        "voorzitter",
        "directeur",
        "professor",
        "dokter",
        "meneer",
        "mevrouw",
        "dhr",
        "mevr",
        "drs",
        "ir",
        "mr",
        "prof",
        "dr",
        "ds",
        "kamerlid",
        "oud-minister",
        "oud-premier",
        "trainer",
        "coach",
        "bondscoach",
        "aanvoerder",
        "zanger",
        "zangeres",
        "acteur",
        "actrice",
        "schrijver",
        "schrijfster",
        "rapper",
        "keeper",
        "spits",
    }
)


def lost_letters_kept(word: str) -> str:
    """The word with each lost character as a letter, for tests of "is this a word" ("Patrï¿½cio")."""
    return _LOST_RAW.sub("x", word)


@cache
def titles() -> frozenset[str]:
    """Folded titles and honorifics: nameparser's (judge, president, sir, coach ...) and Dutch ones."""
    from nameparser.config import CONSTANTS

    return frozenset(fold(t) for t in (*CONSTANTS.titles, *DUTCH_TITLES))


def title_spans(analysis: Analysis) -> frozenset[int]:
    """Where the titles in front of names start: "Prime Minister Rutte", "First Lady Melania
    Trump", "premier Rutte". A claim's title is set aside like the name it goes with: a source
    need not repeat it ("premier" for "Prime Minister"); one that does still matches it. Only a
    capitalised title (nameparser's list also holds "film", "coach": lowercase, those are
    descriptions) or a Dutch one, which Dutch writes in lower case."""
    known = titles()
    tokens = analysis.tokens
    starts = {m.start for m in analysis.entities}
    found: list[int] = []
    for i, t in enumerate(tokens):
        word = t.fold.rstrip(".")
        if word not in known or not ((t.text[:1].isupper() and i > 0) or word in DUTCH_TITLES):
            continue
        j = i + 1
        while j < len(tokens) and tokens[j].fold.rstrip(".") in known and tokens[j].start not in starts:
            j += 1  # "Prime Minister"
        if j < len(tokens) and tokens[j].start in starts:
            found.extend(tokens[k].start for k in range(i, j))
    return frozenset(found)


@lru_cache(maxsize=100_000)
def name_words(name: str) -> tuple[str, ...]:
    """The words of a name (an id or its text), folded, with leading titles set aside; the last
    word always stays ("Judge" alone is a name)."""
    text = name.removeprefix(NAME_PREFIX)
    words = fold(text).replace("-", " ").split()
    known = titles()
    start = 0
    while start < len(words) - 1 and (words[start] in known or words[start].rstrip(".") in known):
        start += 1
    return tuple(words[start:])


@lru_cache(maxsize=100_000)
def _word_pattern(word: str) -> re.Pattern[str] | None:
    """A pattern for a word with lost characters (each stands for one or two letters), or None."""
    if not _LOST.search(word):
        return None
    parts = [re.escape(p) for p in _LOST.split(word)]
    return re.compile(r"\w{1,2}".join(parts))


def same_word(a: str, b: str) -> bool:
    """Equal words, allowing for characters mojibake lost in either."""
    if a == b:
        return True
    pattern = _word_pattern(a)
    if pattern is not None and pattern.fullmatch(b):
        return True
    pattern = _word_pattern(b)
    return pattern is not None and pattern.fullmatch(a) is not None


def _within(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    """Every word of ``part`` in ``whole``, each matched once."""
    left = list(whole)
    for word in part:
        hit = next((i for i, other in enumerate(left) if same_word(word, other)), None)
        if hit is None:
            return False
        del left[hit]
    return True


@lru_cache(maxsize=100_000)
def same_name(a: str, b: str) -> bool:
    """Can names ``a`` and ``b`` (ids or texts) be the same person: one's words among the other's?"""
    wa, wb = name_words(a), name_words(b)
    if not wa or not wb:
        return False
    return _within(wa, wb) if len(wa) <= len(wb) else _within(wb, wa)


def is_name(entity_id: str) -> bool:
    return entity_id.startswith(NAME_PREFIX)


# Capitalised words of recent analyses, by text (a passage recurs from claim to claim).
_CAPITALISED: dict[str, frozenset[str]] = {}
CAPITALISED_CACHE = 100_000


def _capitalised(analysis: Analysis) -> frozenset[str]:
    found = _CAPITALISED.get(analysis.text)
    if found is None:
        spans = [(m.start, m.end) for m in analysis.entities]
        found = frozenset(
            t.fold
            for t in analysis.tokens
            if t.text[:1].isupper() and not any(start <= t.start < end for start, end in spans)
        )
        if len(_CAPITALISED) >= CAPITALISED_CACHE:
            _CAPITALISED.clear()
        _CAPITALISED[analysis.text] = found
    return found


def named_in(name: str, analysis: Analysis) -> bool:
    """Is an unknown name of two or more words named in the text by one of its words, capitalised
    and outside every name found there ("Long scored twice": a sentence's first word is not taken
    for a name; "Chris Long" is another name)?"""
    if not is_name(name):
        return False
    words = name_words(name)
    return len(words) >= 2 and not _capitalised(analysis).isdisjoint(words)


# Words that refer back to a subject named elsewhere in the source: personal pronouns, and the
# determiners of a definite description ("the film", "de band"), in English and Dutch.
SUBJECT_PRONOUNS = frozenset({"he", "she", "it", "they", "hij", "zij", "ze"})
DEFINITE_DETERMINERS = frozenset({"the", "this", "de", "het", "deze", "dit"})
# A description is at most this many words after its determiner before its verb ("the music video").
DESCRIPTION_WORDS = 2


def _subject_anaphor_at(tokens: tuple[Token, ...], i: int, capitalised: frozenset[str]) -> bool:
    if i >= len(tokens):
        return False
    first = tokens[i].lower
    if first in SUBJECT_PRONOUNS:
        return True
    if first not in DEFINITE_DETERMINERS:
        return False
    # "the film", "the music video": lowercase words, not a name ("The Bloods", "de VS")
    head = tokens[i + 1 : i + 1 + DESCRIPTION_WORDS]
    return bool(head) and head[0].text.isalpha() and head[0].text.islower() and head[0].fold not in capitalised


def subject_anaphor(analysis: Analysis) -> bool:
    """Is the passage's subject a pronoun or a definite description ("He", "the film", "De band")?

    Then its subject is named elsewhere in the source (an encyclopedia's article title, a news
    report's first sentence), and a claim's subject that the passage never names may be it. Only
    at the start of the sentence, or right after an opening phrase and its comma ("On Rotten
    Tomatoes, the film ..."): a description further in is an object, not who the sentence is about.
    """
    tokens = analysis.tokens
    if not tokens:
        return False
    capitalised = _capitalised(analysis)
    if _subject_anaphor_at(tokens, 0, capitalised):
        return True
    comma = next((i for i, t in enumerate(tokens) if t.text == ","), None)
    return comma is not None and _subject_anaphor_at(tokens, comma + 1, capitalised)
