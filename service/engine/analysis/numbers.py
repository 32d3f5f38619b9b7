"""Quantities, years and durations, in Dutch or English writing.

"1,000", "1.000", "duizend", "een duizendtal", "a thousand" and "zo'n 1.000"
all become the value 1000; what differs is how much room the text leaves
around it (``low``/``high``): none for "1.000", some for "zo'n" or "-tal", a
whole interval for "1.000 tot 5.000", and a loose range for "duizenden"
("thousands"), which is never precise enough to contradict anything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from service.engine.analysis.lexicon import Lexicon
from service.engine.analysis.model import Duration, Quantity, QuantityKind, Token, Year

# Relative room an approximate number leaves: "zo'n 100.000" allows 85,000-115,000.
APPROX_TOLERANCE = 0.15
# Rounding between exact figures ("8.500" and "8,500", or 8,480 reported as 8,500).
EXACT_TOLERANCE = 0.005

_DIGITS = re.compile(r"^\d+(?:[.,]\d+)*$")
_TAL = re.compile(r"^(\d+(?:[.,]\d+)*|[^\W\d_]+?)-?tal$", re.IGNORECASE)
_MAGNITUDES = {
    "duizend": 1e3,
    "thousand": 1e3,
    "k": 1e3,
    "miljoen": 1e6,
    "million": 1e6,
    "mln": 1e6,
    "miljard": 1e9,
    "billion": 1e9,
    "mld": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
    "biljoen": 1e12,
    # the Indian numbering system, common in English-language news from South Asia
    "lakh": 1e5,
    "lakhs": 1e5,
    "crore": 1e7,
    "crores": 1e7,
}
CURRENCY_SYMBOLS = frozenset({"$", "€", "£", "¥", "₹"})
# A day of the month is a number from 1 to 31 written next to a month's name.
_DAY_RANGE = range(1, 32)
# Only these morphemes are tried with text2num, which is slow on arbitrary words.
_NUMBER_MORPHEMES = {
    "nl": "een|eén|één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|der|veer|vijf|zes|zeven|acht|negen"
    "|tien|tig|twintig|dertig|veertig|vijftig|zestig|zeventig|tachtig|negentig|honderd|duizend|miljoen|miljard|en|ën",
    "en": "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    "|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand"
    "|million|billion",
}
_NUMBER_WORD = {lang: re.compile(rf"^(?:{morphemes})+$") for lang, morphemes in _NUMBER_MORPHEMES.items()}
_ARTICLES = {"een", "a", "an", "one"}
_SCALE_WORDS = {"honderd", "duizend", "miljoen", "miljard", "hundred", "thousand", "million", "billion"}
# A number that could be a year (1800-2100, four digits) is a count only of a noun within this many
# words ("2000 Amerikaanse militairen"), and never right after one of these words.
YEAR_COUNT_REACH = 2
YEAR_PREPOSITIONS = frozenset({"in", "sinds", "since", "vanaf", "until", "till", "anno"})
_SKIP_BEFORE_NOUN = {"extra", "andere", "other", "more", "meer", "nieuwe", "new", "additional", "of", "van"}


@dataclass(frozen=True)
class _Number:
    value: float
    start: int  # token indices, end exclusive
    end: int
    approx: bool  # "-tal"
    vague: tuple[float, float] | None = None


def parse_digits(text: str, language: str) -> float | None:
    """A written number in either convention: "1.000" and "1,000" are both a thousand.

    A single separator followed by exactly three digits is a thousands
    separator in both Dutch and English news writing; anything else goes to
    Babel's locale-aware parser, trying the text's own convention first.
    """
    if not _DIGITS.match(text):
        return None
    if text.isdigit():
        return float(text)
    groups = re.split(r"[.,]", text)
    separators = set(re.findall(r"[.,]", text))
    if len(separators) == 1 and len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
        return float("".join(groups))
    from babel.numbers import NumberFormatError, parse_decimal

    for locale in (language, "en" if language == "nl" else "nl"):
        try:
            return float(parse_decimal(text, locale=locale, strict=True))
        except (NumberFormatError, ValueError):
            continue
    try:
        return float(Decimal(text.replace(",", ".")))
    except ArithmeticError:
        return None


def _word_number(words: Sequence[str], language: str) -> float | None:
    from text_to_num import text2num

    if not words:
        return None
    words = list(words)
    if words[0] in _ARTICLES and len(words) > 1 and words[1] in _SCALE_WORDS:
        words = words[1:]  # "a thousand", "een duizend"
    lang = language if language in _NUMBER_WORD else "en"
    try:
        return float(text2num(" ".join(words), lang))
    except (ValueError, TypeError):
        return None


def _is_number_word(word: str, language: str) -> bool:
    pattern = _NUMBER_WORD.get(language, _NUMBER_WORD["en"])
    return bool(pattern.match(word)) and word not in {"en", "ën", "der", "tig", "een", "eén", "één", "one"}


def _numbers(tokens: Sequence[Token], language: str) -> list[_Number]:
    """Digit and word numbers, with the token range each covers."""
    found: list[_Number] = []
    i = 0
    while i < len(tokens):
        word = tokens[i].lower
        tal = _TAL.match(word)
        stem = tal.group(1) if tal else word
        digits = parse_digits(stem, language)
        if digits is not None:
            end = i + 1
            value = digits
            if not tal and end < len(tokens) and tokens[end].lower in _MAGNITUDES:
                value *= _MAGNITUDES[tokens[end].lower]
                end += 1
            found.append(_Number(value, i, end, approx=bool(tal)))
            i = end
            continue
        # number words: the longest run text2num accepts
        if _is_number_word(stem, language) or (
            word in _ARTICLES and i + 1 < len(tokens) and tokens[i + 1].lower in _SCALE_WORDS
        ):
            end = i + 1
            while end < len(tokens) and (
                _is_number_word(tokens[end].lower, language)
                or (
                    tokens[end].lower in {"and", "en"}
                    and end + 1 < len(tokens)
                    and _is_number_word(tokens[end + 1].lower, language)
                )
            ):
                end += 1
            words = [t.lower for t in tokens[i:end]]
            if tal:
                words[0] = stem
            value_or_none = _word_number(words, language)
            if value_or_none is not None:
                found.append(_Number(value_or_none, i, end, approx=bool(tal)))
                i = end
                continue
        i += 1
    return found


def _vague(tokens: Sequence[Token], lexicon: Lexicon, language: str) -> list[_Number]:
    """ "duizenden", "thousands", "tens of thousands": ranges that never contradict."""
    tables = [lexicon.vague.get(language, {}), *(t for lang, t in lexicon.vague.items() if lang != language)]
    found = []
    i = 0
    while i < len(tokens):
        for size in (3, 2, 1):
            phrase = " ".join(t.fold for t in tokens[i : i + size])
            hit = next((table[phrase] for table in tables if phrase in table), None)
            if hit is not None and len(tokens[i : i + size]) == size:
                found.append(_Number(hit[0], i, i + size, approx=False, vague=hit))
                i += size
                break
        else:
            i += 1
    return found


def _phrase_before(
    tokens: Sequence[Token], index: int, table: dict[str, str], max_words: int = 3
) -> tuple[str, int] | None:
    """The longest entry of ``table`` ending right before token ``index``: (kind, first token)."""
    for size in range(min(max_words, index), 0, -1):
        phrase = " ".join(t.fold for t in tokens[index - size : index])
        if phrase in table:
            return table[phrase], index - size
    return None


def _counted(tokens: Sequence[Token], index: int, lexicon: Lexicon, reach: int = 4) -> tuple[str | None, str | None]:
    """What the number at ``index`` counts: the first word with a concept in the next ``reach``.

    English puts the head last ("300 air defence missiles"), Dutch compounds it
    ("200 luchtafweerraketten" ends in "raketten"); punctuation or another
    number ends the search.
    """
    first_word: str | None = None
    if index < len(tokens) and tokens[index].text in {"%", "‰"}:
        return concept_of(tokens[index], lexicon), tokens[index].text  # "79%": the sign says what it counts
    for j in range(index, min(index + reach, len(tokens))):
        token = tokens[j]
        if not token.text[:1].isalpha():
            break
        if j + 1 < len(tokens):
            pair = (token.fold, tokens[j + 1].fold)
            if pair in lexicon.concept_phrases:
                return lexicon.concept_phrases[pair], f"{token.text} {tokens[j + 1].text}"
        concept = concept_of(token, lexicon)
        if concept is not None:
            return concept, token.text
        if first_word is None and not token.text[:1].isupper() and token.fold not in _SKIP_BEFORE_NOUN:
            first_word = token.text
    return None, first_word


# Counts of people, or of nothing named, take what happened to them ("2,921 people were killed":
# deaths), from a fate word at most FATE_REACH words from the figure in its clause.
FATE_REACH = 6
FATES = frozenset({"deaths", "injured", "rescued", "missing", "arrested"})  # the lexicon's "fates"
# where a figure's part of the sentence ends: "were injured and 2,921 people", "killed with 15,000 injured"
_FATE_BOUNDARY = frozenset({"and", "en", "or", "with", "met", ",", ";", "but", "maar", "while", "terwijl"})


def _fate(
    tokens: Sequence[Token], first: int, end: int, clause_of: dict[int, int], lexicon: Lexicon, language: str
) -> str | None:
    """What happened to the people counted by the figure at ``tokens[first:end]``: the concept of the
    nearest fate phrase ("were killed", "raakten gewond", "levend ... gehaald") on either side, the
    one after on a tie, looking no further than the figure's own part of the sentence: "15,000
    people were injured and 2,921 people were killed" gives each figure its own."""
    clause = clause_of.get(first, 0)
    phrases = lexicon.fates.get(language) or tuple(p for table in lexicon.fates.values() for p in table)
    found: list[tuple[int, int, str]] = []  # distance, after (0) or before (1), concept
    for side, steps in (
        (0, range(end, min(len(tokens), end + FATE_REACH))),
        (1, range(first - 1, max(-1, first - 1 - FATE_REACH), -1)),
    ):
        for i in steps:
            if clause_of.get(i, 0) != clause or tokens[i].fold in _FATE_BOUNDARY:
                break
            concept = _fate_at(tokens, i, phrases)
            if concept is not None:
                found.append((i - end + 1 if side == 0 else first - i, side, concept))
                break
    return min(found)[2] if found else None


