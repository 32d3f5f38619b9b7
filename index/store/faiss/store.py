"""The embedded store: metadata in one SQLite database (WAL), vectors in immutable segments.

Layout of an index directory::

    store.sqlite     sources (with their text), passages, segments, tombstones, FTS5 index, meta
    segments/        NNNNNNNN.{ids,src,vec}.npy (+ .ivf for large segments), trained-N.ivf
    .lock            serialises writers across processes

A write costs what it changes. Its vectors become one new segment file set (written,
fsynced, renamed) and its rows are inserted in one SQLite transaction that also
registers the segment; the commit of that transaction is the moment the write
happens. A crash before it leaves files no row names (the next writer sweeps them),
so the store holds the old state or the new one, never half. Deleted passages leave
their vectors behind as tombstones until small segments are merged (inline, bounded)
or :meth:`FaissStore.compact` rewrites them; compaction also moves large corpora to
IVF segments, retrained as the corpus grows.

Readers hold an immutable view (the segments and tombstones of one version) and read
rows from SQLite by id, so opening costs little and memory does not grow with the
text. Another process's write bumps ``meta.version``; :meth:`FaissStore.refresh`
compares one integer and, when it changed, loads only the new segments.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from index.documents import Document
from index.errors import IndexCorruptError, IndexNotFoundError, ModelMismatchError, UnknownSourceError
from index.sentences import Sentence
from index.store.base import (
    Change,
    Counts,
    Passage,
    PassageHit,
    SearchFilters,
    SourceHits,
    SourceRecord,
    Upsert,
    hybrid_from_env,
)
from index.store.faiss import lexical as lex
from index.store.faiss import segments as seg
from index.store.faiss.segments import Floats, Ints, Segment

log = logging.getLogger(__name__)

FORMAT_NAME = "crosscheck-store"
FORMAT_VERSION = 2
DATABASE = "store.sqlite"
SEGMENTS = "segments"
LOCK_FILE = ".lock"
LEGACY_POINTER = "CURRENT"

# Candidate passages ranked before grouping per source: enough that a source whose best
# passage ranks low globally still gets in (see test_sources_ranked_low_globally_are_kept).
CANDIDATES = 1024
MAX_CANDIDATES = 16_384
# A filtered search over at most this many passages scores them all exactly.
GATHER_MAX = 65_536
# Below this many live vectors search is exact; above it compaction builds IVF segments.
EXACT_MAX = 20_000
# Vectors in flat segments beside IVF ones before compaction folds them into a new IVF segment.
FLAT_MAX = 20_000
# Segments of similar size merged inline once this many accumulate (log-structured tiers).
MERGE_FACTOR = 8
# Inline merges stay below this many vectors, so one write never rewrites more than a few MB.
INLINE_MERGE_MAX = 4_096
# More segments than this, or more dead rows than this fraction, makes compaction due.
MAX_SEGMENTS = 32
MAX_DEAD_FRACTION = 0.2
# A trained IVF index serves until the corpus grows by this factor; then it is retrained.
RETRAIN_GROWTH = 2.0
TRAINING_PER_LIST = 40
PARAMETER_LIMIT = 900

# Test hook: called after a write's segment files and rows are in place, before the commit.
before_commit: Callable[[], None] | None = None

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE sources (
    key INTEGER PRIMARY KEY AUTOINCREMENT, source_id TEXT NOT NULL UNIQUE, title TEXT, url TEXT,
    published TEXT, language TEXT, path TEXT, content_hash TEXT NOT NULL, sentence_count INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE TABLE passages (
    id INTEGER PRIMARY KEY, source_key INTEGER NOT NULL, text TEXT NOT NULL, char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL, paragraph INTEGER NOT NULL, position INTEGER NOT NULL
);
CREATE INDEX passages_by_source ON passages (source_key, position);
CREATE TABLE segments (number INTEGER PRIMARY KEY, count INTEGER NOT NULL, ivf INTEGER NOT NULL);
CREATE TABLE tombstones (passage_id INTEGER PRIMARY KEY);
CREATE VIRTUAL TABLE passages_fts USING fts5 (
    text, content='passages', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts (passages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
"""

_PASSAGE_COLUMNS = (
    "p.id, s.source_id, p.text, p.char_start, p.char_end, p.paragraph, p.position "
    "FROM passages p JOIN sources s ON s.key = p.source_key"
)
_SOURCE_COLUMNS = "key, source_id, title, url, published, language, path, content_hash, sentence_count FROM sources"


def doctor_hint(path: Path) -> str:
    return f"run `crosscheck doctor --index-dir {path}` to check it and `--repair` to fix what it can"


@dataclass(frozen=True)
class View:
    """The segments and tombstones of one committed version; immutable, so a search sees one version."""

    version: int
    segments: tuple[Segment, ...]
    tombstones: Ints
    sources: int
    passages: int

    @property
    def vectors(self) -> int:
        return sum(s.size for s in self.segments)


@dataclass
class _Meta:
    model: str
    dimension: int


