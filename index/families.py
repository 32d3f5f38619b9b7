"""Story families: which sources share reporting (wire copy, republications, a passage reused).

At ingest each document's sentences get MinHash signatures (datasketch) whose LSH band keys are
kept in a small SQLite file beside the index (like the crawl state, for either store backend). A
new document looks up only the sentences that share a band key with its own, confirms each pair
with rapidfuzz, and records a link to every source it shares at least ``MIN_SHARED`` sentences
with: the cost follows the document written, not the corpus. A story family is a connected group
of linked sources.

Crash safety: rows are keyed by (source id, content hash) and written *before* the store commits
the document; every read keeps only rows whose hash is the store's current one. A crash between
the two writes leaves rows nobody reads (the rerun writes them again), a replacement's or a
delete's old rows are ignored at once and removed by :meth:`Families.settle`/:meth:`forget`.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rapidfuzz import fuzz

from index.documents import Document
from index.sentences import Sentence, split_sentences
from index.store import PassageStore

if TYPE_CHECKING:
    from datasketch import MinHash

FAMILIES_FILE = "families.sqlite"
# Words a sentence needs to count: headings, captions and "Volg dit onderwerp" lines repeat
# across an outlet's articles without any copying.
MIN_WORDS = 6
# MinHash permutations per sentence: 64 keeps the band rows small; the rapidfuzz check decides.
NUM_PERM = 64
SEED = 21
# Estimated word-set Jaccard above which two sentences become candidates: a sentence with one word
# of six changed is still at 0.71; below 0.5 the candidates are mostly sentences on the same topic.
LSH_THRESHOLD = 0.5
# rapidfuzz ratio (0-100) over normalised text that makes two sentences the same sentence: small
# edits (a word changed, dropped or misspelt) keep the seeds' copied sentences at 84-100, while two
# independent translations of one quote measured 78.
ALIGN_RATIO = 84.0
# Shared sentences that make two sources one story: a single common sentence is as often a
# quoted statement both reported as a copy.
MIN_SHARED = 2
# Sources a family walk visits at most (a read stays bounded on a corpus of wire copy).
FAMILY_LIMIT = 500

Relation = Literal["copies", "copied_by", "shares_text"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS sentences (
    source_id TEXT NOT NULL, content_hash TEXT NOT NULL, position INTEGER NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (source_id, content_hash, position)
);
CREATE TABLE IF NOT EXISTS bands (
    key INTEGER NOT NULL, source_id TEXT NOT NULL, content_hash TEXT NOT NULL, position INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS bands_by_key ON bands (key);
CREATE INDEX IF NOT EXISTS bands_by_source ON bands (source_id);
CREATE TABLE IF NOT EXISTS links (
    a TEXT NOT NULL, a_hash TEXT NOT NULL, b TEXT NOT NULL, b_hash TEXT NOT NULL, shared INTEGER NOT NULL,
    PRIMARY KEY (a, a_hash, b, b_hash)
);
CREATE INDEX IF NOT EXISTS links_by_b ON links (b);
"""


@functools.cache
def _hashing() -> tuple[MinHash, tuple[tuple[int, int], ...]]:
    """The empty MinHash every signature copies (permutations made once) and the LSH band ranges.

    Made on first use: datasketch imports scipy, a second of start-up every CLI run would pay.
    """
    from datasketch import MinHash, MinHashLSH

    bands = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM).hashranges
    return MinHash(num_perm=NUM_PERM, seed=SEED), tuple((start, end) for start, end in bands)


def families_path(index_dir: Path) -> Path:
    return index_dir / FAMILIES_FILE


def normalize(text: str) -> str:
    """Casefolded words without diacritics or digit separators: 8.500, 8500 and 8,500 compare equal."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = re.sub(r"(?<=\d)[.,](?=\d)", "", folded)
    return " ".join(re.findall(r"\w+", folded))


def band_keys(words: Sequence[str]) -> list[int]:
    """One signed 64-bit key per LSH band of the sentence's MinHash (band index included)."""
    empty, bands = _hashing()
    signature = empty.copy()
    signature.update_batch([w.encode() for w in set(words)])
    keys = []
    for band, (start, end) in enumerate(bands):
        digest = hashlib.blake2b(band.to_bytes(2, "big") + signature.hashvalues[start:end].tobytes(), digest_size=8)
        keys.append(int.from_bytes(digest.digest(), "big", signed=True))
    return keys