def _fate_at(tokens: Sequence[Token], i: int, phrases: tuple[tuple[tuple[str, ...], str], ...]) -> str | None:
    for words, concept in phrases:
        window = tokens[i : i + len(words)]
        if len(window) < len(words):
            continue
        if len(words) == 1:
            if window[0].fold == words[0] or window[0].lemma == words[0]:
                return concept
        elif all(t.fold == w for t, w in zip(window, words, strict=True)):
            return concept
    return None


def _widened(kind: str, value: float) -> tuple[float, float]:
    """The values a figure allows after an approximator (``kind`` approx, min or max): "about 40,000"
    within the tolerance, "more than 75" upwards, "below 17 years" downwards."""
    if kind == "min":
        return value, float("inf")
    if kind == "max":
        return 0.0, value
    return value * (1 - APPROX_TOLERANCE), value * (1 + APPROX_TOLERANCE)


# "the early 1980s", "begin jaren 80": the part of a decade, as (first year, years)
_DECADE_PARTS = {"early": (0, 4), "mid": (3, 4), "late": (6, 4), "begin": (0, 4), "midden": (3, 4), "eind": (6, 4)}


def _decade(
    tokens: Sequence[Token], first: int, end: int, value: float, raw_digits: str
) -> tuple[int, int, int, int] | None:
    """A decade: "the 1980s" (the tokenizer leaves "1980" and "s"), "de jaren 80", "de jaren tachtig",
    with "early", "mid", "late", "begin", "midden", "eind" before it. (first token, end token,
    first year, years covered), or None."""
    if end < len(tokens) and tokens[end].text == "s" and raw_digits.isdigit() and len(raw_digits) == 4:
        if not 1800 <= value <= 2090 or value % 10:
            return None
        year, last = int(value), end + 1
        begin = first
    elif first > 0 and tokens[first - 1].fold == "jaren" and value in range(0, 100, 10) and end - first == 1:
        year, last = (1900 if value >= 20 else 2000) + int(value), end
        begin = first - 1
    else:
        return None
    part = tokens[begin - 1].fold.rstrip("-") if begin > 0 else ""
    if part in _DECADE_PARTS:
        offset, span = _DECADE_PARTS[part]
        return begin - 1, last, year + offset, span
    return begin, last, year, 10


