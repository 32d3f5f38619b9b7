"""Immutable vector segments: the vectors of one write (or one merge), searched exactly or by IVF.

A segment is three ``.npy`` files: ``ids`` (sorted passage ids), ``src`` (the
source key of each row, for filters and per-source grouping) and ``vec`` (the
L2-normalised float32 vectors, memory-mapped so that opening costs nothing and only
the rows a search touches are read). A large segment also has an ``.ivf`` file, an
inverted-file index with 8-bit scalar-quantised codes (a quarter of the vectors' size),
memory-mapped as well (``IO_FLAG_MMAP_IFC``), so opening reads none of them. Its search
ranks candidates by their SQ8 scores; the store re-scores with the exact vectors only the
candidates that can still be returned (``RESCORE_MARGIN``), so every similarity a search
returns is the exact cosine, whichever path found it, and a query reads a few hundred
vector rows rather than every candidate's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from index.errors import IndexCorruptError

# Query-vector comparisons below which a search runs on one thread: waking the OpenMP or
# BLAS pool right after the encoder's threads costs more than a small search itself.
SERIAL_SEARCH_WORK = 2_000_000
# Lists probed per IVF search; chosen on real USE embeddings by ``python -m bench.scale`` (recall >= 0.95).
NPROBE = 32
# Largest difference between an SQ8 score and the exact cosine measured on real USE embeddings
# (bench.scale) is under 0.01; a candidate whose SQ8 score is this far below the last one
# returned cannot overtake it after re-scoring (twice that error, and a margin over it).
RESCORE_MARGIN = 0.03
READ_AHEAD_CHUNK = 4 << 20
# A segment whose ids span at most this many times its rows finds rows through a table over the
# span (4 bytes a slot) rather than a binary search of its ids.
TABLE_SPAN_FACTOR = 4

Floats = NDArray[np.float32]
Ints = NDArray[np.int64]


@functools.cache
def omp_default_threads() -> int:
    """OpenMP's thread count at start, read before a small search sets it to one."""
    import faiss

    return int(faiss.omp_get_max_threads())


def nlist_for(count: int) -> int:
    """Inverted lists for ``count`` vectors: ~2 sqrt(n), a power of two, so a probe reads a few thousand."""
    target = max(64, int(2 * np.sqrt(max(count, 1))))
    return int(2 ** round(np.log2(target)))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_ahead(path: Path) -> None:
    """Read a mapped file once in a background thread, so that it is in the page cache: opening
    stays instant, and the first searches after a cold start do not each wait on disk for the
    lists they probe (the reads release the GIL; the pages count towards no process's memory
    until a search maps them)."""

    def read() -> None:
        with contextlib.suppress(OSError), path.open("rb", buffering=0) as handle:
            buffer = bytearray(READ_AHEAD_CHUNK)
            while handle.readinto(buffer):
                pass

    threading.Thread(target=read, name=f"read-ahead {path.name}", daemon=True).start()


def segment_files(directory: Path, number: int) -> dict[str, Path]:
    stem = f"{number:08d}"
    return {
        "ids": directory / f"{stem}.ids.npy",
        "src": directory / f"{stem}.src.npy",
        "vec": directory / f"{stem}.vec.npy",
        "ivf": directory / f"{stem}.ivf",
    }


def segment_number(path: Path) -> int | None:
    head = path.name.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def write_segment(directory: Path, number: int, ids: Ints, src: Ints, vectors: Floats, ivf: Any | None = None) -> int:
    """Write a segment's files durably (each to a temporary name, fsynced, renamed); bytes written.

    The segment becomes part of the store only when its row commits in SQLite; files
    of a segment that never committed are swept by the next writer.
    """
    import faiss

    directory.mkdir(parents=True, exist_ok=True)
    order = np.argsort(ids, kind="stable")
    arrays: dict[str, NDArray[Any]] = {
        "ids": ids[order],
        "src": src[order],
        "vec": np.ascontiguousarray(vectors[order], dtype=np.float32),
    }
    written = 0
    for kind, path in segment_files(directory, number).items():
        temporary = path.with_name(path.name + ".tmp")
        if kind == "ivf":
            if ivf is None:
                continue
            faiss.write_index(ivf, str(temporary))
        else:
            with temporary.open("wb") as handle:
                np.save(handle, arrays[kind])
        _fsync(temporary)
        written += temporary.stat().st_size
        temporary.replace(path)
    fsync_dir(directory)
    return written


