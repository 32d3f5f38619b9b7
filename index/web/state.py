"""What the crawler has seen: a small SQLite file beside the index.

Per listed item URL it keeps the listing's fingerprint of the entry, the article's canonical URL and
content hash, so an unchanged item is not fetched again and a page reached under another URL is not
ingested twice. Per feed or sitemap it keeps the validators (ETag, Last-Modified) for a conditional
GET. Failures are kept with a retry time that doubles with each failure in a row (backing off).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

STATE_FILE = "fetched.sqlite"
RETRY_FIRST = 15 * 60.0  # seconds before a failed URL is tried again, doubling with each failure
RETRY_MAX = 24 * 3600.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS listings (
    url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, checked REAL,
    failures INTEGER NOT NULL DEFAULT 0, retry_after REAL, error TEXT
);
CREATE TABLE IF NOT EXISTS items (
    url TEXT PRIMARY KEY, fingerprint TEXT, canonical_url TEXT, content_hash TEXT, source_id TEXT,
    title TEXT, author TEXT, fetched REAL,
    failures INTEGER NOT NULL DEFAULT 0, retry_after REAL, error TEXT
);
CREATE INDEX IF NOT EXISTS items_by_canonical ON items (canonical_url);
CREATE INDEX IF NOT EXISTS items_by_content ON items (content_hash);
"""


@dataclass(frozen=True)
class SeenItem:
    url: str
    fingerprint: str | None
    canonical_url: str | None
    content_hash: str | None
    source_id: str | None
    failures: int
    retry_after: float | None


@dataclass(frozen=True)
class SeenListing:
    url: str
    etag: str | None
    last_modified: str | None
    failures: int
    retry_after: float | None


def backoff(failures: int, first: float = RETRY_FIRST) -> float:
    """Seconds to wait after ``failures`` failures in a row: ``first``, doubling, at most a day."""
    return float(min(RETRY_MAX, first * 2 ** max(0, failures - 1)))


def state_path(index_dir: Path) -> Path:
    return index_dir / STATE_FILE


class CrawlState:
    """The crawl memory; safe to share between threads of one process, and between processes (WAL)."""

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

    def item(self, url: str) -> SeenItem | None:
        with self._lock:
            row = self._db.execute(
                "SELECT url, fingerprint, canonical_url, content_hash, source_id, failures, retry_after "
                "FROM items WHERE url = ?",
                (url,),
            ).fetchone()
        return SeenItem(*row) if row else None

    def known_article(self, canonical_url: str, content_hash: str) -> str | None:
        """The source id an article with this canonical URL and content was ingested under, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT source_id FROM items WHERE canonical_url = ? AND content_hash = ? AND source_id IS NOT NULL",
                (canonical_url, content_hash),
            ).fetchone()
        return str(row[0]) if row else None

    def listing(self, url: str) -> SeenListing | None:
        with self._lock:
            row = self._db.execute(
                "SELECT url, etag, last_modified, failures, retry_after FROM listings WHERE url = ?", (url,)
            ).fetchone()
        return SeenListing(*row) if row else None

    def record_items(self, rows: list[tuple[str, str, str, str, str, str | None, str | None]]) -> None:
        """Items ingested: (url, fingerprint, canonical_url, content_hash, source_id, title, author)."""
        now = time.time()
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT INTO items (url, fingerprint, canonical_url, content_hash, source_id, title, author, fetched, "
                "failures, retry_after, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL) "
                "ON CONFLICT (url) DO UPDATE SET fingerprint = excluded.fingerprint, "
                "canonical_url = excluded.canonical_url, content_hash = excluded.content_hash, "
                "source_id = excluded.source_id, title = excluded.title, author = excluded.author, "
                "fetched = excluded.fetched, failures = 0, retry_after = NULL, error = NULL",
                [(*row, now) for row in rows],
            )

    def item_failed(self, url: str, error: str) -> float:
        """Count a failure; returns when the item may be tried again (epoch seconds)."""
        return self._failed("items", url, error)

    def listing_failed(self, url: str, error: str, interval: float = RETRY_FIRST) -> float:
        """Count a failure of a feed or sitemap read every ``interval`` seconds: it is tried again in the
        next round, then every second round, every fourth, ... (half an interval early, so the round that
        falls due is not missed by the few seconds the previous round took)."""
        return self._failed("listings", url, error, interval, slack=interval / 2)

    def _failed(self, table: str, url: str, error: str, first: float = RETRY_FIRST, slack: float = 0.0) -> float:
        now = time.time()
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute(f"SELECT failures FROM {table} WHERE url = ?", (url,)).fetchone()
            failures = (row[0] if row else 0) + 1
            retry = now + backoff(failures, first) - slack
            self._db.execute(
                f"INSERT INTO {table} (url, failures, retry_after, error) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET failures = excluded.failures, retry_after = excluded.retry_after, "
                "error = excluded.error",
                (url, failures, retry, error),
            )
        return retry

    def listing_read(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO listings (url, etag, last_modified, checked, failures, retry_after, error) "
                "VALUES (?, ?, ?, ?, 0, NULL, NULL) ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, checked = excluded.checked, failures = 0, "
                "retry_after = NULL, error = NULL",
                (url, etag, last_modified, time.time()),
            )