def concept_of(token: Token, lexicon: Lexicon) -> str | None:
    """The concept of a word, its lemma, the last part of "NAVO-troepen", or the head of a
    Dutch compound ("luchtafweerraketten" -> "raketten")."""
    concept = lexicon.concepts.get(token.fold) or lexicon.concepts.get(token.lemma)
    if concept is None and " " in token.fold:
        concept = lexicon.concepts.get(token.fold.rsplit(" ", 1)[-1])
    if concept is None and len(token.fold) > 8:
        concept = next(
            (c for word, c in lexicon.compound_heads if token.fold.endswith(word) and len(token.fold) > len(word) + 2),
            None,
        )
    return concept


def _time_unit(tokens: Sequence[Token], index: int, lexicon: Lexicon) -> tuple[str, float] | None:
    if index < len(tokens):
        return lexicon.time_units.get(tokens[index].fold)
    return None


def _contrasted(tokens: Sequence[Token], index: int, lexicon: Lexicon) -> bool:
    """Is the value at ``index`` set aside by "in plaats van" / "instead of" a few words before?"""
    window = [t.fold for t in tokens[max(0, index - 6) : index]]
    for phrase in lexicon.contrast:
        n = len(phrase)
        for k in range(len(window) - n + 1):
            if tuple(window[k : k + n]) == phrase:
                return True
    return False


