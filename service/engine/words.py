"""How well one word stands for another, across Dutch and English.

The bundled USE model embeds single words well enough to align translations
("demands"/"eisen" 0.81, "troops"/"militairen" 0.73, unrelated pairs below
0.35), which is what lets an English claim's content be found in a Dutch
passage without a dictionary. Word vectors are cached: a corpus has a bounded
vocabulary, so after warm-up only a new claim's own words are embedded, in the
same encoder call as the claim itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz

from index.embedding import Embedder

# Cached word vectors; 512 float32 each, so 50,000 words take 100 MB.
CACHE_WORDS = 50_000
CONCEPT_SIMILARITY = 0.9


@lru_cache(maxsize=200_000)
def lemmas(word: str) -> frozenset[str]:
    """The word's lemmas as Dutch and as English ("sent" -> "send", "gestuurd" -> "sturen")."""
    import simplemma

    return frozenset({word} | {simplemma.lemmatize(word, lang=lang).replace("_", "").lower() for lang in ("nl", "en")})


def lexical_similarity(a: str, b: str) -> float:
    """Similarity from spelling alone: identical, same lemma, shared stem, cognate or compound part."""
    if a == b or not lemmas(a).isdisjoint(lemmas(b)):
        return 1.0
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= 5 and longer.startswith(shorter):
        return 0.85  # "annex" / "annexeerde", "cyber" / "cyberaanvallen"
    prefix = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        prefix += 1
    if prefix >= 5 and prefix >= 0.6 * len(shorter):
        return 0.8  # "invasion" / "invasie", "stationed" / "gestationeerd" fails, by design
    ratio = fuzz.ratio(a, b) / 100
    return ratio if ratio >= 0.85 else 0.0


