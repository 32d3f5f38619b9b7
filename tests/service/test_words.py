"""Word coverage: the batched path must give what one sentence at a time gives."""

from __future__ import annotations

import numpy as np
import pytest

from service.words import ClaimWords, WordMatcher, lexical_similarity

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


def test_primed_covers_equal_single_sentence_covers() -> None:
    sentences = [("w1", "w7"), ("w3",), ("unknown",), (), ("w1", "w7"), ("w39", "w0", "w12", "unknown")]
    primed = claim_words()
    primed.prime(sentences, FLOOR, FULL)
    for sentence in sentences:
        expected = one_at_a_time(primed, sentence)
        np.testing.assert_array_equal(primed.cover(sentence, FLOOR, FULL), expected)
        np.testing.assert_array_equal(claim_words().cover(sentence, FLOOR, FULL), expected)


def test_cached_covers_are_read_only() -> None:
    words = claim_words()
    words.prime([("w1",), ("unknown",)], FLOOR, FULL)
    for sentence in [("w1",), ("unknown",)]:
        with pytest.raises(ValueError):
            words.cover(sentence, FLOOR, FULL)[0] = 1.0


def test_a_claim_without_content_words_covers_nothing() -> None:
    words = WordMatcher().for_claim([], ["troepen"])
    words.prime([("troepen",)], FLOOR, FULL)
    assert words.cover(("troepen",), FLOOR, FULL).shape == (0,)


def test_spelling_alone_links_cognates_and_lemmas() -> None:
    assert lexical_similarity("invasion", "invasie") >= FULL
    assert lexical_similarity("troops", "Romania") == 0.0
    words = WordMatcher().for_claim(["invasion", "troops"], ["invasie", "bruggen"])
    assert words.cover(("invasie",), FLOOR, FULL).tolist() == [1.0, 0.0]