def _ranks_and_factors(tokens: Sequence[Token], lexicon: Lexicon) -> dict[int, tuple[float, int, str]]:
    """Ordinals ("third", "3rd", "derde", "3e") and multiplier words ("twice", "tenfold",
    "verdubbeld"): token index -> (value, end token, concept "ordinal" or "multiplier").

    A rank or a factor is compared only with another one, never with an amount.
    """
    found: dict[int, tuple[float, int, str]] = {}
    for i, token in enumerate(tokens):
        if token.fold in lexicon.multipliers:
            found[i] = (lexicon.multipliers[token.fold], i + 1, "multiplier")
        elif token.fold in lexicon.ordinals:
            if token.fold == "second" and i > 0 and tokens[i - 1].fold in {"a", "per", "one"}:
                continue  # a unit of time
            found[i] = (float(lexicon.ordinals[token.fold]), i + 1, "ordinal")
        elif " " in token.fold and token.fold.rsplit(" ", 1)[1] in lexicon.ordinals:
            tens = _word_number(token.fold.rsplit(" ", 1)[0].split(), "en")  # "twenty-first"
            if tens is not None:
                found[i] = (tens + lexicon.ordinals[token.fold.rsplit(" ", 1)[1]], i + 1, "ordinal")
        elif _suffixed(tokens, i, lexicon) and not _next_to_month(tokens, i, i + 2, lexicon):
            found[i] = (float(token.text), i + 2, "ordinal")  # "3rd", "3e"; "August 16th" is a date
    return found


def _suffixed(tokens: Sequence[Token], i: int, lexicon: Lexicon) -> bool:
    """Digits written with an ordinal ending: "3rd", "16th", "3e"."""
    return (
        tokens[i].text.isdigit()
        and i + 1 < len(tokens)
        and tokens[i + 1].start == tokens[i].end
        and tokens[i + 1].lower in lexicon.ordinal_suffixes
    )


def _next_to_month(tokens: Sequence[Token], start: int, end: int, lexicon: Lexicon) -> bool:
    return (start > 0 and tokens[start - 1].fold in lexicon.months) or (
        end < len(tokens) and tokens[end].fold in lexicon.months
    )


def _days(tokens: Sequence[Token], lexicon: Lexicon) -> set[int]:
    """Token indices of days of the month: "29" in "April 29, 2000", "29 april 2000", "August 16th"."""
    days = set()
    for i, token in enumerate(tokens):
        if token.text.isdigit() and len(token.text) <= 2 and int(token.text) in _DAY_RANGE:
            end = i + 2 if _suffixed(tokens, i, lexicon) else i + 1
            if _next_to_month(tokens, i, end, lexicon):
                days.add(i)
    return days