class FaissStore:
    """:class:`~index.store.PassageStore` in a directory: SQLite rows, FAISS/numpy segments."""

    def __init__(self, path: Path, meta: _Meta, *, lexical: bool | None = None) -> None:
        self.path = path
        self.model = meta.model
        self.dimension = meta.dimension
        # hybrid search (FTS5 bm25 fused with the dense ranking) when given query texts
        self.lexical = hybrid_from_env() if lexical is None else lexical
        self._segment_dir = path / SEGMENTS
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._view_lock = threading.Lock()
        self._view = self._load_view(None)
        self._check_counts()

    # -- opening ---------------------------------------------------------------------

    @staticmethod
    def exists(path: Path) -> bool:
        return (path / DATABASE).is_file()

    @classmethod
    def open(
        cls, path: Path, *, model: str | None = None, dimension: int | None = None, lexical: bool | None = None
    ) -> FaissStore:
        """Open the store; create it when ``dimension`` is given; migrate a generation-format index."""
        if not cls.exists(path):
            with _file_lock(path, create=dimension is not None or (path / LEGACY_POINTER).is_file()):
                if not cls.exists(path):
                    if (path / LEGACY_POINTER).is_file():
                        from index.store.faiss.migrate import migrate_generations

                        migrate_generations(path)
                    elif dimension is None:
                        raise IndexNotFoundError(f"no index at {path}; build one with `crosscheck ingest PATH`")
                    else:
                        if model is None:
                            raise ValueError("creating a store needs the model id")
                        create_database(path, model, dimension)
        meta = _read_meta(path)
        if model is not None and meta.model != model:
            raise ModelMismatchError(
                f"the index at {path} was built with model {meta.model!r} ({meta.dimension}-d), but the "
                f"configured model is {model!r}; set CROSSCHECK_MODEL={meta.model} or rebuild the index "
                "into another --index-dir"
            )
        if dimension is not None and meta.dimension != dimension:
            raise ModelMismatchError(
                f"the index at {path} holds {meta.dimension}-d vectors; model {model!r} makes {dimension}-d ones"
            )
        return cls(path, meta, lexical=lexical)

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (SQLite connections are not shared between threads)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path / DATABASE)
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- versions --------------------------------------------------------------------

    @property
    def version(self) -> int:
        return self._view.version

    def view(self) -> View:
        return self._view

    def refresh(self) -> bool:
        if _read_version(self._connection()) == self._view.version:
            return False
        with self._view_lock:
            old = self._view.version
            self._view = self._load_view(self._view)
            return self._view.version != old

    def _load_view(self, previous: View | None) -> View:
        """The committed state, reusing segments already loaded (they never change)."""
        loaded = {s.number: s for s in previous.segments} if previous else {}
        conn = self._connection()
        for attempt in range(5):
            with _read_transaction(conn):
                version = _read_version(conn)
                rows = conn.execute("SELECT number, count, ivf FROM segments ORDER BY number").fetchall()
                tombstones = np.fromiter(
                    (r[0] for r in conn.execute("SELECT passage_id FROM tombstones ORDER BY passage_id")),
                    dtype=np.int64,
                )
                counts = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('sources', 'passages')"))
            try:
                segments = tuple(
                    (
                        loaded[number]
                        if number in loaded
                        else Segment.load(self._segment_dir, number, count, self.dimension, bool(ivf))
                    ).with_tombstones(tombstones)
                    for number, count, ivf in rows
                )
            except IndexCorruptError:
                # a merge in another process may have removed files after we read the list
                if attempt < 4 and _read_version(conn) != version:
                    continue
                raise
            return View(version, segments, tombstones, int(counts["sources"]), int(counts["passages"]))
        raise AssertionError("unreachable")

    def _check_counts(self) -> None:
        """Refuse an index whose rows and vectors disagree, naming the damage."""
        view = self._view
        conn = self._connection()
        rows = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
        sources = conn.execute("SELECT count(*) FROM sources").fetchone()[0]
        live = view.vectors - len(view.tombstones)
        if rows == view.passages == live and sources == view.sources:
            return
        raise IndexCorruptError(
            f"the index at {self.path} is damaged: {rows:,} passage rows and {sources:,} source rows in "
            f"{DATABASE}, where {view.passages:,} and {view.sources:,} were committed, for {live:,} live vectors; "
            + doctor_hint(self.path)
        )

    # -- writes -----------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[_Writer]:
        """One write transaction under the process and file locks; the commit bumps the version."""
        with self._write_lock, _file_lock(self.path, create=True):
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            writer = _Writer(self, conn)
            try:
                yield writer
                if writer.changed:
                    writer.finish()
                    if before_commit is not None:
                        before_commit()
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                for number in writer.new_segments:
                    seg.remove_segment(self._segment_dir, number)
                raise
            finally:
                with self._view_lock:
                    self._view = self._load_view(self._view)
            for number in writer.dropped_segments:
                seg.remove_segment(self._segment_dir, number)
        if writer.changed and writer.merge:
            self._merge_small()

    def status(self, document: Document) -> Change:
        row = (
            self._connection()
            .execute("SELECT content_hash FROM sources WHERE source_id = ?", (document.source_id,))
            .fetchone()
        )
        if row is None:
            return "added"
        return "unchanged" if row[0] == document.content_hash else "replaced"

    def upsert(self, document: Document, sentences: Sequence[Sentence], vectors: Floats) -> Change:
        (change,) = self.upsert_many([(document, sentences, vectors)])
        return change

    def upsert_many(self, items: Iterable[Upsert]) -> list[Change]:
        checked = [(d, s, self._checked(s, v)) for d, s, v in items]
        with self._write() as writer:
            return writer.upsert(checked)

    def _checked(self, sentences: Sequence[Sentence], vectors: Floats) -> Floats:
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(sentences) != len(vectors):
            raise ValueError(f"{len(sentences)} sentences but {len(vectors)} vectors")
        if len(vectors) and (vectors.ndim != 2 or vectors.shape[1] != self.dimension):
            raise ModelMismatchError(f"vectors have {vectors.shape[-1]} dimensions; the index holds {self.dimension}")
        return vectors.reshape(len(sentences), self.dimension)

    def delete(self, source_id: str) -> bool:
        with self._write() as writer:
            return writer.delete(source_id)

    def _merge_small(self) -> None:
        """Merge runs of small flat segments of one size tier, so segments stay few (bounded work)."""
        view = self._view
        tiers: dict[int, list[Segment]] = {}
        for segment in view.segments:
            if segment.ivf is None and segment.live < INLINE_MERGE_MAX // MERGE_FACTOR:
                tiers.setdefault(_tier(segment.live), []).append(segment)
        for members in tiers.values():
            if len(members) >= MERGE_FACTOR:
                self._replace(members, ivf=None)

    def _replace(self, old: Sequence[Segment], ivf: Any | None) -> int:
        """Replace segments by one holding their live rows (in ``ivf`` if given); bytes written.

        The new segment is built aside, outside the write lock (building an IVF segment
        of a large corpus takes minutes, and writers should not wait for it); the swap
        re-checks under the lock that the old segments are still there, and keeps the
        tombstones written meanwhile (they name ids the new segment holds)."""
        numbers = {s.number for s in old}
        chunks = [chunk for s in old for chunk in s.live_rows()]
        ids = np.concatenate([c[0] for c in chunks]) if chunks else np.empty(0, np.int64)
        src = np.concatenate([c[1] for c in chunks]) if chunks else np.empty(0, np.int64)
        vectors = np.concatenate([c[2] for c in chunks]) if chunks else np.empty((0, self.dimension), np.float32)
        dead = np.concatenate([np.asarray(s.ids)[s.dead] for s in old if s.dead is not None] or [np.empty(0, np.int64)])
        del chunks
        staging = self._segment_dir / f".building-{os.getpid()}-{threading.get_ident()}"
        written = 0
        try:
            if len(ids):
                if ivf is not None:
                    order = np.argsort(ids, kind="stable")
                    for start in range(0, len(ids), 65_536):
                        part = order[start : start + 65_536]
                        ivf.add_with_ids(np.ascontiguousarray(vectors[part]), ids[part])
                written = seg.write_segment(staging, 0, ids, src, vectors, ivf)
            with self._write() as writer:
                present = {r[0] for r in writer.conn.execute("SELECT number FROM segments")}
                if not numbers <= present:
                    return 0  # another process compacted them first
                if len(ids):
                    writer.adopt_segment(staging, len(ids), ivf is not None)
                writer.drop_segments(numbers, dead)
                writer.changed = True
                writer.merge = False
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return written

    # -- compaction -------------------------------------------------------------------

    def compaction_due(self) -> bool:
        return bool(self._compaction_plan(self._view, force=False))

    def compact(self, *, force: bool = False, progress: Callable[[str], None] | None = None) -> bool:
        """Drop tombstones, merge segments, and above ``EXACT_MAX`` vectors build IVF ones.

        Without ``force`` only what is due is done. The training and building happen on
        this process's view; the swap re-checks under the write lock that the segments it
        replaces are still there (another compaction may have won)."""
        self.refresh()
        view = self._view
        plan = self._compaction_plan(view, force=force)
        if not plan:
            return False
        kind, members = plan
        say = progress or (lambda message: log.info("%s", message))
        live = sum(s.live for s in members)
        ivf = None
        if kind == "retrain":
            nlist = seg.nlist_for(live)
            say(f"training an IVF index with {nlist} lists on {min(live, nlist * TRAINING_PER_LIST):,} vectors")
            ivf = seg.train_ivf(_sample(members, nlist * TRAINING_PER_LIST), self.dimension, nlist)
            self._save_template(ivf, live)
        elif kind == "ivf":
            template = self._template()
            ivf = seg.empty_like(template) if template is not None else None
        say(f"compacting {len(members)} segments, {live:,} live vectors")
        started = time.perf_counter()
        self._replace(members, ivf)
        say(f"compacted in {time.perf_counter() - started:.1f}s")
        return True

    def _compaction_plan(self, view: View, *, force: bool) -> tuple[str, list[Segment]] | None:
        segments = list(view.segments)
        if not segments:
            return None
        live = sum(s.live for s in segments)
        dead = sum(s.size - s.live for s in segments)
        trained_on = self._trained_on()
        flat = [s for s in segments if s.ivf is None]
        if live > EXACT_MAX:
            if trained_on == 0 or live > RETRAIN_GROWTH * trained_on:
                return ("retrain", segments)
            if force or dead > MAX_DEAD_FRACTION * (live + dead) or len(segments) > MAX_SEGMENTS:
                return ("ivf", segments)
            if sum(s.live for s in flat) > FLAT_MAX:
                return ("ivf", flat)
            return None
        if trained_on and any(s.ivf is not None for s in segments):
            return ("flat", segments)  # shrank below the threshold: back to exact search
        too_many = len(segments) > 1 and (force or len(segments) > MAX_SEGMENTS)
        too_dead = dead > 0 and (force or dead > MAX_DEAD_FRACTION * (live + dead))
        return ("flat", segments) if too_many or too_dead else None

    def _trained_on(self) -> int:
        row = self._connection().execute("SELECT value FROM meta WHERE key = 'ivf_trained_on'").fetchone()
        return int(row[0]) if row else 0

    def _template(self) -> Any | None:
        import faiss

        row = self._connection().execute("SELECT value FROM meta WHERE key = 'ivf_template'").fetchone()
        if row is None:
            return None
        return faiss.read_index(str(self._segment_dir / row[0]))

    def _save_template(self, ivf: Any, trained_on: int) -> None:
        """Keep the trained, empty IVF index: later segments are built in the same space."""
        import faiss

        name = f"trained-{time.time_ns()}.ivf"
        self._segment_dir.mkdir(parents=True, exist_ok=True)
        faiss.write_index(ivf, str(self._segment_dir / name))
        with self._write() as writer:
            old = writer.conn.execute("SELECT value FROM meta WHERE key = 'ivf_template'").fetchone()
            writer.conn.execute("INSERT OR REPLACE INTO meta VALUES ('ivf_template', ?)", (name,))
            writer.conn.execute("INSERT OR REPLACE INTO meta VALUES ('ivf_trained_on', ?)", (trained_on,))
            writer.merge = False
        if old is not None and old[0] != name:
            (self._segment_dir / old[0]).unlink(missing_ok=True)

    # -- reads ------------------------------------------------------------------------

    def search(
        self,
        vectors: Floats,
        *,
        per_source: int = 3,
        max_sources: int | None = None,
        filters: SearchFilters | None = None,
        texts: Sequence[str] | None = None,
    ) -> list[list[SourceHits]]:
        queries = np.ascontiguousarray(np.atleast_2d(np.asarray(vectors, dtype=np.float32)))
        if texts is not None and len(texts) != len(queries):
            raise ValueError(f"{len(texts)} query texts for {len(queries)} query vectors")
        hybrid = self.lexical and texts is not None
        for attempt in range(4):
            view = self._view
            approximate = any(s.ivf is not None for s in view.segments)
            candidates = self._candidates(view, queries, per_source, max_sources, filters, rescore=not approximate)
            if hybrid and texts is not None:
                candidates = self._fused(view, queries, texts, candidates, filters)
            if approximate:
                candidates = [
                    self._rescored(view, query, found, per_source, max_sources, fused=hybrid)
                    for query, found in zip(queries, candidates, strict=True)
                ]
            try:
                return self._grouped(candidates, per_source, max_sources, lenient=attempt == 3, by_cosine=hybrid)
            except _StaleRead:
                self.refresh()
                if self._view.version == view.version:
                    raise IndexCorruptError(
                        f"the index at {self.path} is damaged: passages found by search are missing from "
                        f"{DATABASE}; " + doctor_hint(self.path)
                    ) from None
        raise AssertionError("unreachable")

    def _candidates(
        self,
        view: View,
        queries: Floats,
        per_source: int,
        max_sources: int | None,
        filters: SearchFilters | None,
        *,
        rescore: bool = True,
    ) -> list[tuple[Floats, Ints, Ints]]:
        """Per query: (scores, ids, source keys) of the best candidates, best first (ties: newest first).

        Without ``rescore`` an IVF segment's candidates keep their SQ8 scores; :meth:`_rescored`
        then scores exactly those that can be returned."""
        empty = (np.empty(0, np.float32), np.empty(0, np.int64), np.empty(0, np.int64))
        allowed = self._allowed_keys(filters)
        if view.passages == 0 or (allowed is not None and not len(allowed)):
            return [empty for _ in queries]
        wanted = per_source * (max_sources or view.sources)
        k = max(CANDIDATES, min(4 * wanted, MAX_CANDIDATES))
        parts: list[tuple[Floats, Ints, Ints]] = []
        if allowed is not None and self._allowed_passages(allowed) <= GATHER_MAX:
            parts.append(self._gather_search(view, queries, allowed, k))
        else:
            flat, flat_masks = [], []
            for segment in view.segments:
                mask = None if allowed is None else np.isin(segment.src, allowed)
                if segment.ivf is not None and segment.size > k:
                    parts.append(segment.search(queries, k, mask, seg.NPROBE, rescore=rescore))
                else:
                    flat.append(segment)
                    flat_masks.append(mask)
            if flat:
                parts.append(seg.search_flat(flat, queries, k, flat_masks))
        scores = np.concatenate([p[0] for p in parts], axis=1)
        ids = np.concatenate([p[1] for p in parts], axis=1)
        keys = np.concatenate([p[2] for p in parts], axis=1)
        out = []
        for row in range(len(queries)):
            order = np.lexsort((-ids[row], -scores[row]))[:k]  # ties: the newer passage first, as FAISS had it
            order = order[np.isfinite(scores[row][order])]
            out.append((scores[row][order], ids[row][order], keys[row][order]))
        return out

    def _rescored(
        self,
        view: View,
        query: Floats,
        candidates: tuple[Floats, Ints, Ints],
        per_source: int,
        max_sources: int | None,
        *,
        fused: bool,
    ) -> tuple[Floats, Ints, Ints]:
        """The candidates that can be returned, with their exact cosines (the rest are dropped).

        Reading each candidate's vector costs a random read of the vector file, so only these are
        read: in a dense ranking, the sources whose best SQ8 score is within ``RESCORE_MARGIN`` of
        the last source returned, and in each the passages within it of the last one returned
        (SQ8 scores differ from the cosines by less than half of it, so no other candidate can
        overtake one of these); in a fused ranking, whose order does not follow the scores, what
        grouping picks from it. Dense candidates are then re-sorted by their exact scores."""
        scores, ids, keys = candidates
        if not len(ids):
            return candidates
        if fused:
            picked = _group(scores, ids, keys, per_source, max_sources)
            chosen = np.isin(ids, np.asarray([pid for hits in picked.values() for pid, _ in hits], dtype=np.int64))
        else:
            chosen = _within_margin(scores, keys, per_source, max_sources, seg.RESCORE_MARGIN)
        ids, keys = ids[chosen], keys[chosen]
        vectors, present = self._vectors(view, ids)
        ids, keys = ids[present], keys[present]
        exact = seg.inner_products(query[None, :], vectors)[0] if len(ids) else np.empty(0, np.float32)
        if fused:
            return exact, ids, keys
        order = np.lexsort((-ids, -exact))
        return exact[order], ids[order], keys[order]

    def _fused(
        self,
        view: View,
        queries: Floats,
        texts: Sequence[str],
        dense: list[tuple[Floats, Ints, Ints]],
        filters: SearchFilters | None,
    ) -> list[tuple[Floats, Ints, Ints]]:
        """Each query's dense candidates fused with its text's bm25 matches (reciprocal rank fusion).

        A lexical match gets its exact cosine from its stored vector in this view; matches the
        view does not hold (written after it was taken, or deleted) are left out."""
        if view.passages == 0:
            return dense
        allowed_keys = self._allowed_keys(filters)
        if allowed_keys is not None and not len(allowed_keys):
            return dense
        allowed = None if allowed_keys is None else set(allowed_keys.tolist())
        conn = self._connection()
        out = []
        for query, text, candidates in zip(queries, texts, dense, strict=True):
            ids, keys = lex.as_arrays(lex.lexical_ranking(conn, text, allowed, passages=view.passages))
            vectors, present = self._vectors(view, ids)
            scores = seg.inner_products(query[None, :], vectors)[0] if len(vectors) else np.empty(0, np.float32)
            out.append(lex.fuse(candidates, (scores, ids[present], keys[present])))
        return out

    def _vectors(self, view: View, ids: Ints) -> tuple[Floats, NDArray[np.bool_]]:
        """The stored vectors of the live ``ids`` in this view (in the order given) and which ids those are."""
        present = np.zeros(len(ids), dtype=np.bool_)
        vectors = np.zeros((len(ids), self.dimension), dtype=np.float32)
        for segment in view.segments:
            rows = segment.rows(ids)
            hit = rows >= 0
            if segment.dead is not None:
                hit &= ~segment.dead[np.where(hit, rows, 0)]
            if hit.any():
                vectors[hit] = np.asarray(segment.vectors[rows[hit]])
                present |= hit
        return vectors[present], present

    def _gather_search(self, view: View, queries: Floats, allowed: Ints, k: int) -> tuple[Floats, Ints, Ints]:
        """Exact scores of every passage of the allowed sources (few: their vectors are gathered)."""
        conn = self._connection()
        ids_list: list[int] = []
        for chunk in _chunks(allowed.tolist()):
            marks = ",".join("?" * len(chunk))
            ids_list += [r[0] for r in conn.execute(f"SELECT id FROM passages WHERE source_key IN ({marks})", chunk)]
        ids = np.asarray(sorted(ids_list), dtype=np.int64)
        found_ids, found_src, found_vec = [], [], []
        for segment in view.segments:
            rows = segment.rows(ids)
            hit = rows >= 0
            if segment.dead is not None:
                hit &= ~segment.dead[np.where(hit, rows, 0)]
            if hit.any():
                at = rows[hit]
                found_ids.append(np.asarray(segment.ids[at]))
                found_src.append(np.asarray(segment.src[at]))
                found_vec.append(np.asarray(segment.vectors[at]))
        if not found_ids:
            shape = (len(queries), 0)
            return np.empty(shape, np.float32), np.empty(shape, np.int64), np.empty(shape, np.int64)
        scores = seg.inner_products(queries, np.concatenate(found_vec))
        n = scores.shape[1]
        return (
            scores,
            np.broadcast_to(np.concatenate(found_ids), (len(queries), n)),
            np.broadcast_to(np.concatenate(found_src), (len(queries), n)),
        )

    def _allowed_keys(self, filters: SearchFilters | None) -> Ints | None:
        """Source keys a filtered search may return (None: no filter)."""
        if filters is None or filters.empty:
            return None
        conn = self._connection()
        if filters.source_ids is not None:
            wanted = sorted(filters.source_ids)
            rows: list[tuple[int, str, str | None]] = []
            for chunk in _chunks(wanted):
                marks = ",".join("?" * len(chunk))
                rows += conn.execute(
                    f"SELECT key, source_id, published FROM sources WHERE source_id IN ({marks})", chunk
                ).fetchall()
            unknown = sorted(set(wanted) - {r[1] for r in rows})
            if unknown:
                raise UnknownSourceError(f"unknown source id(s): {', '.join(unknown)}")
        else:
            rows = conn.execute("SELECT key, source_id, published FROM sources").fetchall()
        return np.asarray(sorted(key for key, _, published in rows if filters.date_ok(published)), dtype=np.int64)

    def _allowed_passages(self, keys: Ints) -> int:
        conn = self._connection()
        total = 0
        for chunk in _chunks(keys.tolist()):
            marks = ",".join("?" * len(chunk))
            total += conn.execute(
                f"SELECT coalesce(sum(sentence_count), 0) FROM sources WHERE key IN ({marks})", chunk
            ).fetchone()[0]
        return int(total)

    def _grouped(
        self,
        candidates: list[tuple[Floats, Ints, Ints]],
        per_source: int,
        max_sources: int | None,
        *,
        lenient: bool,
        by_cosine: bool = False,
    ) -> list[list[SourceHits]]:
        """Candidates grouped per source, with their rows read from SQLite. Rows deleted since the
        view was taken raise :class:`_StaleRead` (the caller retries on the new view), or, when
        ``lenient`` (writes keep racing the retries), are left out."""
        chosen = [_group(scores, ids, keys, per_source, max_sources) for scores, ids, keys in candidates]
        wanted_ids = sorted({pid for groups in chosen for hits in groups.values() for pid, _ in hits})
        wanted_keys = sorted({key for groups in chosen for key in groups})
        passages = {p.id: p for p in self.passages(wanted_ids)}
        sources = self._sources_by_key(wanted_keys)
        if (len(passages) != len(wanted_ids) or len(sources) != len(wanted_keys)) and not lenient:
            raise _StaleRead
        results = []
        for groups in chosen:
            ranked = []
            for key, hits in groups.items():
                found = tuple(PassageHit(passages[pid], score) for pid, score in hits if pid in passages)
                if key in sources and found:
                    if by_cosine:  # fused candidates: chosen by fusion, shown in dense order
                        found = tuple(sorted(found, key=lambda h: (-h.similarity, -h.passage.id)))
                    ranked.append(SourceHits(sources[key], found))
            if by_cosine:
                ranked.sort(key=lambda g: (-g.best, -g.hits[0].passage.id))
            results.append(ranked)
        return results

    def _sources_by_key(self, keys: Sequence[int]) -> dict[int, SourceRecord]:
        conn = self._connection()
        found: dict[int, SourceRecord] = {}
        for chunk in _chunks(list(keys)):
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(f"SELECT {_SOURCE_COLUMNS} WHERE key IN ({marks})", chunk):
                found[row[0]] = SourceRecord(*row[1:])
        return found

    def passages(self, ids: Sequence[int]) -> list[Passage]:
        conn = self._connection()
        found: dict[int, Passage] = {}
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(f"SELECT {_PASSAGE_COLUMNS} WHERE p.id IN ({marks})", chunk):
                found[row[0]] = Passage(*row)
        return [found[i] for i in ids if i in found]

    def neighbors(self, passage_id: int, before: int, after: int) -> list[Passage]:
        conn = self._connection()
        row = conn.execute("SELECT source_key, position FROM passages WHERE id = ?", (passage_id,)).fetchone()
        if row is None:
            return []
        key, position = row
        return [
            Passage(*r)
            for r in conn.execute(
                f"SELECT {_PASSAGE_COLUMNS} WHERE p.source_key = ? AND p.position BETWEEN ? AND ? ORDER BY p.position",
                (key, position - before, position + after),
            )
        ]

    def source_passages(self, source_id: str) -> list[Passage]:
        return [
            Passage(*r)
            for r in self._connection().execute(
                f"SELECT {_PASSAGE_COLUMNS} WHERE s.source_id = ? ORDER BY p.position", (source_id,)
            )
        ]

    def source(self, source_id: str) -> SourceRecord | None:
        row = self._connection().execute(f"SELECT {_SOURCE_COLUMNS} WHERE source_id = ?", (source_id,)).fetchone()
        return SourceRecord(*row[1:]) if row else None

    def source_text(self, source_id: str) -> str | None:
        row = self._connection().execute("SELECT text FROM sources WHERE source_id = ?", (source_id,)).fetchone()
        return str(row[0]) if row else None

    def sources(self) -> list[SourceRecord]:
        return [
            SourceRecord(*row[1:]) for row in self._connection().execute(f"SELECT {_SOURCE_COLUMNS} ORDER BY source_id")
        ]

    def counts(self) -> Counts:
        view = self._view
        return Counts(view.sources, view.passages)


