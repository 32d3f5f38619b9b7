"""Splitting Dutch compounds into the words they are made of.

"burgerdoelen" is "burger" + "doelen" (civilian targets), "luchtafweerraketten"
is "lucht" + "afweer" + "raketten" (air defence missiles): an English claim says
in three words what a Dutch passage says in one. A split is taken where both
parts are ordinary Dutch words by wordfreq's frequencies, allowing the linking
"s" ("gevechts-vliegtuigen"); nothing is split when no such pair exists.
"""

from __future__ import annotations

from functools import lru_cache

MIN_LENGTH = 8  # shorter words are rarely compounds worth splitting
MIN_PART = 4  # keeps suffixes ("-heid", "-ten") and prefixes ("aan-") from passing as words
# A word this common is a word in its own right ("aangevallen", "persconferentie"): kept whole.
MAX_WORD_ZIPF = 3.0
# Both parts must be at least this common (Zipf): "burger" 4.6, "doelen" 4.4, "afweer" 2.9.
MIN_PART_ZIPF = 2.5
LINKERS = ("s", "en", "e")


@lru_cache(maxsize=100_000)
def split_compound(word: str, language: str = "nl") -> tuple[str, ...]:
    """The parts of a compound (recursively), or ``()`` when the word is not one."""
    if language != "nl" or len(word) < MIN_LENGTH or not word.isalpha():
        return ()
    from wordfreq import zipf_frequency

    if zipf_frequency(word, "nl") >= MAX_WORD_ZIPF:
        return ()
    best: tuple[float, str, str] | None = None
    for i in range(MIN_PART, len(word) - MIN_PART + 1):
        left, right = word[:i], word[i:]
        right_zipf = zipf_frequency(right, "nl")
        if right_zipf < MIN_PART_ZIPF:
            continue
        bases = [left] + [left[: -len(linker)] for linker in LINKERS if left.endswith(linker)]
        for base in bases:
            if len(base) < MIN_PART:
                continue
            base_zipf = zipf_frequency(base, "nl")
            score = min(base_zipf, right_zipf) + 0.01 * base_zipf  # ties: the linker-free base ("oorlog")
            if min(base_zipf, right_zipf) >= MIN_PART_ZIPF and (best is None or score > best[0]):
                best = (score, base, right)
    if best is None:
        return ()
    _, left, right = best
    return (*(split_compound(left) or (left,)), *(split_compound(right) or (right,)))
