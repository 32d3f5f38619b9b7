"""Which of a claim's words a passage must contain to support it.

Every content word of a claim weighs in its coverage by how much it says (its specificity,
from its frequency: ``service.engine.words.specificity``). Only some may also *block* support when a
passage has no counterpart for them:

* not a comparison word ("less", "top", "meer", "hoogste"): the bound or rank it expresses is
  checked with the figure it qualifies (the approximators of the lexicon) or not at all; a
  source that gives "$127 million" never says "less";
* not one of the most frequent words of its language (Zipf frequency 5.5 or more, about the
  1,000 most frequent words: "people", "number", "called", "mensen", "gaan"): they say too
  little to be demanded, and still count, lightly, in the coverage; words of time ("week",
  "May", "maandag") stay required, since when something happened is a fact of the claim;
* across languages a claim word is never looked for literally: its counterpart is the passage
  word nearest in meaning by the encoder's word vectors (``service.engine.words``), so an English
  claim's words are found in a Dutch passage and the other way round (tested in
  tests/service/engine/test_informative.py). Reading translations on a lower similarity scale
  was tried and let unrelated words pass as counterparts on the seed corpus (docs/verdicts.md).
"""

from __future__ import annotations

from functools import cache, lru_cache

from service.engine.analysis.lexicon import lexicon

# Zipf frequency from which a word is among a language's ~1,000 most frequent (wordfreq).
FREQUENT_ZIPF = 5.5
# Comparison and rank words of both languages that the lexicon's approximators (words before a
# figure: "more than", "ten minste") do not already list.
COMPARISON_WORDS = frozenset(
    {
        *("more", "less", "fewer", "most", "least", "than", "over", "under", "above", "below"),
        *("higher", "lower", "highest", "lowest", "larger", "largest", "smaller", "smallest"),
        *("bigger", "biggest", "greater", "greatest", "best", "worst", "top", "bottom"),
        *("exceed", "exceeded", "exceeds", "exceeding", "nearly", "almost", "roughly"),
        *("meer", "minder", "meest", "minst", "dan", "boven", "onder", "ruim", "bijna"),
        *("hoger", "lager", "hoogste", "laagste", "groter", "grootste", "kleiner", "kleinste"),
        *("beste", "slechtste", "top", "overschreden", "overschrijdt"),
    }
)


@cache
def comparison_words() -> frozenset[str]:
    """Comparison words: the list above and every word of the lexicon's approximators."""
    from_lexicon = {word for phrase in lexicon().approximators for word in phrase.split()}
    return frozenset(COMPARISON_WORDS | from_lexicon)


@cache
def time_words() -> frozenset[str]:
    """Units of time, months and weekdays (the lexicon's), which stay required even when frequent."""
    lex = lexicon()
    return frozenset({*lex.time_units, *lex.months, *lex.weekdays})


@lru_cache(maxsize=200_000)
def may_block(word: str, language: str) -> bool:
    """May a passage's lack of this (folded) claim word keep it from supporting the claim?"""
    from wordfreq import zipf_frequency

    if word in comparison_words():
        return False
    if word in time_words():
        return True  # "deze week", "in May": when is a fact of the claim, however common the word
    lang = language if language in {"nl", "en"} else "en"
    return zipf_frequency(word, lang) < FREQUENT_ZIPF