class _WordTable:
    """Word vectors in one growing matrix, so a claim's vocabulary is one gather, not a stack
    of hundreds of small arrays; each row also carries its word's lexicon concept."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.rows: dict[str, int] = {}
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.concepts = np.zeros(0, dtype=np.int32)  # index into ``names``, -1 for none
        self.names: dict[str, int] = {}

    def add(self, words: Sequence[str], vectors: NDArray[np.float32], concepts: Sequence[str | None]) -> None:
        for word, vector, concept in zip(words, vectors, concepts, strict=True):
            row = self.rows.get(word)
            if row is None:
                row = self.rows[word] = len(self.rows)
                if row >= len(self.matrix):
                    self._grow(vector.shape[0])
            self.matrix[row] = vector
            self.concepts[row] = -1 if concept is None else self.names.setdefault(concept, len(self.names))
        if len(self.rows) > self.limit:
            self._keep_newest(self.limit * 3 // 4)

    def lookup(self, words: Sequence[str]) -> NDArray[np.intp] | None:
        """Rows of ``words``, or None when any of them has no vector."""
        rows = self.rows
        if any(w not in rows for w in words):
            return None
        return np.fromiter((rows[w] for w in words), dtype=np.intp, count=len(words))

    def _grow(self, dimension: int) -> None:
        capacity = max(1024, 2 * len(self.matrix))
        matrix = np.zeros((capacity, dimension), dtype=np.float32)
        if len(self.matrix):
            matrix[: len(self.matrix)] = self.matrix
        concepts = np.full(capacity, -1, dtype=np.int32)
        concepts[: len(self.concepts)] = self.concepts
        self.matrix, self.concepts = matrix, concepts

    def _keep_newest(self, keep: int) -> None:
        """Rows are handed out in insertion order, so the newest words are the last entries: move them up."""
        newest = list(self.rows.items())[-keep:]
        old = np.fromiter((row for _, row in newest), dtype=np.intp, count=len(newest))
        self.matrix[: len(old)] = self.matrix[old]
        self.concepts[: len(old)] = self.concepts[old]
        self.rows = {word: i for i, (word, _) in enumerate(newest)}


class WordMatcher:
    """Word-to-word similarity: the best of spelling and (when a model is given) embeddings."""

    def __init__(
        self,
        embedder: Embedder | None = None,
        cache_words: int = CACHE_WORDS,
        concepts: dict[str, str] | None = None,
    ) -> None:
        self.embedder = embedder
        self.concepts = concepts or {}
        self._concept_of: dict[str, str | None] = {}
        self._table = _WordTable(cache_words)
        self._lock = threading.Lock()

    def missing(self, words: Iterable[str]) -> list[str]:
        """Words without a cached vector (what the next encoder call should include)."""
        if self.embedder is None:
            return []
        with self._lock:
            return sorted({w for w in words if w not in self._table.rows})

    def remember(self, words: Sequence[str], vectors: NDArray[np.float32]) -> None:
        concepts = [self.concept(w) for w in words]
        with self._lock:
            self._table.add(words, vectors, concepts)

    def prepare(self, words: Iterable[str]) -> None:
        """Embed whatever words are not cached yet (one encoder call)."""
        todo = self.missing(words)
        if todo and self.embedder is not None:
            self.remember(todo, self.embedder.encode(todo))

    def for_claim(
        self,
        claim_words: Sequence[str],
        vocabulary: Iterable[str],
        weights: Sequence[float] | None = None,
        required: Sequence[bool] | None = None,
        literal: Sequence[bool] | None = None,
    ) -> ClaimWords:
        """Similarities of a claim's words to every word it will be compared with, computed once.

        One small matrix product per claim instead of one per passage: each passage's
        coverage is then an index lookup. ``literal`` words (names) are compared by spelling
        alone (:func:`lexical_similarity`).
        """
        weight_of = dict(zip(claim_words, weights, strict=True)) if weights is not None else {}
        required_of = dict(zip(claim_words, required, strict=True)) if required is not None else {}
        literal_words = {w for w, flag in zip(claim_words, literal or [False] * len(claim_words), strict=True) if flag}
        claim_words = list(dict.fromkeys(claim_words))
        vocab = list(dict.fromkeys([*claim_words, *vocabulary]))
        column = {word: j for j, word in enumerate(vocab)}
        semantic = self._semantic(claim_words, vocab) if claim_words else None
        if semantic is None:  # no model (unit tests), or words not prepared: spelling only
            scores = np.array([[lexical_similarity(a, b) for b in vocab] for a in claim_words], dtype=np.float32)
            scores = scores.reshape(len(claim_words), len(vocab))
            names: dict[str, int] = {}
            codes = np.array([-1 if (k := self.concept(w)) is None else names.setdefault(k, len(names)) for w in vocab])
        else:
            scores, codes, names = semantic
        # words the lexicon files under one concept ("head", "chef", "leider") stand for each other
        for i, word in enumerate(claim_words):
            if word in literal_words:
                scores[i] = [lexical_similarity(word, other) for other in vocab]
                continue
            concept = self.concept(word)
            if concept is not None and concept in names:
                same = codes == names[concept]
                scores[i, same] = np.maximum(scores[i, same], CONCEPT_SIMILARITY)
        word_weights = np.array([weight_of.get(w, 1.0) for w in claim_words], dtype=np.float32)
        demanded = np.array([required_of.get(w, True) for w in claim_words], dtype=np.bool_)
        # a word listed twice weighs once, so its weight is read per word (as word_weights above)
        bonus = {w: weight_of.get(w, 1.0) for w in claim_words if w in literal_words}
        return ClaimWords(claim_words, column, scores, word_weights, demanded, bonus)

    def concept(self, word: str) -> str | None:
        """The lexicon concept a word (or one of its lemmas) belongs to."""
        if word in self._concept_of:
            return self._concept_of[word]
        found = self.concepts.get(word)
        if found is None and self.concepts:
            found = next((self.concepts[lemma] for lemma in lemmas(word) if lemma in self.concepts), None)
        self._concept_of[word] = found
        return found

    def _semantic(
        self, claim_words: Sequence[str], passage_words: Sequence[str]
    ) -> tuple[NDArray[np.float32], NDArray[np.int32], dict[str, int]] | None:
        """Cosine matrix from cached vectors, and the vocabulary's concept codes; identical words
        score 1 and cognates high, so spelling adds nothing once vectors exist."""
        if self.embedder is None:
            return None
        table = self._table
        with self._lock:
            left, right = table.lookup(claim_words), table.lookup(passage_words)
            if left is None or right is None:
                return None
            a, b, codes, names = table.matrix[left], table.matrix[right], table.concepts[right], dict(table.names)
        product: NDArray[np.float32] = np.matmul(a, b.T)
        return product, codes, names


WordCover = tuple[float, tuple[str, ...]]  # a cover's weighted sum, and the claim words it leaves at 0


class ClaimWords:
    """A claim's content words with their similarity to a vocabulary (see :meth:`WordMatcher.for_claim`)."""

    def __init__(
        self,
        words: list[str],
        column: dict[str, int],
        scores: NDArray[np.float32],
        weights: NDArray[np.float32] | None = None,
        required: NDArray[np.bool_] | None = None,
        bonus: dict[str, float] | None = None,
    ) -> None:
        self.words = words
        # words that count only where they are found, with their weight (names kept as words,
        # ``literal`` in :meth:`WordMatcher.for_claim`): a passage that leaves one out is judged as
        # if the claim had not said it, since the name itself is checked as a name
        self.bonus = bonus or {}
        self.weights = weights if weights is not None else np.ones(len(words), dtype=np.float32)
        # words whose absence is a gap (service.engine.informative): the others only weigh in the sum
        self.required = required if required is not None else np.ones(len(words), dtype=np.bool_)
        self.total_weight = float(self.weights.sum())
        self._column = column
        self._scores = scores
        self._scaled: dict[tuple[float, float], NDArray[np.float32]] = {}

    def cover(self, sentences: Sequence[Sequence[str]], floor: float, full: float) -> NDArray[np.float32]:
        """How far each sentence (its words) covers each claim word: a row per sentence, a column
        per claim word; 0 up to similarity ``floor``, 1 from ``full``, linear between, by the
        word's best match in the sentence (0 throughout for a sentence with no known word).

        The scale is monotonic, so it is applied once to the whole matrix and the best match
        taken after it; all the sentences in one gather and one segmented max.
        """
        covers = np.zeros((len(sentences), len(self.words)), dtype=np.float32)
        columns = [[self._column[w] for w in s if w in self._column] for s in sentences] if self.words else []
        known = [i for i, cols in enumerate(columns) if cols]
        if not known:
            return covers
        flat, starts = _segments([columns[i] for i in known])
        # max is exact, so each row equals ``scaled[:, cols].max(axis=1)`` bit for bit
        covers[known] = np.maximum.reduceat(self._scaled_scores(floor, full)[:, flat], starts, axis=1).T
        return covers

    def covers(
        self, candidates: Sequence[Sequence[Sequence[str]]], floor: float, full: float, factor: float
    ) -> list[tuple[WordCover, WordCover]]:
        """How far each candidate covers the claim's words: by the passage alone, and with the
        sentences around it. A candidate is the passage's words, then each surrounding sentence's.

        Alone, a word is covered as :meth:`cover` has it; with the sentences around, by the better
        of that and ``factor`` times its best cover in one sentence around (per sentence, not the
        context as a whole). Each cover comes as its weighted sum and the words it leaves at 0.

        All of a claim's candidates at once, each sentence once (neighbouring candidates share
        their sentences): a few array operations for the lot, where one candidate at a time cost
        a dozen small ones each. Every value is what one candidate alone gives, bit for bit: max
        is exact, the discount the same float32 product, and each sum the same dot product of one row.
        """
        index: dict[tuple[str, ...], int] = {}
        rows = [[index.setdefault(tuple(s), len(index)) for s in candidate] for candidate in candidates]
        if not rows:
            return []
        sentences = self.cover(list(index), floor, full)
        alone = sentences[[r[0] for r in rows]]
        around = [i for i, r in enumerate(rows) if len(r) > 1]
        nearby = alone[around]
        if around:
            flat, starts = _segments([rows[i][1:] for i in around])
            best = np.maximum.reduceat(sentences[flat], starts, axis=0)
            # the discount commutes with the max: max(f*a, f*b) == f*max(a, b), rounding included
            nearby = np.maximum(nearby, factor * best)
        own = self._sums(alone)
        found = [(cover, cover) for cover in own]
        for i, cover in zip(around, self._sums(nearby), strict=True):
            found[i] = (own[i], cover)
        return found

    def _sums(self, covers: NDArray[np.float32]) -> list[WordCover]:
        """Each row's weighted sum and the required claim words it leaves at 0, for all rows at once.

        The sum runs word by word down the columns, in float32, so a row's sum is the same
        whatever rows come with it (a candidate covered with the others or alone; a reduction
        along the rows may sum a long row pairwise). One array operation a claim word, where a
        dot product a row took a numpy call each (~50 a claim).
        """
        words = self.words
        products = covers * self.weights
        totals = np.zeros(len(covers), dtype=np.float32)
        for j in range(len(words)):
            totals += products[:, j]
        return [
            (total, tuple(w for w, gap in zip(words, gaps, strict=True) if gap) if any(gaps) else ())
            for total, gaps in zip(totals.tolist(), ((covers <= 0.0) & self.required).tolist(), strict=True)
        ]

    def _scaled_scores(self, floor: float, full: float) -> NDArray[np.float32]:
        scaled = self._scaled.get((floor, full))
        if scaled is None:
            ratio = (self._scores - floor) / (full - floor)
            scaled = self._scaled[(floor, full)] = np.minimum(np.maximum(ratio, 0.0), 1.0).astype(np.float32)
        return scaled


def _segments(groups: Sequence[Sequence[int]]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Non-empty groups of indices as one flat index and each group's start in it, for a
    ``reduceat`` that reduces every group in one call."""
    lengths = np.fromiter((len(g) for g in groups), dtype=np.int64, count=len(groups))
    starts = np.zeros(len(groups), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    flat = np.fromiter((i for g in groups for i in g), dtype=np.int64, count=int(lengths.sum()))
    return flat, starts


# How much a word says, from its Zipf frequency in its language (wordfreq): "country"
# (5.6) says less than "demands" (4.3) or "invasion" (4.0). Unknown words weigh most.
SPECIFICITY_CEILING, SPECIFICITY_MIN, SPECIFICITY_MAX = 7.5, 0.5, 5.0


@lru_cache(maxsize=200_000)
def specificity(word: str, language: str = "en") -> float:
    """An IDF stand-in that needs no corpus statistics: 7.5 minus the word's Zipf frequency."""
    from wordfreq import zipf_frequency

    lang = language if language in {"nl", "en"} else "en"
    return min(SPECIFICITY_MAX, max(SPECIFICITY_MIN, SPECIFICITY_CEILING - zipf_frequency(word, lang)))