class _StaleRead(Exception):
    """Rows a search found were deleted since its view was taken."""


class _Writer:
    """The changes of one write transaction."""

    def __init__(self, store: FaissStore, conn: sqlite3.Connection) -> None:
        self.store = store
        self.conn = conn
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        self.next_id = int(meta["next_id"])
        self.next_segment = int(meta["next_segment"])
        self.sources = int(meta["sources"])
        self.passages = int(meta["passages"])
        self.version = int(meta["version"])
        self.changed = False
        self.merge = True
        self.new_segments: list[int] = []
        self.dropped_segments: list[int] = []
        self.bytes_written = 0

    def upsert(self, items: Sequence[Upsert]) -> list[Change]:
        changes: list[Change] = []
        ids_parts, src_parts, vector_parts = [], [], []
        for document, sentences, vectors in items:
            row = self.conn.execute(
                "SELECT key, content_hash FROM sources WHERE source_id = ?", (document.source_id,)
            ).fetchone()
            if row is not None and row[1] == document.content_hash:
                changes.append("unchanged")
                continue
            if row is not None:
                self._remove(row[0])
            cursor = self.conn.execute(
                "INSERT INTO sources (source_id, title, url, published, language, path, content_hash, "
                "sentence_count, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    document.source_id,
                    document.title,
                    document.url,
                    document.published,
                    document.language,
                    document.path,
                    document.content_hash,
                    len(sentences),
                    document.text,
                ),
            )
            key = int(cursor.lastrowid or 0)
            ids = np.arange(self.next_id, self.next_id + len(sentences), dtype=np.int64)
            self.next_id += len(sentences)
            self.conn.executemany(
                "INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (pid, key, s.text, s.char_start, s.char_end, s.paragraph, s.position)
                    for pid, s in zip(ids.tolist(), sentences, strict=True)
                ),
            )
            ids_parts.append(ids)
            src_parts.append(np.full(len(ids), key, dtype=np.int64))
            vector_parts.append(vectors)
            self.sources += 1
            self.passages += len(sentences)
            self.changed = True
            changes.append("added" if row is None else "replaced")
        if ids_parts and sum(len(i) for i in ids_parts):
            self.add_segment(np.concatenate(ids_parts), np.concatenate(src_parts), np.concatenate(vector_parts), None)
        return changes

    def delete(self, source_id: str) -> bool:
        row = self.conn.execute("SELECT key FROM sources WHERE source_id = ?", (source_id,)).fetchone()
        if row is None:
            return False
        self._remove(row[0])
        self.changed = True
        return True

    def _remove(self, key: int) -> None:
        removed = self.conn.execute(
            "INSERT INTO tombstones SELECT id FROM passages WHERE source_key = ?", (key,)
        ).rowcount
        self.conn.execute("DELETE FROM passages WHERE source_key = ?", (key,))
        self.conn.execute("DELETE FROM sources WHERE key = ?", (key,))
        self.sources -= 1
        self.passages -= removed

    def add_segment(self, ids: Ints, src: Ints, vectors: Floats, ivf: Any | None) -> None:
        number = self.next_segment
        self.next_segment += 1
        self._sweep(number)
        self.new_segments.append(number)
        self.bytes_written += seg.write_segment(self.store._segment_dir, number, ids, src, vectors, ivf)
        self.conn.execute("INSERT INTO segments VALUES (?, ?, ?)", (number, len(ids), int(ivf is not None)))

    def adopt_segment(self, staging: Path, count: int, ivf: bool) -> None:
        """Move a segment built aside into place under the next number."""
        number = self.next_segment
        self.next_segment += 1
        self._sweep(number)
        self.new_segments.append(number)
        final = seg.segment_files(self.store._segment_dir, number)
        for kind, path in seg.segment_files(staging, 0).items():
            if path.exists():
                path.replace(final[kind])
        seg.fsync_dir(self.store._segment_dir)
        self.conn.execute("INSERT INTO segments VALUES (?, ?, ?)", (number, count, int(ivf)))

    def drop_segments(self, numbers: Iterable[int], dead: Ints) -> None:
        for number in numbers:
            self.conn.execute("DELETE FROM segments WHERE number = ?", (number,))
            self.dropped_segments.append(number)
        for chunk in _chunks(dead.tolist()):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(f"DELETE FROM tombstones WHERE passage_id IN ({marks})", chunk)

    def _sweep(self, number: int) -> None:
        """Remove files of segments that never committed (a writer killed before its commit)."""
        directory = self.store._segment_dir
        if not directory.is_dir():
            return
        committed = {r[0] for r in self.conn.execute("SELECT number FROM segments")}
        for path in directory.iterdir():
            found = seg.segment_number(path)
            if found is not None and found not in committed and found not in self.new_segments:
                path.unlink(missing_ok=True)

    def finish(self) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [
                ("next_id", self.next_id),
                ("next_segment", self.next_segment),
                ("sources", self.sources),
                ("passages", self.passages),
                ("version", self.version + 1),
            ],
        )


