"""The generation format of crosscheck's index before segments; kept to read (and migrate) such indexes.

The store proper is :mod:`index.store.faiss`; this module is used only by
:mod:`index.store.faiss.migrate` and by tests that make an index of the old format.

Layout of an index directory::

    CURRENT              name of the live generation, e.g. "gen-000007"
    gen-000007/
        manifest.json    format version, model id, dimension, counts
        vectors.faiss    IndexIDMap2(IndexFlatIP): ids are passage ids
        meta.sqlite      sources (with their full text) and passages
    .lock                serialises writers across processes

Every save writes a complete new generation beside the live one, fsyncs it,
and only then swaps ``CURRENT`` by an atomic rename. A crash at any moment
leaves ``CURRENT`` naming a complete generation, so the previous index still
loads. Readers hold an immutable :class:`Snapshot`; a write builds the next
snapshot aside and swaps one reference, so a search sees the index before or
after a write, never half of it. Other processes notice a new generation
through ``CURRENT`` and reload.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from index.documents import Document
from index.errors import IndexCorruptError, IndexNotFoundError, ModelMismatchError, UnknownSourceError
from index.sentences import Sentence
from index.store.base import Change, Passage, PassageHit, SourceHits, SourceRecord

log = logging.getLogger(__name__)

FORMAT_NAME = "crosscheck-index"
FORMAT_VERSION = 1
CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"
MANIFEST_FILE = "manifest.json"
VECTORS_FILE = "vectors.faiss"
META_FILE = "meta.sqlite"
GENERATION_PREFIX = "gen-"


class VectorBackend(Protocol):
    """The vector engine behind the index; FAISS today, another engine later."""

    dimension: int

    @property
    def size(self) -> int: ...

    def add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None: ...

    def remove(self, ids: NDArray[np.int64]) -> None: ...

    def search(
        self, vectors: NDArray[np.float32], k: int, allowed: NDArray[np.int64] | None = None
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]: ...

    def copy(self) -> VectorBackend: ...

    def save(self, path: Path) -> None: ...


# Query-vector comparisons below which a search is not worth parallelising.
_SERIAL_SEARCH_WORK = 2_000_000


@functools.cache
def _omp_default_threads() -> int:
    import faiss

    return int(faiss.omp_get_max_threads())


class FaissBackend:
    """Exact inner-product search over L2-normalised vectors (cosine similarity)."""

    def __init__(self, dimension: int, index: Any | None = None) -> None:
        import faiss

        self.dimension = dimension
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        _omp_default_threads()  # read before a small search sets the count to 1, or large ones stay serial

    @classmethod
    def load(cls, path: Path) -> FaissBackend:
        import faiss

        index = faiss.read_index(str(path))
        return cls(index.d, index)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))

    def remove(self, ids: NDArray[np.int64]) -> None:
        import faiss

        if len(ids):
            self._index.remove_ids(faiss.IDSelectorBatch(ids.astype(np.int64)))

    def search(
        self, vectors: NDArray[np.float32], k: int, allowed: NDArray[np.int64] | None = None
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        import faiss

        params = None
        if allowed is not None:
            params = faiss.SearchParameters()
            params.sel = faiss.IDSelectorBatch(allowed.astype(np.int64))
        # Small searches run on one OpenMP thread: waking the OpenMP pool right
        # after the encoder's BLAS threads made a 0.05 ms search cost 6 ms.
        small = len(vectors) * self.size <= _SERIAL_SEARCH_WORK
        faiss.omp_set_num_threads(1 if small else _omp_default_threads())
        scores, ids = self._index.search(np.ascontiguousarray(vectors, dtype=np.float32), k, params=params)
        return scores, ids

    def copy(self) -> FaissBackend:
        import faiss

        return FaissBackend(self.dimension, faiss.clone_index(self._index))

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))


@dataclass(frozen=True)
class Snapshot:
    """An immutable, consistent view of the index at one generation."""

    model: str
    dimension: int
    generation: int
    next_id: int
    vectors: VectorBackend
    sources: dict[str, SourceRecord]
    passages: dict[int, Passage]
    by_source: dict[str, tuple[int, ...]]
    texts: dict[str, str]

    @property
    def passage_count(self) -> int:
        return len(self.passages)

    def manifest(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "model": self.model,
            "dimension": self.dimension,
            "metric": "inner product on L2-normalised vectors (cosine)",
            "generation": self.generation,
            "next_id": self.next_id,
            "counts": {"sources": len(self.sources), "passages": len(self.passages)},
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }

    def source_passages(self, source_id: str) -> list[Passage]:
        return [self.passages[pid] for pid in self.by_source.get(source_id, ())]

    def neighbors(self, passage: Passage, window: int = 1) -> list[Passage]:
        """The passages around one in its source, itself included, in reading order."""
        ids = self.by_source.get(passage.source_id, ())
        position = passage.position
        lo, hi = max(0, position - window), min(len(ids), position + window + 1)
        return [self.passages[pid] for pid in ids[lo:hi]]

    def search(
        self,
        vectors: NDArray[np.float32],
        *,
        per_source: int = 3,
        max_sources: int | None = None,
        source_ids: Collection[str] | None = None,
        candidates: int = 1024,
    ) -> list[list[SourceHits]]:
        """Top passages per source for each query vector, sources by their best passage.

        A plain global top-k would drop a source whose best passage ranks just
        below the cut; here the candidate pool is large (the whole index when it
        holds up to ``candidates`` passages) and hits are grouped per source.
        """
        vectors = np.atleast_2d(vectors)
        allowed = None
        pool = len(self.passages)
        if source_ids is not None:
            unknown = [s for s in source_ids if s not in self.sources]
            if unknown:
                raise UnknownSourceError(f"unknown source id(s): {', '.join(sorted(unknown))}")
            allowed = np.fromiter((pid for s in source_ids for pid in self.by_source[s]), dtype=np.int64)
            pool = len(allowed)
        if pool == 0:
            return [[] for _ in range(len(vectors))]
        wanted = per_source * (max_sources or len(self.sources))
        k = min(pool, max(candidates, 4 * wanted))
        scores, ids = self.vectors.search(vectors, k, allowed)
        results = []
        for row_scores, row_ids in zip(scores, ids, strict=True):
            grouped: dict[str, list[PassageHit]] = {}
            for score, pid in zip(row_scores.tolist(), row_ids.tolist(), strict=True):
                if pid < 0:
                    break
                passage = self.passages[pid]
                hits = grouped.setdefault(passage.source_id, [])
                if len(hits) < per_source:
                    hits.append(PassageHit(passage, float(score)))
            ranked = [SourceHits(self.sources[s], tuple(h)) for s, h in grouped.items()]
            ranked.sort(key=lambda group: -group.best)
            results.append(ranked[:max_sources] if max_sources else ranked)
        return results


def _empty_snapshot(model: str, dimension: int) -> Snapshot:
    return Snapshot(model, dimension, 0, 1, FaissBackend(dimension), {}, {}, {}, {})


class Transaction:
    """Changes to the index made aside and committed as one new generation."""

    def __init__(self, base: Snapshot) -> None:
        self._base = base
        self._vectors: VectorBackend | None = None
        self._sources = dict(base.sources)
        self._passages = dict(base.passages)
        self._by_source = dict(base.by_source)
        self._texts = dict(base.texts)
        self._next_id = base.next_id
        self.changed = False

    def status(self, document: Document) -> Change:
        """What upserting this document would do; lets ingest skip embedding unchanged files."""
        existing = self._sources.get(document.source_id)
        if existing is None:
            return "added"
        return "unchanged" if existing.content_hash == document.content_hash else "replaced"

    def _writable(self) -> VectorBackend:
        if self._vectors is None:
            self._vectors = self._base.vectors.copy()
        return self._vectors

    def upsert(self, document: Document, sentences: Sequence[Sentence], vectors: NDArray[np.float32]) -> Change:
        """Add a document, or replace the one with the same source id."""
        change = self.status(document)
        if change == "unchanged":
            return change
        if len(sentences) != len(vectors):
            raise ValueError(f"{len(sentences)} sentences but {len(vectors)} vectors")
        if len(vectors) and vectors.shape[1] != self._base.dimension:
            raise ModelMismatchError(
                f"vectors have {vectors.shape[1]} dimensions; the index holds {self._base.dimension}"
            )
        if change == "replaced":
            self.delete(document.source_id)
        ids = np.arange(self._next_id, self._next_id + len(sentences), dtype=np.int64)
        self._next_id += len(sentences)
        self._writable().add(ids, vectors)
        for pid, sentence in zip(ids.tolist(), sentences, strict=True):
            self._passages[pid] = Passage(
                pid,
                document.source_id,
                sentence.text,
                sentence.char_start,
                sentence.char_end,
                sentence.paragraph,
                sentence.position,
            )
        self._by_source[document.source_id] = tuple(ids.tolist())
        self._sources[document.source_id] = SourceRecord(
            source_id=document.source_id,
            title=document.title,
            url=document.url,
            published=document.published,
            language=document.language,
            path=document.path,
            content_hash=document.content_hash,
            sentence_count=len(sentences),
        )
        self._texts[document.source_id] = document.text
        self.changed = True
        return change

    def delete(self, source_id: str) -> bool:
        if source_id not in self._sources:
            return False
        ids = self._by_source.pop(source_id)
        self._writable().remove(np.asarray(ids, dtype=np.int64))
        for pid in ids:
            del self._passages[pid]
        del self._sources[source_id]
        del self._texts[source_id]
        self.changed = True
        return True

    def snapshot(self) -> Snapshot:
        return replace(
            self._base,
            generation=self._base.generation + 1,
            next_id=self._next_id,
            vectors=self._vectors or self._base.vectors,
            sources=self._sources,
            passages=self._passages,
            by_source=self._by_source,
            texts=self._texts,
        )


class CorpusIndex:
    """A sentence index in a directory: load, add, delete, search, save."""

    def __init__(self, path: Path, snapshot: Snapshot) -> None:
        self.path = path
        self._snapshot = snapshot
        self._write_lock = threading.Lock()
        self._current_stat = _stat_key(path / CURRENT_FILE)

    # -- opening ---------------------------------------------------------------

    @staticmethod
    def exists(path: str | Path) -> bool:
        return (Path(path) / CURRENT_FILE).is_file()

    @classmethod
    def open(cls, path: str | Path, *, model: str | None = None) -> CorpusIndex:
        """Load the live generation; with ``model``, refuse an index built by another one."""
        path = Path(path)
        if not cls.exists(path):
            raise IndexNotFoundError(f"no index at {path}; build one with `crosscheck ingest PATH`")
        snapshot = _read_generation(path)
        if model is not None and snapshot.model != model:
            raise ModelMismatchError(
                f"the index at {path} was built with model {snapshot.model!r} "
                f"({snapshot.dimension}-d), but the configured model is {model!r}; "
                f"set CROSSCHECK_MODEL={snapshot.model} or rebuild the index into another --index-dir"
            )
        return cls(path, snapshot)

    @classmethod
    def open_or_create(cls, path: str | Path, *, model: str, dimension: int) -> CorpusIndex:
        path = Path(path)
        if cls.exists(path):
            index = cls.open(path, model=model)
            if index.snapshot.dimension != dimension:
                raise ModelMismatchError(
                    f"the index at {path} holds {index.snapshot.dimension}-d vectors; "
                    f"model {model!r} makes {dimension}-d ones"
                )
            return index
        return cls(path, _empty_snapshot(model, dimension))

    # -- reading ---------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def refresh(self) -> bool:
        """Pick up a generation another process saved; True when it changed."""
        key = _stat_key(self.path / CURRENT_FILE)
        if key == self._current_stat:
            return False
        with self._write_lock:
            return self._reload_if_changed()

    def _reload_if_changed(self) -> bool:
        key = _stat_key(self.path / CURRENT_FILE)
        if key == self._current_stat or key is None:
            return False
        snapshot = _read_generation(self.path)
        self._current_stat = key
        if snapshot.generation == self._snapshot.generation:
            return False
        self._snapshot = snapshot
        return True

    # -- writing ---------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Serialised writes: the changes become one new generation on success, nothing on error."""
        with self._write_lock, _file_lock(self.path):
            self._reload_if_changed()
            txn = Transaction(self._snapshot)
            yield txn
            if txn.changed:
                snapshot = txn.snapshot()
                _write_generation(self.path, snapshot)
                self._current_stat = _stat_key(self.path / CURRENT_FILE)
                self._snapshot = snapshot

    def add(self, document: Document, sentences: Sequence[Sentence], vectors: NDArray[np.float32]) -> Change:
        with self.transaction() as txn:
            return txn.upsert(document, sentences, vectors)

    def delete(self, source_id: str) -> bool:
        with self.transaction() as txn:
            return txn.delete(source_id)

    def save(self) -> None:
        """Write the current snapshot as a new generation (e.g. to create an empty index)."""
        with self._write_lock, _file_lock(self.path):
            snapshot = replace(self._snapshot, generation=self._snapshot.generation + 1)
            _write_generation(self.path, snapshot)
            self._current_stat = _stat_key(self.path / CURRENT_FILE)
            self._snapshot = snapshot


