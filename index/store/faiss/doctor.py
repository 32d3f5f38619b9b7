"""``crosscheck doctor``: find what is damaged in a store, and repair what can be repaired.

Every source keeps its full text in SQLite, so most damage is recoverable: a source
whose passages or vectors are missing or incomplete is split and embedded again from
its text; vectors without a passage are tombstoned; a damaged segment is dropped and
its sources re-indexed; the lexical index is rebuilt. What cannot be recovered (a
passage whose source row is gone with its text) is removed and named.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from index.documents import Document
from index.errors import CrosscheckError, IndexCorruptError, IndexNotFoundError
from index.sentences import split_sentences
from index.store.faiss import segments as seg
from index.store.faiss.store import DATABASE, LEGACY_POINTER, SEGMENTS, FaissStore, _file_lock

Encode = Callable[[Sequence[str]], NDArray[np.float32]]


@dataclass
class Diagnosis:
    """What the check found; ``reindex`` are sources to split and embed again from their text."""

    problems: list[str] = field(default_factory=list)
    damaged_segments: list[int] = field(default_factory=list)
    reindex: set[str] = field(default_factory=set)
    orphan_vectors: list[int] = field(default_factory=list)
    orphan_passages: list[int] = field(default_factory=list)
    fts_damaged: bool = False
    counts_wrong: bool = False

    @property
    def healthy(self) -> bool:
        return not self.problems


def diagnose(path: Path) -> Diagnosis:
    """Check the store at ``path`` without changing it."""
    found = Diagnosis()
    database = path / DATABASE
    if not database.is_file():
        if (path / LEGACY_POINTER).is_file():
            found.problems.append(f"{path} holds an index of the previous format; opening it migrates it")
            return found
        raise IndexNotFoundError(f"no index at {path}")
    conn = sqlite3.connect(database, isolation_level=None)  # FTS5's integrity check is a write statement
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            found.problems.append(f"{DATABASE} fails SQLite's integrity check: {verdict}")
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        dimension = int(meta["dimension"])
        vector_ids: list[NDArray[np.int64]] = []
        for number, count, ivf in conn.execute("SELECT number, count, ivf FROM segments ORDER BY number"):
            try:
                vector_ids.append(
                    np.asarray(seg.Segment.load(path / SEGMENTS, number, count, dimension, bool(ivf)).ids)
                )
            except IndexCorruptError as exc:
                found.problems.append(str(exc).split("; run")[0])
                found.damaged_segments.append(number)
        tombstones = {r[0] for r in conn.execute("SELECT passage_id FROM tombstones")}
        vectors = set(np.concatenate(vector_ids).tolist()) if vector_ids else set()
        sources = {key: source_id for key, source_id in conn.execute("SELECT key, source_id FROM sources")}
        rows: dict[int, int] = {}
        for pid, key in conn.execute("SELECT id, source_key FROM passages"):
            rows[pid] = key
        missing = [pid for pid in rows if pid not in vectors or pid in tombstones]
        for pid in missing:
            key = rows[pid]
            if key in sources:
                found.reindex.add(sources[key])
        if missing:
            found.problems.append(f"{len(missing):,} passages have no vector")
        found.orphan_passages = sorted(pid for pid, key in rows.items() if key not in sources)
        if found.orphan_passages:
            found.problems.append(
                f"{len(found.orphan_passages):,} passages belong to no source (their source row is gone), "
                f"e.g. passage {found.orphan_passages[0]}"
            )
        found.orphan_vectors = sorted(vectors - tombstones - rows.keys())
        if found.orphan_vectors:
            found.problems.append(f"{len(found.orphan_vectors):,} vectors have no passage row")
        counted = dict(conn.execute("SELECT source_key, count(*) FROM passages GROUP BY source_key"))
        for key, source_id, expected in conn.execute("SELECT key, source_id, sentence_count FROM sources"):
            if counted.get(key, 0) != expected:
                found.reindex.add(source_id)
                found.problems.append(
                    f"source {source_id!r} has {counted.get(key, 0)} passage rows of {expected}: some are missing"
                )
        if int(meta["passages"]) != len(rows) or int(meta["sources"]) != len(sources):
            found.counts_wrong = True
            found.problems.append(
                f"the counts kept in {DATABASE} ({meta['sources']} sources, {meta['passages']} passages) "
                f"differ from its rows ({len(sources)}, {len(rows)})"
            )
        try:
            conn.execute("BEGIN")
            conn.execute("INSERT INTO passages_fts (passages_fts, rank) VALUES ('integrity-check', 1)")  # vs content
        except sqlite3.DatabaseError as exc:
            found.fts_damaged = True
            found.problems.append(f"the lexical (FTS5) index is out of step with the passages: {exc}")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
    except (sqlite3.DatabaseError, KeyError, ValueError) as exc:
        found.problems.append(f"{DATABASE} cannot be read: {exc}; rebuild the index with `crosscheck ingest`")
    finally:
        conn.close()
    return found


def repair(path: Path, encode: Encode | None) -> list[str]:
    """Repair what :func:`diagnose` finds; the actions taken, one line each.

    ``encode`` (the index's embedding model) is needed only to re-index sources."""
    found = diagnose(path)
    if found.healthy:
        return []
    if (path / LEGACY_POINTER).is_file() and not (path / DATABASE).is_file():
        FaissStore.open(path).close()
        return ["migrated the index to the current format"]
    if found.reindex and encode is None:
        raise CrosscheckError("repairing this index re-embeds sources: it needs the embedding model")
    done: list[str] = []
    texts: dict[str, Document] = {}
    with _file_lock(path, create=False):
        conn = sqlite3.connect(path / DATABASE, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            for number in found.damaged_segments:
                conn.execute("DELETE FROM segments WHERE number = ?", (number,))
                done.append(f"dropped damaged vector segment {number}")
            for pid in found.orphan_passages:
                conn.execute("DELETE FROM passages WHERE id = ?", (pid,))
            if found.orphan_passages:
                done.append(f"removed {len(found.orphan_passages):,} passages whose source is gone")
            conn.executemany("INSERT OR IGNORE INTO tombstones VALUES (?)", ((i,) for i in found.orphan_vectors))
            conn.executemany("INSERT OR IGNORE INTO tombstones VALUES (?)", ((i,) for i in found.orphan_passages))
            if found.orphan_vectors:
                done.append(f"tombstoned {len(found.orphan_vectors):,} vectors without a passage")
            if found.fts_damaged:
                conn.execute("INSERT INTO passages_fts (passages_fts) VALUES ('rebuild')")
                done.append("rebuilt the lexical (FTS5) index")
            for source_id in sorted(found.reindex):
                row = conn.execute(
                    "SELECT text, title, url, published, language, path FROM sources WHERE source_id = ?", (source_id,)
                ).fetchone()
                texts[source_id] = Document(source_id, *row)
                # the stale rows go; the source is written again below, from its text
                conn.execute(
                    "INSERT OR IGNORE INTO tombstones SELECT id FROM passages WHERE source_key = "
                    "(SELECT key FROM sources WHERE source_id = ?)",
                    (source_id,),
                )
                conn.execute(
                    "DELETE FROM passages WHERE source_key = (SELECT key FROM sources WHERE source_id = ?)",
                    (source_id,),
                )
                conn.execute("DELETE FROM sources WHERE source_id = ?", (source_id,))
            # tombstones must name vectors that exist, or the counts never agree again
            live_ids: set[int] = set()
            meta = dict(conn.execute("SELECT key, value FROM meta"))
            for number, count, ivf in conn.execute("SELECT number, count, ivf FROM segments").fetchall():
                segment = seg.Segment.load(path / SEGMENTS, number, count, int(meta["dimension"]), bool(ivf))
                live_ids |= set(np.asarray(segment.ids).tolist())
            stale = [r[0] for r in conn.execute("SELECT passage_id FROM tombstones") if r[0] not in live_ids]
            conn.executemany("DELETE FROM tombstones WHERE passage_id = ?", ((i,) for i in stale))
            sources = conn.execute("SELECT count(*) FROM sources").fetchone()[0]
            passages = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('sources', ?)", (sources,))
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('passages', ?)", (passages,))
            conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'version'")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()
    for number in found.damaged_segments:
        seg.remove_segment(path / SEGMENTS, number)
    if texts:
        assert encode is not None
        store = FaissStore.open(path)
        items = []
        for document in texts.values():
            sentences = split_sentences(document.text, document.language)
            items.append((document, sentences, encode([s.text for s in sentences])))
        store.upsert_many(items)
        store.compact(force=True)
        store.close()
        done.append(f"re-indexed {len(texts):,} sources from their stored text: {', '.join(sorted(texts)[:5])}")
    remaining = diagnose(path)
    if not remaining.healthy:
        done.extend(f"NOT repaired: {problem}" for problem in remaining.problems)
    return done