def _date_before(tokens: Sequence[Token], index: int, lexicon: Lexicon) -> tuple[int, int, int, str]:
    """The date written before the year at ``index``: (first token, month, day, bound).

    "April 29, 2000", "29 april 2000", "May 2019"; a bound word before it ("before",
    "voor", "after", "na") makes the date a bound."""
    first, month, day = index, 0, 0
    j = index - 1
    if j >= 0 and tokens[j].text == ",":
        j -= 1
    if j >= 1 and tokens[j].lower in lexicon.ordinal_suffixes and _suffixed(tokens, j - 1, lexicon):
        j -= 1  # "August 16th, 2018"
    if (
        j >= 1
        and tokens[j].text.isdigit()
        and int(tokens[j].text) in _DAY_RANGE
        and tokens[j - 1].fold in lexicon.months
    ):
        month, day, first = lexicon.months[tokens[j - 1].fold], int(tokens[j].text), j - 1
    elif j >= 0 and tokens[j].fold in lexicon.months:
        month, first = lexicon.months[tokens[j].fold], j
        if j >= 1 and tokens[j - 1].text.isdigit() and int(tokens[j - 1].text) in _DAY_RANGE:
            day, first = int(tokens[j - 1].text), j - 1
    bound = _date_bound(tokens, first, lexicon)
    if bound is not None:
        return bound[1], month, day, bound[0]
    return first, month, day, ""


def _date_bound(tokens: Sequence[Token], first: int, lexicon: Lexicon) -> tuple[str, int] | None:
    """A bound word before the date that starts at ``first`` ("before", "na", "after on"):
    (before | after, its first token)."""
    lead = first - 1 if first > 0 and tokens[first - 1].fold in {"on", "in", "op", "of"} else first
    return _phrase_before(tokens, lead, lexicon.year_bounds)


_GLUES = frozenset({"", "-", "\u2010", "\u2011", "\u2013"})


def _named(token: Token, names: Sequence[tuple[int, int]]) -> bool:
    """A capitalised token inside one of the names found in the text. Module level, not nested in
    ``_in_name``: a compiled closure holds itself through its environment, a cycle per call."""
    return token.is_capitalized and any(start <= token.start < end for start, end in names)


def _in_name(
    text: str, tokens: Sequence[Token], number: _Number, names: Sequence[tuple[int, int]], lexicon: Lexicon
) -> bool:
    """Is the number part of a name rather than a figure: glued to a word ("COVID-19", "MH17"),
    after a name's words ("Bad Santa 2", "The Equalizer 2's"), or before them ("47 Meters Down",
    "88 Minutes")? A name's number says nothing about what the sentence counts."""
    if number.end - number.start != 1 or not tokens[number.start].text.isdigit():
        return False
    i = number.start
    if i > 0:
        before = tokens[i - 1]
        gap = text[before.end : tokens[i].start]
        if before.text.isalpha() and gap in _GLUES and any(ch.isupper() for ch in before.text):
            return True
        if gap == " " and _named(before, names) and before.fold not in lexicon.months:
            return True
    if i + 1 < len(tokens):
        after = tokens[i + 1]
        if text[tokens[i].end : after.start] == " " and _named(after, names) and after.fold not in lexicon.months:
            return True
    return False


