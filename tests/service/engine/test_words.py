"""Word coverage: the batched path must give what one sentence at a time gives."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from service.engine.words import ClaimWords, WordMatcher, lexical_similarity

FLOOR, FULL = 0.45, 0.75


def claim_words() -> ClaimWords:
    rng = np.random.default_rng(3)
    vocabulary = [f"w{i}" for i in range(40)]
    scores = rng.uniform(0.0, 1.0, size=(4, len(vocabulary))).astype(np.float32)
    return ClaimWords(["a", "b", "c", "d"], {w: j for j, w in enumerate(vocabulary)}, scores)


def one_at_a_time(words: ClaimWords, sentence: tuple[str, ...]) -> np.ndarray:
    columns = [words._column[w] for w in sentence if w in words._column]
    if not columns:
        return np.zeros(len(words.words), dtype=np.float32)
    ratio = (words._scores[:, columns] - FLOOR) / (FULL - FLOOR)
    return np.clip(ratio, 0.0, 1.0).max(axis=1)


SENTENCES = [("w1", "w7"), ("w3",), ("unknown",), (), ("w1", "w7"), ("w39", "w0", "w12", "unknown")]


def test_covers_of_many_sentences_equal_single_sentence_covers() -> None:
    words = claim_words()
    covers = words.cover(SENTENCES, FLOOR, FULL)
    assert covers.shape == (len(SENTENCES), 4)
    for sentence, row in zip(SENTENCES, covers, strict=True):
        np.testing.assert_array_equal(row, one_at_a_time(words, sentence))
        np.testing.assert_array_equal(claim_words().cover([sentence], FLOOR, FULL)[0], row)


def one_candidate(words: ClaimWords, candidate: Sequence[tuple[str, ...]], factor: float) -> tuple[object, object]:
    """A candidate's covers (alone, with its context) computed the plain way, each sum by itself."""

    def summed(row: np.ndarray) -> tuple[float, tuple[str, ...]]:
        total = np.float32(0.0)
        for weight, value in zip(words.weights, row, strict=True):  # word by word, in float32
            total = np.float32(total + weight * value)
        return float(total), tuple(w for w, v in zip(words.words, row, strict=True) if v <= 0.0)

    alone = one_at_a_time(words, candidate[0])
    if len(candidate) == 1:
        return summed(alone), summed(alone)
    around = np.max([one_at_a_time(words, s) for s in candidate[1:]], axis=0)
    return summed(alone), summed(np.maximum(alone, factor * around))


def test_candidates_covered_together_equal_each_covered_alone_bit_for_bit() -> None:
    """A claim's candidates share sentences and are covered in one go; each must come out exactly
    as when covered alone, or a claim's stance would depend on the others it is checked with."""
    words = claim_words()
    words.weights = np.array([1.0, 2.0, 0.5, 4.0], dtype=np.float32)
    candidates = [
        [("w1", "w7"), ("w3",), ("w39", "w0")],
        [("w3",), ("w1", "w7")],  # the first one's context, as a candidate of its own
        [("unknown",)],  # no context
        [(), ("w5",)],
        [("w1", "w7"), ("unknown",), (), ("w12", "w2", "w30")],
    ]
    together = words.covers(candidates, FLOOR, FULL, 0.8)
    for candidate, found in zip(candidates, together, strict=True):
        assert found == one_candidate(words, candidate, 0.8)  # == on the floats: no tolerance
        assert words.covers([candidate], FLOOR, FULL, 0.8) == [found]
    (alone, with_context), _, (no_words, _), _, _ = together
    assert with_context[0] > alone[0]  # the sentences around cover more
    assert no_words == (0.0, ("a", "b", "c", "d"))
    assert words.covers([], FLOOR, FULL, 0.8) == []


