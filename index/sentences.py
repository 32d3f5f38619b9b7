"""Sentence units with character offsets into their document.

sentencex (Wikimedia's splitter, ~300 languages, a compiled core) does the
splitting: pysbd was measured at ~1.3 ms a sentence, which alone would halve
ingest throughput. Two things are done around it:

* quotes are mapped to ASCII first, length-preserving, because the splitter
  pairs German-style ``„…“`` and so never splits inside Dutch ``„…”`` spans, and
  does not know the Dutch ``,,`` opening quote; offsets stay valid since every
  replacement has the length of what it replaces;
* a piece that starts in lower case is glued back to the one before it: an
  abbreviation the splitter did not know (``o.a.``, ``d.w.z.``) cut a sentence.

Lines are paragraphs, so a heading without a final stop is its own unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rapidfuzz import fuzz, process

MAX_UNIT_CHARS = 1000
_FURNITURE_TAIL = 120

_QUOTES = str.maketrans(
    {
        "„": '"',
        "“": '"',
        "”": '"',
        "‟": '"',
        "«": '"',
        "»": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‹": "'",
        "›": "'",
    }
)
_LINE = re.compile(r"[^\n\r]+")
_MARKUP = re.compile(r"(?:#{1,6}[ \t]+|>[ \t]*|[-*•][ \t]+)+")
_LETTER = re.compile(r"[^\W\d_]")
_TWO_LETTERS = re.compile(r"[^\W\d_].*?[^\W\d_]", re.S)
_NOT_ALNUM = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Sentence:
    """A unit of evidence: ``text == document.text[char_start:char_end]``.

    ``paragraph`` counts non-empty lines; ``position`` counts kept units.
    """

    text: str
    char_start: int
    char_end: int
    paragraph: int
    position: int


@cache
def _furniture() -> tuple[re.Pattern[str], re.Pattern[str]]:
    lines = resources.files("index").joinpath("data/furniture.txt").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    alternation = "|".join(f"(?:{p})" for p in patterns)
    return (
        re.compile(rf"\A\s*(?:{alternation})\s*", re.IGNORECASE),
        re.compile(rf"(?:{alternation})\s*\Z", re.IGNORECASE),
    )


def normalize_quotes(text: str) -> str:
    """ASCII quotes in place of typographic and Dutch ones, at the same offsets."""
    return text.replace(",,", ' "').translate(_QUOTES)


def _segments(line: str, language: str) -> Iterator[tuple[int, int]]:
    import sentencex

    normalized = normalize_quotes(line)
    cursor = 0
    for piece in sentencex.segment(language, normalized):
        stripped = piece.strip()
        if not stripped:
            continue
        start = normalized.find(stripped, cursor)
        if start < 0:  # the splitter changed the text: fall back to the rest of the line
            start = cursor
        end = start + len(stripped)
        cursor = end
        if start > 0 and line[start - 1 : start + 1] == ",,":
            start -= 1  # the Dutch opening quote is two characters; keep both
        yield start, end


def _merge_continuations(spans: list[tuple[int, int]], line: str) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        head = line[start:end].lstrip("\"'„“”‘’,( ")
        continues = not head or head[0].islower() or not _LETTER.search(line[start:end])
        if merged and continues:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _trim(line: str, start: int, end: int) -> tuple[int, int]:
    """Cut page furniture and Markdown markup off both ends of a span."""
    leading, trailing = _furniture()
    while start < end:
        text = line[start:end]
        match = leading.match(text) or _MARKUP.match(text)
        if match and match.end() > 0:
            start += match.end()
            continue
        cut = _trailing_furniture(trailing, text)
        if cut < len(text):
            end = start + cut
            continue
        break
    while start < end and line[start].isspace():
        start += 1
    while end > start and line[end - 1].isspace():
        end -= 1
    return start, end


def _trailing_furniture(trailing: re.Pattern[str], text: str) -> int:
    """Where furniture at the end of ``text`` begins (``len(text)`` if none).

    Furniture is short and starts a word, so only word starts in the tail are
    tried, anchored: a plain ``search`` would try the pattern at every offset.
    """
    tail_start = max(0, len(text) - _FURNITURE_TAIL)
    for offset in range(tail_start, len(text)):
        starts_word = (offset == 0 or text[offset - 1].isspace()) and not text[offset].isspace()
        if starts_word and trailing.match(text, offset):
            return offset
    return len(text)


def _wrap(start: int, end: int, line: str) -> Iterator[tuple[int, int]]:
    """Overlong units (tables, run-on text) cut at whitespace, so one embedding means one thing."""
    while end - start > MAX_UNIT_CHARS:
        cut = line.rfind(" ", start, start + MAX_UNIT_CHARS)
        if cut <= start:
            cut = start + MAX_UNIT_CHARS
        yield start, cut
        start = cut
        while start < end and line[start].isspace():
            start += 1
    if start < end:
        yield start, end


def _dedup_key(text: str) -> str:
    return _NOT_ALNUM.sub(" ", text.casefold()).strip()


def split_sentences(text: str, language: str | None = None) -> list[Sentence]:
    """Sentences of a document, in order, without furniture or near-duplicates.

    Near-identical sentences (same words up to punctuation and case, or a fuzzy
    ratio of 95 with the same numbers) are stored once: syndicated pages often
    repeat a lead as a caption or a pull quote.
    """
    lang = (language or "en").lower()
    units: list[Sentence] = []
    kept_keys: list[str] = []
    kept_digits: list[list[str]] = []
    for paragraph, line_match in enumerate(_LINE.finditer(text)):
        line = line_match.group()
        if not line.strip():
            continue
        offset = line_match.start()
        spans = _merge_continuations(list(_segments(line, lang)), line)
        for span_start, span_end in spans:
            trimmed = _trim(line, span_start, span_end)
            for start, end in _wrap(*trimmed, line):
                unit = line[start:end]
                if not _TWO_LETTERS.search(unit):
                    continue
                key = _dedup_key(unit)
                digits = _DIGITS.findall(unit)
                if key in kept_keys:
                    continue
                near = process.extractOne(key, kept_keys, scorer=fuzz.ratio, score_cutoff=95)
                if near is not None and kept_digits[near[2]] == digits:
                    continue
                kept_keys.append(key)
                kept_digits.append(digits)
                units.append(Sentence(unit, offset + start, offset + end, paragraph, len(units)))
    return units