# -- on-disk format ------------------------------------------------------------


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@contextlib.contextmanager
def _file_lock(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_SCHEMA = """
CREATE TABLE sources (
    source_id TEXT PRIMARY KEY, title TEXT, url TEXT, published TEXT, language TEXT,
    path TEXT, content_hash TEXT NOT NULL, sentence_count INTEGER NOT NULL, text TEXT NOT NULL
);
CREATE TABLE passages (
    id INTEGER PRIMARY KEY, source_id TEXT NOT NULL REFERENCES sources(source_id),
    text TEXT NOT NULL, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
    paragraph INTEGER NOT NULL, position INTEGER NOT NULL
);
CREATE INDEX passages_by_source ON passages(source_id, position);
"""


def _write_metadata(path: Path, snapshot: Snapshot) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.executescript(_SCHEMA)
        conn.executemany(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    s.source_id,
                    s.title,
                    s.url,
                    s.published,
                    s.language,
                    s.path,
                    s.content_hash,
                    s.sentence_count,
                    snapshot.texts[s.source_id],
                )
                for s in snapshot.sources.values()
            ),
        )
        conn.executemany(
            "INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (p.id, p.source_id, p.text, p.char_start, p.char_end, p.paragraph, p.position)
                for p in snapshot.passages.values()
            ),
        )
        conn.commit()
    finally:
        conn.close()


