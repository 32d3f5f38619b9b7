"""Every threshold of the stance rules and the verdict, once, each with why it is where it is.

``docs/verdicts.md`` explains the rules and points here for the figures. Similarities are
cosines of the bundled sentence encoder; coverages are shares of the claim's names and content
words (weighted by how much they say) that a passage covers.
"""

from __future__ import annotations

# -- similarity floors -------------------------------------------------------------------------
MIN_SIMILARITY = 0.20  # below this a passage is not about the claim at all: nothing is decided
CONFLICT_SIMILARITY = 0.25  # a differing value conflicts only in a passage at least this close
SUPPORT_SIMILARITY_NO_VALUES = 0.45  # no figure, place or year to check: the sentence itself must be close
ECHO_SIMILARITY = 0.30  # ... unless the passage itself echoes all of the claim (ECHO_COVERAGE): a long sentence
SUPPORT_SENTENCE = 0.55  # this close as a sentence, the passage says what happened without every word
POLARITY_SIMILARITY = 0.45  # a negation contradicts only a passage close to the claim as a whole
CONTENT_ANCHOR_SIMILARITY = 0.5  # with CONTENT_ANCHOR_COVERAGE: the same event but for one value
MEASURE_SUBJECT_SIMILARITY = CONFLICT_SIMILARITY  # the same measure of the claim's named subject: any related sentence
DENIAL_SIMILARITY = SUPPORT_SENTENCE  # a denial not echoing every word: as close as a sentence saying it
EVIDENTIAL_SIMILARITY = 0.40  # "there is no evidence that P" speaks of P itself: closer than a related sentence

# -- coverage of the claim ----------------------------------------------------------------------
SUPPORT_COVERAGE = 0.6  # names and words a supporting passage (with its context) must cover
ECHO_COVERAGE = 0.95  # a passage that covers this much of the claim by itself echoes it (ECHO_SIMILARITY)
SUPPORT_WORDS = 0.5  # content words the passage itself must cover to say what happened
WORDS_PER_CONFIRMED_FACT = 0.05  # each further confirmed value lowers SUPPORT_WORDS by this
POLARITY_COVERAGE = 0.7  # a polarity conflict needs more of the claim than support: a negation is one word
POLARITY_WORDS = 0.5  # ... and this much of its content words in the passage itself
DENIAL_WORDS = 0.6  # a denial leaving some words unechoed must still cover most of the claim's informative words
EVIDENTIAL_COVERAGE = 0.5  # ... and covers at least half of the claim, its subject included
CONFLICT_COVERAGE = 0.45  # a value conflict needs the same kind of thing (US soldiers, not US civilians)
ACTOR_ANCHOR_COVERAGE = 0.75  # the same actor ties two events only with most of the claim covered
CONTENT_ANCHOR_COVERAGE = 0.85  # a passage covering all of the claim but one value is about its event

# -- values ---------------------------------------------------------------------------------------
SAME_SCALE_RATIO = 20  # figures further apart are different groups unless a place or year ties them

# -- word matching ----------------------------------------------------------------------------------
# Word similarity mapped to coverage: related but different words ("leave" / "sturen") score ~0.5
WORD_FLOOR = 0.45  # at or below: no cover
WORD_FULL = 0.75  # at or above: full cover
NAME_WEIGHT = 4.0  # a name weighs as much as a rare word (see service.engine.words.specificity)
CONTEXT_FACTOR = 0.8  # a name or word found only in the sentences around a passage counts this much

# -- scores -----------------------------------------------------------------------------------------
HEDGE_FACTOR = 0.85  # a hedged passage ("zouden", "reportedly") decides at this share of its score

# -- sources and the verdict (service.engine.verdict) -------------------------------------------------
MIXED_MARGIN = 0.10  # a source with both sides takes the stronger only when it is this much stronger
NEE_FLOOR = 0.5  # "not enough evidence" is never less sure than this: the corpus does not speak to it
COPY_WEIGHT = 0.1  # a copy of a report (index.families) is another outlet carrying it, not a second witness