# -- SQLite helpers ----------------------------------------------------------------------


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60)
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = OFF")
    return conn


def create_database(path: Path, model: str, dimension: int) -> None:
    """A new, empty store: written aside and renamed into place, so it exists whole or not at all."""
    path.mkdir(parents=True, exist_ok=True)
    temporary = path / f"{DATABASE}.tmp"
    temporary.unlink(missing_ok=True)
    conn = sqlite3.connect(temporary, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN")
        for statement in _split_schema(_SCHEMA):
            conn.execute(statement)
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [
                ("format", FORMAT_NAME),
                ("format_version", FORMAT_VERSION),
                ("model", model),
                ("dimension", dimension),
                ("metric", "inner product on L2-normalised vectors (cosine)"),
                ("version", 1),
                ("next_id", 1),
                ("next_segment", 1),
                ("sources", 0),
                ("passages", 0),
                ("created_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
            ],
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    seg._fsync(temporary)
    temporary.replace(path / DATABASE)
    seg.fsync_dir(path)


def _split_schema(schema: str) -> list[str]:
    """Statements of the schema (triggers hold semicolons of their own)."""
    statements, current = [], []
    for line in schema.strip().splitlines():
        current.append(line)
        text = "\n".join(current).strip()
        if text.endswith(";") and (not text.upper().startswith("CREATE TRIGGER") or text.upper().endswith("END;")):
            statements.append(text)
            current = []
    return statements


def _read_meta(path: Path) -> _Meta:
    try:
        conn = sqlite3.connect(f"file:{path / DATABASE}?mode=ro", uri=True)
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta"))
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise IndexCorruptError(f"cannot read {path / DATABASE}: {exc}; {doctor_hint(path)}") from None
    if meta.get("format") != FORMAT_NAME:
        raise IndexCorruptError(f"{path / DATABASE} is not a crosscheck index")
    if int(meta.get("format_version", 0)) != FORMAT_VERSION:
        raise IndexCorruptError(
            f"{path} has index format version {meta.get('format_version')}; this crosscheck reads version "
            f"{FORMAT_VERSION}: rebuild it with `crosscheck ingest --index-dir {path}` from its documents"
        )
    return _Meta(str(meta["model"]), int(meta["dimension"]))


def _read_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0])