def extract(
    text: str,
    tokens: Sequence[Token],
    language: str,
    lexicon: Lexicon,
    clause_of: dict[int, int],
    names: Sequence[tuple[int, int]] = (),
) -> tuple[list[Quantity], list[Year], list[Duration]]:
    """Quantities (with what they count), years and durations, in text order; ``names`` are the
    character spans of the names found in the text, whose numbers are part of the name."""
    quantities: list[Quantity] = []
    years: list[Year] = []
    durations: list[Duration] = []
    numbers = sorted(_numbers(tokens, language) + _vague(tokens, lexicon, language), key=lambda n: n.start)
    special = _ranks_and_factors(tokens, lexicon)
    month_days = _days(tokens, lexicon)
    used: set[int] = month_days | set(special)
    for k, number in enumerate(numbers):
        if number.start in used:
            continue
        first, last = tokens[number.start], tokens[number.end - 1]
        clause = clause_of.get(number.start, 0)
        contrasted = _contrasted(tokens, number.start, lexicon)
        unit = _time_unit(tokens, number.end, lexicon)
        if unit is not None and number.vague is None:
            name, days = unit
            end_token = tokens[number.end]
            total = number.value * days
            low: float | None = None
            high: float | None = None
            begin = first
            widened = _phrase_before(tokens, number.start, lexicon.approximators)
            if widened is not None:
                begin = tokens[widened[1]]
                low, high = _widened(widened[0], total)
            durations.append(
                Duration(
                    total,
                    name,
                    number.value,
                    text[begin.start : end_token.end],
                    begin.start,
                    end_token.end,
                    clause,
                    contrasted,
                    low,
                    high,
                )
            )
            continue
        decade = _decade(tokens, number.start, number.end, number.value, raw_digits=first.text)
        if decade is not None:
            begin_index, end_index, first_year, span = decade
            years.append(
                Year(
                    first_year,
                    text[tokens[begin_index].start : tokens[end_index - 1].end],
                    tokens[begin_index].start,
                    tokens[end_index - 1].end,
                    clause,
                    contrasted,
                    span=span,
                )
            )
            continue
        raw = first.text
        is_year = (
            number.vague is None
            and not number.approx
            and number.end - number.start == 1
            and raw.isdigit()
            and len(raw) == 4
            and 1800 <= number.value <= 2100
        )
        concept, noun = _counted(tokens, number.end, lexicon)
        if is_year and concept is not None:
            # "2000 troops" counts, "in 2014 troops moved" and "In 2014 annexeerde Rusland met troepen"
            # date: a year-like number counts only what follows it at once, and never after "in"
            after_time_word = number.start > 0 and tokens[number.start - 1].fold in YEAR_PREPOSITIONS
            is_year = after_time_word or _counted(tokens, number.end, lexicon, reach=YEAR_COUNT_REACH)[0] is None
        if not is_year and number.vague is None and _in_name(text, tokens, number, names, lexicon):
            continue
        if is_year:
            begin_index, month, day, bound = _date_before(tokens, number.start, lexicon)
            begin = tokens[begin_index]
            years.append(
                Year(
                    int(number.value),
                    text[begin.start : last.end],
                    begin.start,
                    last.end,
                    clause,
                    contrasted,
                    "before" if bound == "before" else ("after" if bound == "after" else ""),
                    month,
                    day,
                )
            )
            continue
        start_token = number.start
        kind: QuantityKind = "exact"
        low = high = number.value
        strict = False
        # "$90 million": the currency says what is counted, and a bound stands before it
        lead = number.start
        if lead > 0 and tokens[lead - 1].text in CURRENCY_SYMBOLS:
            lead -= 1
            start_token = lead
            if concept is None:
                concept, noun = "money", tokens[lead].text
        after = tokens[number.end].fold if number.end < len(tokens) else ""
        if after in lexicon.times_words and (
            after == "fold" or (number.end + 1 < len(tokens) and tokens[number.end + 1].fold in lexicon.comparatives)
        ):
            # "10 times more", "tien keer zo groot", "10-fold": a factor, not an amount
            concept, noun = "multiplier", tokens[number.end].text
            last = tokens[number.end]
        # a range: "1.000 tot 5.000", "between 1,000 and 5,000", "1,000-5,000"
        nxt = numbers[k + 1] if k + 1 < len(numbers) else None
        if (
            nxt is not None
            and number.vague is None
            and nxt.vague is None
            and nxt.start == number.end + 1
            and tokens[number.end].fold in {"tot", "a", "à", "to", "and", "en", "-", "–"}
            and nxt.value > number.value
        ):
            used.add(nxt.start)
            high = nxt.value
            kind = "range"
            last = tokens[nxt.end - 1]
            concept, noun = _counted(tokens, nxt.end, lexicon)
            between = _phrase_before(
                tokens, number.start, {"tussen": "between", "between": "between", "tussen de": "between"}
            )
            if between:
                start_token = between[1]
        elif number.vague is not None:
            kind = "vague"
            low, high = number.vague
            quantifier = _phrase_before(
                tokens, number.start, {"enkele": "v", "several": "v", "a few": "v", "een paar": "v", "some": "v"}
            )
            if quantifier:
                start_token = quantifier[1]
        else:
            approx = _phrase_before(tokens, lead, lexicon.approximators)
            if number.approx or (approx and approx[0] == "approx"):
                kind = "approx"
            elif approx and approx[0] in {"min", "max"}:
                kind = "min" if approx[0] == "min" else "max"
            if kind != "exact":
                low, high = _widened(kind, number.value)
            if approx and kind in {"min", "max"}:
                strict = " ".join(t.fold for t in tokens[approx[1] : lead]) in lexicon.strict_bounds
            if approx:
                start_token = approx[1]
            if kind == "exact":
                low, high = number.value * (1 - EXACT_TOLERANCE), number.value * (1 + EXACT_TOLERANCE)
            if kind == "exact" and number.vague is None:
                several = _phrase_before(
                    tokens, number.start, {"enkele": "v", "several": "v", "a few": "v", "een paar": "v"}
                )
                if several and number.value in (1e3, 1e6):  # "enkele duizend(en)": a few thousand
                    kind, low, high = "vague", 2 * number.value, 9.999 * number.value
                    start_token = several[1]
        if concept == "people" or (concept is None and noun is None):
            # "20 countries" counts countries, whatever the rescue teams from them do
            concept = _fate(tokens, start_token, number.end, clause_of, lexicon, language) or concept
        begin = tokens[start_token]
        quantities.append(
            Quantity(
                value=number.value,
                low=low,
                high=high,
                kind=kind,
                concept=concept,
                noun=noun,
                text=text[begin.start : last.end],
                start=begin.start,
                end=last.end,
                clause=clause,
                contrasted=contrasted,
                strict=strict,
            )
        )
    for index, (value, end, concept) in special.items():
        begin, final = tokens[index], tokens[end - 1]
        noun = _counted(tokens, end, lexicon)[1] if concept == "ordinal" else None
        quantities.append(
            Quantity(
                value=value,
                low=value,
                high=value,
                kind="exact",
                concept=concept,
                noun=noun,
                text=text[begin.start : final.end],
                start=begin.start,
                end=final.end,
                clause=clause_of.get(index, 0),
                contrasted=_contrasted(tokens, index, lexicon),
            )
        )
    quantities.sort(key=lambda q: q.start)
    years.extend(_dates_without_year(text, tokens, month_days, lexicon, clause_of, years))
    years.sort(key=lambda y: y.start)
    return quantities, years, durations