def _write_generation(root: Path, snapshot: Snapshot) -> None:
    """Write a complete generation aside, fsync it, then point CURRENT at it."""
    root.mkdir(parents=True, exist_ok=True)
    name = f"{GENERATION_PREFIX}{snapshot.generation:06d}"
    staging = root / f".tmp-{name}-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    snapshot.vectors.save(staging / VECTORS_FILE)
    _write_metadata(staging / META_FILE, snapshot)
    (staging / MANIFEST_FILE).write_text(json.dumps(snapshot.manifest(), indent=2) + "\n", encoding="utf-8")
    for child in staging.iterdir():
        _fsync_file(child)
    _fsync_dir(staging)
    final = root / name
    if final.exists():  # left by a crash after the rename but before CURRENT moved
        shutil.rmtree(final)
    staging.rename(final)
    _fsync_dir(root)
    pointer = root / f".{CURRENT_FILE}.tmp"
    pointer.write_text(name + "\n", encoding="utf-8")
    _fsync_file(pointer)
    pointer.replace(root / CURRENT_FILE)
    _fsync_dir(root)
    _collect_garbage(root, keep={name})


def _collect_garbage(root: Path, keep: set[str]) -> None:
    """Drop old generations and abandoned staging directories, keeping the newest previous one."""
    generations = sorted(p.name for p in root.glob(f"{GENERATION_PREFIX}*") if p.is_dir())
    live = max(keep)
    older = [g for g in generations if g < live]
    keep = keep | set(older[-1:])  # a reader in another process may still be loading it
    for name in generations:
        if name not in keep:
            shutil.rmtree(root / name, ignore_errors=True)
    for staging in root.glob(".tmp-*"):
        pid = staging.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid)):
            continue
        shutil.rmtree(staging, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_generation(root: Path) -> Snapshot:
    try:
        name = (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise IndexCorruptError(f"cannot read {root / CURRENT_FILE}: {exc}") from None
    directory = root / name
    if not name.startswith(GENERATION_PREFIX) or not directory.is_dir():
        raise IndexCorruptError(
            f"{root / CURRENT_FILE} names {name!r}, which is not a generation in {root}; "
            "rebuild the index with `crosscheck ingest`"
        )
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"unreadable manifest in {directory}: {exc}") from None
    if manifest.get("format") != FORMAT_NAME:
        raise IndexCorruptError(f"{directory} is not a crosscheck index")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexCorruptError(
            f"{directory} has index format version {manifest.get('format_version')}; "
            f"this crosscheck reads version {FORMAT_VERSION}. Rebuild the index with `crosscheck ingest`"
        )
    try:
        vectors = FaissBackend.load(directory / VECTORS_FILE)
        sources, passages, by_source, texts = _read_metadata(directory / META_FILE)
    except (RuntimeError, sqlite3.Error, OSError) as exc:
        raise IndexCorruptError(f"cannot load the index in {directory}: {exc}") from None
    if vectors.size != len(passages) or vectors.dimension != manifest["dimension"]:
        raise IndexCorruptError(
            f"{directory} is inconsistent: {vectors.size} vectors of {vectors.dimension} dimensions "
            f"for {len(passages)} passages of {manifest['dimension']}"
        )
    return Snapshot(
        model=manifest["model"],
        dimension=int(manifest["dimension"]),
        generation=int(manifest["generation"]),
        next_id=int(manifest["next_id"]),
        vectors=vectors,
        sources=sources,
        passages=passages,
        by_source=by_source,
        texts=texts,
    )


def _read_metadata(
    path: Path,
) -> tuple[dict[str, SourceRecord], dict[int, Passage], dict[str, tuple[int, ...]], dict[str, str]]:
    if not path.is_file():
        raise OSError(f"missing {path.name}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        sources: dict[str, SourceRecord] = {}
        texts: dict[str, str] = {}
        for row in conn.execute(
            "SELECT source_id, title, url, published, language, path, content_hash, sentence_count, text "
            "FROM sources ORDER BY source_id"
        ):
            sources[row[0]] = SourceRecord(*row[:8])
            texts[row[0]] = row[8]
        passages: dict[int, Passage] = {}
        grouped: dict[str, list[int]] = {}
        for row in conn.execute(
            "SELECT id, source_id, text, char_start, char_end, paragraph, position "
            "FROM passages ORDER BY source_id, position"
        ):
            passage = Passage(*row)
            passages[passage.id] = passage
            grouped.setdefault(passage.source_id, []).append(passage.id)
    finally:
        conn.close()
    return sources, passages, {s: tuple(ids) for s, ids in grouped.items()}, texts
