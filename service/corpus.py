"""The corpus as the service uses it: one embedder and one passage store, opened on demand.

Every front door (CLI, HTTP API, batch) goes through a :class:`Corpus`, so the
rules for finding, bootstrapping and checking an index live here once. The store
is reached only through :class:`~index.store.PassageStore`; which backend serves it
is the settings' choice (``CROSSCHECK_STORE``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from index.documents import Document, iter_documents, unusable_character
from index.embedding import Embedder, LazyEmbedder
from index.errors import DocumentError, IndexNotFoundError, UnknownSourceError
from index.families import Families, Relations, families_path
from index.ingest import IngestReport, ingest
from index.store import Change, PassageStore, SearchFilters, SourceHits, SourceRecord, open_store
from index.web import Crawler, CrawlState, Fetcher, is_listing_file, is_url, state_path
from service.errors import InvalidClaimError
from service.settings import Settings, fetch_policy

log = logging.getLogger(__name__)

Notify = Callable[[str], None]


@dataclass(frozen=True)
class SearchResult:
    query: str
    sources: list[SourceHits]


def check_text(text: object, *, max_chars: int, what: str = "claim") -> str:
    """The text, stripped; an empty, non-text or overlong one is refused with a clear message."""
    if not isinstance(text, str):
        raise InvalidClaimError(f"the {what} must be text, got {type(text).__name__}", field=what)
    stripped = text.strip()
    if not stripped:
        raise InvalidClaimError(f"the {what} is empty", field=what)
    problem = unusable_character(stripped)
    if problem:
        raise InvalidClaimError(f"the {what} {problem}", field=what)
    if len(stripped) > max_chars:
        raise too_long(what, len(stripped), max_chars)
    return stripped


def too_long(what: str, length: int, limit: int) -> InvalidClaimError:
    return InvalidClaimError(
        f"the {what} has {length:,} characters; the limit is {limit:,} "
        "(one claim is a sentence or two, not a document)",
        field=what,
    )


class Corpus:
    """Lazily opened embedder + passage store for one settings object."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder: Embedder = embedder or LazyEmbedder(settings.model, threads=settings.threads)
        self._store: PassageStore | None = None
        self._store_lock = threading.Lock()
        self._families: Families | None = None
        self._families_lock = threading.Lock()  # not the store's: the store opens families under its lock

    def store(self, *, bootstrap: bool = False, notify: Notify | None = None) -> PassageStore:
        """The store, brought up to date with any other process's writes (a cheap check when none).

        With ``bootstrap``, a missing index is built from the bundled seeds.
        """
        if self._store is None:
            with self._store_lock:
                if self._store is None:
                    self._store = self._open(bootstrap, notify)
        else:
            self._store.refresh()
        return self._store

    def _open_store(self, *, create: bool) -> PassageStore:
        """The model id is checked without loading the model; its dimension is needed only to create."""
        return open_store(
            self.settings.index_dir,
            model=self.embedder.model_id,
            dimension=self.embedder.dimension if create else None,
            backend=self.settings.store,
            uri=self.settings.milvus_uri,
        )

    def _open(self, bootstrap: bool, notify: Notify | None) -> PassageStore:
        try:
            return self._open_store(create=False)
        except IndexNotFoundError:
            if not bootstrap:
                raise
        path, seeds = self.settings.index_dir, self.settings.seeds_dir
        if not seeds.is_dir():
            raise IndexNotFoundError(
                f"no index at {path} and no seed corpus at {seeds}; build one with `crosscheck ingest PATH`"
            )
        if notify:
            notify(f"No index at {path} yet: building one from the bundled seeds in {seeds} ...")
        store = self._open_store(create=True)
        report = ingest(store, self.embedder, iter_documents([seeds], on_error=_log_error), families=self.families())
        if notify:
            notify(f"Indexed {report.documents} sources, {report.sentences} sentences.")
        return store

    def _writable(self) -> PassageStore:
        if self._store is None:
            with self._store_lock:
                if self._store is None:
                    try:
                        self._store = self._open_store(create=False)
                    except IndexNotFoundError:
                        self._store = self._open_store(create=True)
        return self._store

    def ingest_paths(
        self,
        paths: Iterable[str | Path],
        *,
        progress: bool = False,
        on_warning: Callable[[str], None] | None = None,
        listing_backoff: float | None = None,
    ) -> IngestReport:
        """Ingest files, directories and URLs (article pages, feeds, sitemaps; feed files too).

        Unreadable files and URLs that fail are counted and reported, not fatal. What the crawl saw is
        remembered beside the index (``index.web.state``) once the index has saved it, so the next run
        fetches only what is new. ``report.crawl`` holds the crawl's figures when there were URLs.
        """
        report = IngestReport()

        def record(error: DocumentError) -> None:
            report.failed += 1
            report.warn(str(error), on_warning)

        targets = list(paths)
        web = [t for t in targets if is_url(t) or is_listing_file(t)]
        files = [t for t in targets if t not in web]
        store = self._writable()
        documents: Iterable[Document] = iter_documents(files, on_error=record, exclude=[self.settings.index_dir])
        if not web:
            return ingest(
                store,
                self.embedder,
                documents,
                progress=progress,
                report=report,
                on_warning=on_warning,
                families=self.families(),
            )
        with self.crawler(on_error=record, listing_backoff=listing_backoff) as crawler:
            documents = chain(documents, crawler.documents(web))
            ingest(
                store,
                self.embedder,
                documents,
                progress=progress,
                report=report,
                on_warning=on_warning,
                families=self.families(),
            )
            crawler.commit()
            report.crawl = crawler.report
        return report

    @contextmanager
    def crawler(
        self, *, on_error: Callable[[DocumentError], None] | None = None, listing_backoff: float | None = None
    ) -> Iterator[Crawler]:
        """A crawler with this corpus's fetch settings and crawl state, closed afterwards."""
        state = CrawlState(state_path(self.settings.index_dir))
        fetcher = Fetcher(fetch_policy(self.settings))
        try:
            yield Crawler(fetcher, state, on_error=on_error, listing_backoff=listing_backoff)
        finally:
            fetcher.close()
            state.close()

    def put_url(
        self, url: str, *, source_id: str | None = None, overrides: Mapping[str, str] | None = None
    ) -> tuple[Change, SourceRecord]:
        """Fetch one article page and add or replace it (its source id made from its URL unless given).

        ``overrides`` (title, published, language) take the place of what the page says; the URL kept is
        the page's canonical one.
        """
        with Fetcher(fetch_policy(self.settings)) as fetcher:
            article = Crawler(fetcher).article(url)
        fields = {k: v for k, v in (overrides or {}).items() if k in {"title", "published", "language"}}
        return self.put_document(replace(article.document(source_id=source_id), **fields))

    def ingest_documents(self, documents: Iterable[Document]) -> IngestReport:
        return ingest(self._writable(), self.embedder, documents, families=self.families())

    def put_document(self, document: Document) -> tuple[Change, SourceRecord]:
        """Add or replace one document; when this returns it is saved and every reader sees it."""
        report = self.ingest_documents([document])
        if report.empty:
            raise DocumentError(f"document {document.source_id!r}: no sentences found in its text")
        change: Change = "added" if report.added else "replaced" if report.replaced else "unchanged"
        record = self.store().source(document.source_id)
        if record is None:  # deleted by another writer between the two steps
            raise DocumentError(f"document {document.source_id!r} was deleted while it was being written")
        return change, record

    def delete(self, source_id: str) -> bool:
        deleted = self.store().delete(source_id)
        self.families().forget(source_id)
        return deleted

    def families(self) -> Families:
        """The story families beside the index (``index.families``), opened on first use."""
        if self._families is None:
            with self._families_lock:
                if self._families is None:
                    self._families = Families(families_path(self.settings.index_dir))
        return self._families

    def relations(self, source_ids: Iterable[str]) -> dict[str, Relations]:
        """Which stored sources each of these shares reporting with, and its story family."""
        return self.families().relations(self.store(), source_ids)

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self.embedder.encode(texts)

    def check_filters(self, filters: SearchFilters | None) -> None:
        """Refuse unknown source ids before any work is done (a batch checks this before its first row)."""
        if filters is None or filters.source_ids is None:
            return
        store = self.store(bootstrap=True)
        unknown = sorted(s for s in filters.source_ids if store.source(s) is None)
        if unknown:
            raise UnknownSourceError(f"unknown source id(s): {', '.join(unknown)}")

    def search(
        self,
        queries: Sequence[str],
        *,
        top_k: int | None = None,
        max_sources: int | None = None,
        filters: SearchFilters | None = None,
    ) -> list[SearchResult]:
        """Top passages per source for each query; queries are embedded in one batch."""
        queries = [check_text(q, max_chars=self.settings.max_claim_chars, what="query") for q in queries]
        store = self.store(bootstrap=True)
        vectors = self.embed(queries)
        grouped = store.search(
            vectors,
            per_source=top_k or self.settings.top_k,
            max_sources=max_sources or self.settings.max_sources,
            filters=filters,
            texts=queries,
        )
        return [SearchResult(q, hits) for q, hits in zip(queries, grouped, strict=True)]

    def sources(self) -> list[SourceRecord]:
        return self.store(bootstrap=True).sources()


def _log_error(error: DocumentError) -> None:
    log.warning("%s", error)