def _dates_without_year(
    text: str,
    tokens: Sequence[Token],
    month_days: set[int],
    lexicon: Lexicon,
    clause_of: dict[int, int],
    years: Sequence[Year],
) -> list[Year]:
    """Days of a month written without a year ("April 4", "op 16 augustus"), as dates of an
    unknown year (``value`` 0): the day and month are still facts a source can confirm or
    contradict ("4 May" against "April 4")."""
    found = []
    taken = [(y.start, y.end) for y in years]
    for i in sorted(month_days):
        token = tokens[i]
        if any(start <= token.start < end for start, end in taken):
            continue
        end = i + 2 if _suffixed(tokens, i, lexicon) else i + 1
        if i > 0 and tokens[i - 1].fold in lexicon.months:
            first, last, month = i - 1, end - 1, lexicon.months[tokens[i - 1].fold]
        elif end < len(tokens) and tokens[end].fold in lexicon.months:
            first, last, month = i, end, lexicon.months[tokens[end].fold]
        else:
            continue
        bound = _date_bound(tokens, first, lexicon)  # "before February 26"
        if bound is not None:
            first = bound[1]
        begin, final = tokens[first], tokens[last]
        found.append(
            Year(
                0,
                text[begin.start : final.end],
                begin.start,
                final.end,
                clause_of.get(i, 0),
                _contrasted(tokens, i, lexicon),
                "before" if bound and bound[0] == "before" else ("after" if bound and bound[0] == "after" else ""),
                month,
                int(token.text),
            )
        )
    return found