def test_a_long_claim_sums_each_candidate_as_when_covered_alone() -> None:
    """Ten claim words (a reduction along a row may sum ten values pairwise) and enough candidates
    that rows come in blocks: still each sum is the one the candidate gets alone."""
    rng = np.random.default_rng(5)
    vocabulary = [f"w{i}" for i in range(60)]
    scores = rng.uniform(0.0, 1.0, size=(10, len(vocabulary))).astype(np.float32)
    weights = rng.uniform(0.5, 5.0, size=10).astype(np.float32)
    words = ClaimWords([f"c{i}" for i in range(10)], {w: j for j, w in enumerate(vocabulary)}, scores, weights)
    candidates = [
        [tuple(rng.choice(vocabulary, size=rng.integers(1, 9))) for _ in range(rng.integers(1, 4))] for _ in range(37)
    ]
    together = words.covers(candidates, FLOOR, FULL, 0.8)
    for candidate, found in zip(candidates, together, strict=True):
        assert found == one_candidate(words, candidate, 0.8)
        assert words.covers([candidate], FLOOR, FULL, 0.8) == [found]


def test_a_claim_without_content_words_covers_nothing() -> None:
    words = WordMatcher().for_claim([], ["troepen"])
    assert words.cover([("troepen",)], FLOOR, FULL).shape == (1, 0)
    assert words.covers([[("troepen",), ("brug",)]], FLOOR, FULL, 0.8) == [((0.0, ()), (0.0, ()))]


def test_spelling_alone_links_cognates_and_lemmas() -> None:
    assert lexical_similarity("invasion", "invasie") >= FULL
    assert lexical_similarity("troops", "Romania") == 0.0
    words = WordMatcher().for_claim(["invasion", "troops"], ["invasie", "bruggen"])
    assert words.cover([("invasie",)], FLOOR, FULL).tolist() == [[1.0, 0.0]]


class OneHotEmbedder:
    """Each word its own axis, so two words are similar only when they are the same word."""

    model_id, dimension = "one-hot", 64

    def __init__(self) -> None:
        self.axes: dict[str, int] = {}

    def encode(self, texts: Sequence[str], *, batch_size: int = 256, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i, self.axes.setdefault(text, len(self.axes) % self.dimension)] = 1.0
        return out


def test_cached_vectors_survive_eviction_of_the_oldest_words() -> None:
    matcher = WordMatcher(OneHotEmbedder(), cache_words=8)
    for batch in (["a", "b", "c", "d"], ["e", "f", "g", "h"], ["i", "j"]):
        matcher.prepare(batch)
    assert matcher.missing(["a", "b", "c"]) == ["a", "b", "c"]  # the oldest went
    assert matcher.missing(["e", "f", "g", "h", "i", "j"]) == []  # the newest stayed
    words = matcher.for_claim(["j", "f"], ["f", "h", "j"])
    np.testing.assert_array_equal(words._scores, [[1, 0, 0], [0, 1, 0]])


def test_words_under_one_lexicon_concept_stand_for_each_other() -> None:
    matcher = WordMatcher(OneHotEmbedder(), concepts={"leider": "leader", "chef": "leader", "troepen": "troops"})
    matcher.prepare(["leider", "chef", "troepen", "brug"])
    words = matcher.for_claim(["leider"], ["chef", "troepen", "brug"])
    assert words._scores.tolist() == [[1.0, pytest.approx(0.9), 0.0, 0.0]]
    spelling_only = WordMatcher(concepts={"leider": "leader", "chef": "leader"}).for_claim(["leider"], ["chef", "brug"])
    assert spelling_only._scores.tolist() == [[1.0, pytest.approx(0.9), 0.0]]


class _OneMeaning:
    """Every word means the same: only spelling can tell two words apart."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.ones((len(texts), 4), dtype=np.float32) / 2.0


def test_a_literal_word_is_found_by_its_spelling_only() -> None:
    """A name kept as a word ("Sberbank" opening a claim) is not found in "banken" however close
    the two are by meaning; the claim's other words still are."""
    matcher = WordMatcher(_OneMeaning())  # type: ignore[arg-type]
    matcher.prepare(["sberbank", "cut", "banken", "afgesloten"])
    words = matcher.for_claim(["sberbank", "cut"], ["banken", "afgesloten", "sberbank"], literal=[True, False])
    (by_meaning, by_spelling) = words.cover([("banken", "afgesloten"), ("sberbank",)], FLOOR, FULL)
    assert by_meaning.tolist() == [0.0, 1.0]
    assert by_spelling.tolist() == [1.0, 1.0]