def remove_segment(directory: Path, number: int) -> None:
    for path in segment_files(directory, number).values():
        path.unlink(missing_ok=True)


def row_table(ids: Ints) -> tuple[int, NDArray[np.int32] | None]:
    """(first id, row of each id from it) for sorted ``ids``: the row of an id is one array read
    instead of a binary search over every id (a search looks up a thousand ids in a million, each
    search step a cache miss). Contiguous ids need no table (row = id - first, table None); ids
    too sparse for one get (first id, an empty table), which :meth:`Segment.rows` answers by search."""
    if not len(ids):
        return 0, None
    first, span = int(ids[0]), int(ids[-1]) - int(ids[0]) + 1
    if span == len(ids):
        return first, None
    if span > TABLE_SPAN_FACTOR * len(ids) or len(ids) >= 2**31:
        return first, np.empty(0, dtype=np.int32)
    table = np.full(span, -1, dtype=np.int32)
    table[ids - first] = np.arange(len(ids), dtype=np.int32)
    return first, table


@dataclass(frozen=True)
class Segment:
    """One segment as a reader holds it; ``dead`` are the rows whose passages are gone (tombstones).

    ``first`` and ``table`` (see :func:`row_table`) map ids to rows; computed once when the segment
    is loaded and shared by the copies each view makes with its tombstones."""

    number: int
    ids: Ints
    src: Ints
    vectors: Floats
    ivf: Any | None
    dead: NDArray[np.bool_] | None = None
    first: int = 0
    table: NDArray[np.int32] | None = None

    @classmethod
    def create(
        cls, number: int, ids: Ints, src: Ints, vectors: Floats, ivf: Any | None, dead: NDArray[np.bool_] | None = None
    ) -> Segment:
        """A segment of sorted ``ids`` with its row table."""
        first, table = row_table(ids)
        return cls(number, ids, src, vectors, ivf, dead, first, table)

    @classmethod
    def load(cls, directory: Path, number: int, count: int, dimension: int, has_ivf: bool) -> Segment:
        import faiss

        files = segment_files(directory, number)
        try:
            ids = np.load(files["ids"])  # 16 bytes a passage, in memory: every search indexes them
            src = np.load(files["src"])
            vectors = np.load(files["vec"], mmap_mode="r")
            # mapped, not read: the codes' pages are loaded as probes touch them (and shared between workers)
            ivf = faiss.read_index(str(files["ivf"]), faiss.IO_FLAG_MMAP_IFC) if has_ivf else None
            if has_ivf:
                _read_ahead(files["ivf"])
        except (OSError, ValueError, RuntimeError) as exc:
            raise IndexCorruptError(
                f"vector segment {number} in {directory} is damaged ({exc}); run `crosscheck doctor --repair`"
            ) from None
        shapes = (ids.shape, src.shape, vectors.shape)
        if shapes != ((count,), (count,), (count, dimension)) or (ivf is not None and ivf.ntotal != count):
            raise IndexCorruptError(
                f"vector segment {number} in {directory} is damaged: it holds {shapes} where {count} rows of "
                f"{dimension} dimensions were written; run `crosscheck doctor --repair`"
            )
        return cls.create(number, ids, src, vectors, ivf)

    def with_tombstones(self, tombstones: Ints) -> Segment:
        """This segment with the rows of deleted passages marked, so searches skip them."""
        if not len(tombstones) or not len(self.ids):
            return self if self.dead is None else dataclasses.replace(self, dead=None)
        rows = self.rows(tombstones)
        if not (rows >= 0).any():
            return self if self.dead is None else dataclasses.replace(self, dead=None)
        dead = np.zeros(len(self.ids), dtype=np.bool_)
        dead[rows[rows >= 0]] = True
        return dataclasses.replace(self, dead=dead)

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def live(self) -> int:
        return self.size - (int(self.dead.sum()) if self.dead is not None else 0)

    def rows(self, ids: Ints) -> Ints:
        """Row of each id in this segment, -1 where absent."""
        if not len(self.ids):
            return np.full(len(ids), -1, dtype=np.int64)
        if self.table is not None and not len(self.table):  # ids too sparse for a table
            order = np.argsort(ids, kind="stable")  # sorted needles: searchsorted walks the ids once
            at = np.empty(len(ids), dtype=np.int64)
            at[order] = np.searchsorted(self.ids, ids[order])
            at = np.minimum(at, len(self.ids) - 1)
            return np.where(self.ids[at] == ids, at, -1).astype(np.int64)
        at = np.asarray(ids, dtype=np.int64) - self.first
        inside = (at >= 0) & (at < (len(self.ids) if self.table is None else len(self.table)))
        if self.table is None:  # contiguous ids
            return np.where(inside, at, -1)
        return np.where(inside, self.table[np.where(inside, at, 0)], -1).astype(np.int64)

    def live_rows(self) -> Iterator[tuple[Ints, Ints, Floats]]:
        """(ids, src, vectors) of the live rows, in chunks that bound memory."""
        step = 65_536
        for start in range(0, self.size, step):
            end = min(self.size, start + step)
            keep = slice(None) if self.dead is None else ~self.dead[start:end]
            yield (
                np.asarray(self.ids[start:end][keep]),
                np.asarray(self.src[start:end][keep]),
                np.asarray(self.vectors[start:end][keep]),
            )

    def search(
        self, queries: Floats, k: int, allowed: NDArray[np.bool_] | None, nprobe: int, *, rescore: bool = True
    ) -> tuple[Floats, Ints, Ints]:
        """Best ``k`` live (and allowed) rows per query: (scores, ids, src), each (queries, k'), -inf padded.

        ``allowed`` is a mask over this segment's rows (None: all). An IVF segment's scores are
        the exact cosines when ``rescore``, else its SQ8 approximations (see ``RESCORE_MARGIN``)."""
        mask = self.dead
        if allowed is not None:
            mask = ~allowed if mask is None else (mask | ~allowed)
        if self.ivf is not None and self.size > k:
            approximate, rows = self._ivf_rows(queries, k, mask, nprobe)
            valid = rows >= 0
            if rescore:
                safe = np.where(valid, rows, 0)
                vectors = np.asarray(self.vectors[safe.ravel()]).reshape(*safe.shape, -1)
                scores = np.einsum("qkd,qd->qk", vectors, queries)
            else:
                scores = approximate
            scores = np.where(valid, scores, -np.inf).astype(np.float32)
        else:
            scores = inner_products(queries, np.asarray(self.vectors))
            if mask is not None:
                scores[:, mask] = -np.inf
            rows = np.broadcast_to(np.arange(self.size, dtype=np.int64), scores.shape)
            if self.size > k:
                top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
                scores = np.take_along_axis(scores, top, axis=1)
                rows = top
        order = np.argsort(-scores, axis=1, kind="stable")
        scores = np.take_along_axis(scores, order, axis=1)
        rows = np.take_along_axis(np.asarray(rows), order, axis=1)
        return scores, np.asarray(self.ids)[rows], np.asarray(self.src)[rows]

    def _ivf_rows(self, queries: Floats, k: int, mask: NDArray[np.bool_] | None, nprobe: int) -> tuple[Floats, Ints]:
        """(SQ8 scores, rows) of the best ``k`` per query; row -1 where fewer were found."""
        import faiss

        ivf = self.ivf
        assert ivf is not None
        params = faiss.SearchParametersIVF()
        params.nprobe = nprobe
        keep: Any = None
        if mask is not None:
            excluded = np.asarray(self.ids)[mask]
            keep = faiss.IDSelectorNot(faiss.IDSelectorBatch(excluded))  # selectors must outlive the search
            params.sel = keep
        small = len(queries) * self.size * nprobe / max(ivf.nlist, 1) <= SERIAL_SEARCH_WORK
        faiss.omp_set_num_threads(1 if small else omp_default_threads())
        scores, ids = ivf.search(np.ascontiguousarray(queries), k, params=params)
        del keep
        rows = self.rows(ids.ravel()).reshape(ids.shape)
        return scores, np.where(ids >= 0, rows, -1)


