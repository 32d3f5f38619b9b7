"""bench.scale's recall of the passages the verifier reads, on a corpus whose cuts fall in ties."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench import scale


def test_an_exact_store_reads_everything_it_should_when_sources_tie(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    sources = 2 * scale.MAX_SOURCES
    vectors = rng.standard_normal((sources * scale.PER_DOCUMENT, 16)).astype(np.float32)
    vectors[:: scale.PER_DOCUMENT] = vectors[0]  # every source opens with the same sentence: its best, tied
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = [f"zin {i}" for i in range(len(vectors))]
    store = scale.build(tmp_path / "tied", texts, vectors, model="fake")  # small: searched exactly
    query = vectors[0] + 0.05 * rng.standard_normal(16).astype(np.float32)
    query /= np.linalg.norm(query)
    figures = scale.measure_recall(store, vectors, query[None, :])
    store.close()
    assert figures["recall_at_10"] == 1.0
    assert figures["recall_read"] == 1.0  # exact search loses nothing; a tie-break is not a miss
    assert figures["recall_read_legacy"] < 1.0  # the earlier measure counted the store's tie-break as misses