@contextlib.contextmanager
def _read_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Several reads from one committed state (WAL gives the reader a snapshot)."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


@contextlib.contextmanager
def _file_lock(directory: Path, *, create: bool) -> Iterator[None]:
    if create:
        directory.mkdir(parents=True, exist_ok=True)
    elif not directory.is_dir():
        raise IndexNotFoundError(f"no index at {directory}; build one with `crosscheck ingest PATH`")
    with (directory / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _group(
    scores: Floats, ids: Ints, keys: Ints, per_source: int, max_sources: int | None
) -> dict[int, list[tuple[int, float]]]:
    """Candidates (best first) grouped per source: sources in order of their best candidate, the first
    ``max_sources`` of them, each with its ``per_source`` best."""
    if not len(ids):
        return {}
    unique, first = np.unique(keys, return_index=True)
    order = np.argsort(first, kind="stable")
    sources = unique[order][:max_sources] if max_sources else unique[order]
    keep = np.isin(keys, sources)
    scores, ids, keys = scores[keep], ids[keep], keys[keep]
    by_source = np.argsort(keys, kind="stable")  # within a source, still best first
    sorted_keys = keys[by_source]
    starts = np.searchsorted(sorted_keys, sorted_keys, side="left")
    rank = np.empty(len(keys), dtype=np.int64)
    rank[by_source] = np.arange(len(keys)) - starts
    top = rank < per_source
    groups: dict[int, list[tuple[int, float]]] = {int(key): [] for key in sources.tolist()}
    for score, pid, key in zip(scores[top].tolist(), ids[top].tolist(), keys[top].tolist(), strict=True):
        groups[key].append((pid, score))
    return groups


def _within_margin(
    scores: Floats, keys: Ints, per_source: int, max_sources: int | None, margin: float
) -> NDArray[np.bool_]:
    """Which candidates (best first) could be among the ``per_source`` best of the ``max_sources``
    best sources if every score moved by less than ``margin / 2``: the grouping of :func:`_group`,
    widened by ``margin`` at both cuts."""
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    best = scores[first]  # best first: a source's first candidate is its best
    if max_sources and len(unique) > max_sources:
        last = np.sort(best)[::-1][max_sources - 1]
        source_ok = best >= last - margin
    else:
        source_ok = np.ones(len(unique), dtype=np.bool_)
    by_source = np.argsort(inverse, kind="stable")  # within a source, still best first
    sorted_inverse = inverse[by_source]
    starts = np.searchsorted(sorted_inverse, sorted_inverse, side="left")
    rank = np.empty(len(keys), dtype=np.int64)
    rank[by_source] = np.arange(len(keys)) - starts
    counts = np.bincount(inverse, minlength=len(unique))
    # the score of each source's per_source-th candidate (its last one returned), -inf when it has fewer
    floor = np.full(len(unique), -np.inf, dtype=np.float64)
    at = rank == per_source - 1
    floor[inverse[at]] = scores[at]
    floor[counts < per_source] = -np.inf
    return np.asarray(source_ok[inverse] & (scores >= floor[inverse] - margin))


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), PARAMETER_LIMIT):
        yield values[start : start + PARAMETER_LIMIT]


def _tier(size: int) -> int:
    tier = 0
    while size >= MERGE_FACTOR:
        size //= MERGE_FACTOR
        tier += 1
    return tier


def _sample(segments: Sequence[Segment], count: int) -> NDArray[np.float32]:
    """A uniform sample of the live vectors of ``segments`` (all of them when fewer)."""
    total = sum(s.live for s in segments)
    rng = np.random.default_rng(0)
    fraction = min(1.0, count / max(total, 1))
    parts = []
    for segment in segments:
        for _, _, vectors in segment.live_rows():
            if fraction < 1.0:
                vectors = vectors[rng.random(len(vectors)) < fraction]
            parts.append(vectors)
    return np.concatenate(parts) if parts else np.empty((0, segments[0].vectors.shape[1]), np.float32)