@functools.cache
def _blas_libraries() -> tuple[Any, ...]:
    """The BLAS libraries loaded when first asked (threadpoolctl's controllers for them)."""
    from threadpoolctl import ThreadpoolController

    return tuple(ThreadpoolController().select(user_api="blas").lib_controllers)


@contextlib.contextmanager
def serial_blas(serial: bool = True) -> Iterator[None]:
    """BLAS on one thread inside (when ``serial``), as threadpoolctl's ``limit`` does, but set on
    the libraries directly: ``limit`` re-reads every library's state on each call, which cost
    more than the small products it guards."""
    changed = []
    if serial:
        for library in _blas_libraries():
            threads = library.get_num_threads()
            if threads != 1:
                library.set_num_threads(1)
                changed.append((library, threads))
    try:
        yield
    finally:
        for library, threads in changed:
            library.set_num_threads(threads)


def is_small(queries: int, rows: int) -> bool:
    """Whether a product of ``queries`` with ``rows`` vectors is small enough for one BLAS thread."""
    return queries * rows <= SERIAL_SEARCH_WORK


def inner_products(queries: Floats, vectors: Floats) -> Floats:
    """(queries, rows) inner products, each query on its own: a matrix product's blocking would
    make a query's scores (and so the order of tied passages) depend on the others in its batch.
    Small ones run on one BLAS thread (waking the pool costs more than the work, and far more on
    a busy machine)."""
    out = np.empty((len(queries), len(vectors)), dtype=np.float32)
    with serial_blas(is_small(len(queries), len(vectors))):
        for row, query in enumerate(queries):
            out[row] = vectors @ query
    return out


