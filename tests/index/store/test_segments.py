"""Vector segments: id-to-row lookups and the flat segments searched together."""

from __future__ import annotations

import numpy as np
import pytest

from index.store.faiss import segments as seg
from index.store.faiss.segments import Segment


def segment(ids: list[int] | np.ndarray, number: int = 1, seed: int = 0, dimension: int = 8) -> Segment:
    ids = np.asarray(ids, dtype=np.int64)
    vectors = np.random.default_rng(seed).standard_normal((len(ids), dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return Segment.create(number, ids, ids // 10, vectors, None)


def reference_rows(ids: np.ndarray, needles: np.ndarray) -> np.ndarray:
    where = {int(pid): row for row, pid in enumerate(ids.tolist())}
    return np.asarray([where.get(int(n), -1) for n in needles], dtype=np.int64)


@pytest.mark.parametrize(
    "ids",
    [
        np.arange(100, 1100),  # contiguous: no table
        np.setdiff1d(np.arange(100, 1100), np.arange(150, 1100, 7)),  # gaps: a table over the span
        np.arange(100, 1100) * 50,  # too sparse for a table: binary search
        np.asarray([5]),
    ],
    ids=["contiguous", "gaps", "sparse", "one"],
)
def test_rows_match_a_plain_lookup_for_every_kind_of_id_set(ids: np.ndarray) -> None:
    one = segment(ids)
    rng = np.random.default_rng(1)
    needles = np.concatenate(
        [rng.choice(ids, 300), rng.integers(0, int(ids[-1]) + 200, 300), [0, -1, int(ids[0]) - 1, int(ids[-1]) + 1]]
    ).astype(np.int64)
    assert np.array_equal(one.rows(needles), reference_rows(ids, needles))
    assert np.array_equal(one.rows(np.empty(0, np.int64)), np.empty(0, np.int64))


def test_rows_kind_follows_the_id_span() -> None:
    assert segment(np.arange(10, 20)).table is None
    gapped = segment([10, 12, 13, 19])
    assert gapped.table is not None and len(gapped.table) == 10
    sparse = segment([10, 1_000, 100_000])
    assert sparse.table is not None and not len(sparse.table)


def test_tombstoned_copies_keep_the_lookup() -> None:
    one = segment([10, 12, 13, 19])
    dead = one.with_tombstones(np.asarray([12, 99], dtype=np.int64))
    assert dead.dead is not None and dead.dead.tolist() == [False, True, False, False]
    assert dead.table is one.table and dead.first == one.first
    assert dead.rows(np.asarray([19, 12, 11], dtype=np.int64)).tolist() == [3, 1, -1]
    assert dead.with_tombstones(np.asarray([99], dtype=np.int64)).dead is None


def one_by_one(
    segments: list[Segment], query: np.ndarray, k: int, masks: list[np.ndarray | None]
) -> list[tuple[float, int, int]]:
    """What searching each segment on its own and merging gave: (score, id, src), live and allowed only."""
    found = []
    for one, mask in zip(segments, masks, strict=True):
        scores, ids, src = one.search(query[None, :], min(k, one.size), mask, seg.NPROBE)
        found += [(s, i, c) for s, i, c in zip(scores[0], ids[0], src[0], strict=True) if np.isfinite(s)]
    return sorted(found, key=lambda t: (-t[0], -t[1]))[:k]


@pytest.mark.parametrize("k", [5, 40, 1000])
def test_flat_segments_searched_together_find_what_each_search_found(k: int) -> None:
    segments = [
        segment(np.arange(start, start + 30), number, seed=number) for number, start in enumerate(range(0, 300, 30))
    ]
    segments[2] = segments[2].with_tombstones(segments[2].ids)  # all dead: not read
    segments[3] = segments[3].with_tombstones(segments[3].ids[::2])
    masks: list[np.ndarray | None] = [None] * len(segments)
    masks[4] = segments[4].src != segments[4].src[0]  # a source filter
    masks[5] = np.zeros(segments[5].size, dtype=np.bool_)  # nothing allowed
    queries = np.random.default_rng(9).standard_normal((3, 8)).astype(np.float32)
    scores, ids, src = seg.search_flat(segments, queries, k, masks)
    assert scores.shape == ids.shape == src.shape and scores.shape[1] <= max(k, 300)
    for row, query in enumerate(queries):
        keep = np.isfinite(scores[row])
        together = sorted(
            zip(scores[row][keep], ids[row][keep], src[row][keep], strict=True), key=lambda t: (-t[0], -t[1])
        )
        expected = one_by_one(segments, query, k, masks)
        assert [(i, c) for _, i, c in together[:k]] == [(i, c) for _, i, c in expected]
        # the same scores, bit for bit
        assert np.array_equal([s for s, _, _ in together[:k]], [s for s, _, _ in expected])
        dead = set(segments[2].ids.tolist()) | set(segments[3].ids[::2].tolist()) | set(segments[5].ids.tolist())
        assert not dead & set(ids[row][keep].tolist())


def test_flat_search_of_nothing_live_is_empty() -> None:
    one = segment(np.arange(10))
    scores, ids, src = seg.search_flat([one.with_tombstones(one.ids)], np.ones((2, 8), np.float32), 5, [None])
    assert scores.shape == ids.shape == src.shape == (2, 0)


def test_serial_blas_restores_the_thread_count() -> None:
    libraries = seg._blas_libraries()
    before = [library.get_num_threads() for library in libraries]
    with seg.serial_blas():
        assert all(library.get_num_threads() == 1 for library in libraries)
    with seg.serial_blas(False):
        assert [library.get_num_threads() for library in libraries] == before
    assert [library.get_num_threads() for library in libraries] == before