@dataclass(frozen=True)
class Link:
    """Another source this one shares ``shared`` sentences with; ``relation`` by publication dates:
    ``copies`` when the other was published earlier, ``shares_text`` when the dates cannot tell."""

    other: str
    shared: int
    relation: Relation


@dataclass(frozen=True)
class Relations:
    source_id: str
    family: str  # the smallest source id of the story family: equal ids, one story
    links: tuple[Link, ...]

    def ids(self, relation: Relation) -> list[str]:
        return [link.other for link in self.links if link.relation == relation]


class Families:
    """The family file of one index; safe to share between threads, and between processes (WAL)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # -- writes --------------------------------------------------------------------

    @property
    def complete(self) -> bool:
        """False until every source of the store has been signed (a file made for an existing index)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'complete'").fetchone()
        return row is not None

    def backfill(self, store: PassageStore) -> int:
        """Sign every stored source that has no rows yet (once, for an index built before families
        existed); returns how many were signed."""
        with self._lock:
            known = {tuple(r) for r in self._db.execute("SELECT DISTINCT source_id, content_hash FROM sentences")}
        todo = []
        for record in store.sources():
            text = store.source_text(record.source_id)
            if (record.source_id, record.content_hash) not in known and text:
                todo.append((record.source_id, record.content_hash, split_sentences(text, record.language)))
        for start in range(0, len(todo), 256):
            self._prepare(todo[start : start + 256], store)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('complete', '1')")
        return len(todo)

    def prepare(self, items: Sequence[tuple[Document, Sequence[Sentence]]], store: PassageStore) -> None:
        """Sign documents about to be written and link them to stored sources and to each other
        (one transaction, before the store commits them)."""
        self._prepare([(d.source_id, d.content_hash, s) for d, s in items], store)

    def _prepare(self, items: Sequence[tuple[str, str, Sequence[Sentence]]], store: PassageStore) -> None:
        pending = {(source_id, content_hash) for source_id, content_hash, _ in items}
        current: dict[str, str | None] = {}

        def valid(source_id: str, content_hash: str) -> bool:
            if (source_id, content_hash) in pending:
                return True
            if source_id not in current:
                record = store.source(source_id)
                current[source_id] = record.content_hash if record else None
            return current[source_id] == content_hash

        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                for source_id, content_hash, sentences in items:
                    db.execute(
                        "DELETE FROM sentences WHERE source_id = ? AND content_hash = ?", (source_id, content_hash)
                    )
                    db.execute("DELETE FROM bands WHERE source_id = ? AND content_hash = ?", (source_id, content_hash))
                    db.execute("DELETE FROM links WHERE a = ? AND a_hash = ?", (source_id, content_hash))
                    db.execute("DELETE FROM links WHERE b = ? AND b_hash = ?", (source_id, content_hash))
                    texts = {s.position: normalize(s.text) for s in sentences}
                    texts = {p: t for p, t in texts.items() if len(t.split()) >= MIN_WORDS}
                    keys = {p: band_keys(t.split()) for p, t in texts.items()}
                    shared = self._shared(db, source_id, texts, keys, valid)
                    # the sentinel row -1 marks a signed document even when no sentence is long enough
                    db.executemany(
                        "INSERT INTO sentences VALUES (?, ?, ?, ?)",
                        [
                            (source_id, content_hash, -1, ""),
                            *((source_id, content_hash, p, t) for p, t in texts.items()),
                        ],
                    )
                    db.executemany(
                        "INSERT INTO bands VALUES (?, ?, ?, ?)",
                        [(k, source_id, content_hash, p) for p, ks in keys.items() for k in ks],
                    )
                    db.executemany(
                        "INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?, ?)",
                        [(source_id, content_hash, other, other_hash, n) for (other, other_hash), n in shared.items()],
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    @staticmethod
    def _shared(
        db: sqlite3.Connection,
        source_id: str,
        texts: dict[int, str],
        keys: dict[int, list[int]],
        valid: Callable[[str, str], bool],
    ) -> dict[tuple[str, str], int]:
        """(other source, its hash) -> sentences of this document found again in it."""
        by_key: dict[int, list[int]] = {}
        for position, ks in keys.items():
            for k in ks:
                by_key.setdefault(k, []).append(position)
        candidates: set[tuple[int, str, str, int]] = set()
        all_keys = list(by_key)
        for start in range(0, len(all_keys), 500):
            chunk = all_keys[start : start + 500]
            rows = db.execute(
                f"SELECT key, source_id, content_hash, position FROM bands WHERE key IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            for key, other, other_hash, other_position in rows:
                if other != source_id:
                    for position in by_key[key]:
                        candidates.add((position, other, other_hash, other_position))
        matched: dict[tuple[str, str], tuple[set[int], set[int]]] = {}
        text_of: dict[tuple[str, str, int], str] = {}
        for position, other, other_hash, other_position in sorted(candidates):
            if not valid(other, other_hash):
                continue
            ref = (other, other_hash, other_position)
            if ref not in text_of:
                row = db.execute(
                    "SELECT text FROM sentences WHERE source_id = ? AND content_hash = ? AND position = ?", ref
                ).fetchone()
                text_of[ref] = row[0] if row else ""
            if fuzz.ratio(texts[position], text_of[ref]) >= ALIGN_RATIO:
                mine, theirs = matched.setdefault((other, other_hash), (set(), set()))
                mine.add(position)
                theirs.add(other_position)
        shared = {pair: min(len(mine), len(theirs)) for pair, (mine, theirs) in matched.items()}
        return {pair: n for pair, n in shared.items() if n >= MIN_SHARED}

    def settle(self, source_ids: Iterable[str], store: PassageStore) -> None:
        """After the store's commit: drop the rows of these sources' other versions."""
        with self._lock:
            for source_id in source_ids:
                record = store.source(source_id)
                self._drop(source_id, record.content_hash if record else None)

    def forget(self, source_id: str) -> None:
        """After a delete: the source's rows go (reads ignored them already)."""
        with self._lock:
            self._drop(source_id, None)

    def _drop(self, source_id: str, keep: str | None) -> None:
        keep = keep or ""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM sentences WHERE source_id = ? AND content_hash != ?", (source_id, keep))
            db.execute("DELETE FROM bands WHERE source_id = ? AND content_hash != ?", (source_id, keep))
            db.execute("DELETE FROM links WHERE a = ? AND a_hash != ?", (source_id, keep))
            db.execute("DELETE FROM links WHERE b = ? AND b_hash != ?", (source_id, keep))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- reads ---------------------------------------------------------------------

    def relations(self, store: PassageStore, source_ids: Iterable[str]) -> dict[str, Relations]:
        """Each source's links (to sources as the store holds them now) and its story family."""
        records: dict[str, tuple[str, str | None] | None] = {}

        def current(source_id: str) -> tuple[str, str | None] | None:
            if source_id not in records:
                record = store.source(source_id)
                records[source_id] = (record.content_hash, record.published) if record else None
            return records[source_id]

        def links_of(source_id: str) -> list[tuple[str, int]]:
            mine = current(source_id)
            if mine is None:
                return []
            with self._lock:
                rows = self._db.execute(
                    "SELECT b, b_hash, shared FROM links WHERE a = ? AND a_hash = ? "
                    "UNION ALL SELECT a, a_hash, shared FROM links WHERE b = ? AND b_hash = ?",
                    (source_id, mine[0], source_id, mine[0]),
                ).fetchall()
            found: dict[str, int] = {}
            for other, other_hash, shared in rows:
                theirs = current(other)
                if theirs is not None and theirs[0] == other_hash:
                    found[other] = max(found.get(other, 0), shared)
            return sorted(found.items())

        result: dict[str, Relations] = {}
        family_of: dict[str, str] = {}
        for source_id in dict.fromkeys(source_ids):
            if source_id not in family_of:
                members, frontier = {source_id}, [source_id]
                while frontier and len(members) < FAMILY_LIMIT:
                    for other, _ in links_of(frontier.pop()):
                        if other not in members:
                            members.add(other)
                            frontier.append(other)
                family = min(members)
                family_of.update(dict.fromkeys(members, family))
            mine = current(source_id)
            links = tuple(
                Link(other, shared, _relation(mine[1] if mine else None, (current(other) or ("", None))[1]))
                for other, shared in links_of(source_id)
            )
            result[source_id] = Relations(source_id, family_of[source_id], links)
        return result


def _relation(mine: str | None, theirs: str | None) -> Relation:
    """Who copied whom, by publication date at the coarser precision; unknown or equal: shared text."""
    if not mine or not theirs:
        return "shares_text"
    n = min(len(mine), len(theirs))
    if mine[:n] == theirs[:n]:
        return "shares_text"
    return "copies" if theirs[:n] < mine[:n] else "copied_by"