def search_flat(
    segments: Sequence[Segment], queries: Floats, k: int, allowed: Sequence[NDArray[np.bool_] | None]
) -> tuple[Floats, Ints, Ints]:
    """Best ``k`` live (and allowed) rows per query over flat segments searched together:
    (scores, ids, src), each (queries, k'), -inf padded, not sorted.

    Every segment's rows are scored exactly as :meth:`Segment.search` scores them (one product
    per segment and query, so the same scores), but the top ``k`` is taken once over all of
    them, with one BLAS setting, and segments with no live allowed row are not read: after
    writes a large store holds several small segments, and searching each on its own cost more
    in per-call overhead than their products. ``allowed`` holds a mask per segment (None: all)."""
    taken: list[tuple[Segment, NDArray[np.bool_] | None]] = []
    for segment, mask in zip(segments, allowed, strict=True):
        excluded = segment.dead
        if mask is not None:
            excluded = ~mask if excluded is None else (excluded | ~mask)
        if segment.size and (excluded is None or not excluded.all()):
            taken.append((segment, excluded))
    total = sum(segment.size for segment, _ in taken)
    if not total:
        shape = (len(queries), 0)
        return np.empty(shape, np.float32), np.empty(shape, np.int64), np.empty(shape, np.int64)
    scores = np.empty((len(queries), total), dtype=np.float32)
    with serial_blas(is_small(len(queries), total)):
        for row, query in enumerate(queries):
            start = 0
            for segment, _ in taken:
                scores[row, start : start + segment.size] = np.asarray(segment.vectors) @ query
                start += segment.size
    if any(excluded is not None for _, excluded in taken):
        excluded_all = np.concatenate(
            [np.zeros(s.size, np.bool_) if excluded is None else excluded for s, excluded in taken]
        )
        scores[:, excluded_all] = -np.inf
    ids = taken[0][0].ids if len(taken) == 1 else np.concatenate([s.ids for s, _ in taken])
    src = taken[0][0].src if len(taken) == 1 else np.concatenate([s.src for s, _ in taken])
    if total <= k:
        return scores, np.broadcast_to(ids, scores.shape), np.broadcast_to(src, scores.shape)
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return np.take_along_axis(scores, top, axis=1), np.asarray(ids)[top], np.asarray(src)[top]


def train_ivf(sample: Floats, dimension: int, nlist: int) -> Any:
    """An empty IVF-SQ8 index trained on ``sample``: inner product, as the flat segments score."""
    import faiss

    faiss.omp_set_num_threads(omp_default_threads())
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dimension, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.train(np.ascontiguousarray(sample, dtype=np.float32))
    return index


def empty_like(trained: Any) -> Any:
    """A copy of a trained IVF index without its vectors, to build another segment in the same space."""
    import faiss

    copy = faiss.clone_index(trained)
    copy.reset()
    return copy
