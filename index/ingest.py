"""Documents in, indexed sentences out: split, embed in batches, commit.

Embedding dominates the cost, so sentences of many small documents are pooled
into one encoder call, and unchanged documents (same content hash) are skipped
before they are embedded at all.
"""

from __future__ import annotations

import operator
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from queue import Full, Queue
from typing import Any

from tqdm import tqdm

from index.documents import Document
from index.embedding import Embedder
from index.families import Families
from index.sentences import Sentence, split_sentences
from index.store import PassageStore, Upsert
from index.web.crawl import CrawlReport

_Batch = list[tuple[Document, list[Sentence]]]

# Sentences per encoder call: large enough to amortise per-call overhead, small
# enough that a progress bar moves and memory stays flat.
EMBED_BATCH = 512
# Sentences per commit while ingesting: a write costs what it adds, so commits can be
# frequent, and a crash or interruption loses at most this much embedding work (a rerun
# skips every document already committed).
CHECKPOINT_SENTENCES = 4_096


@dataclass
class IngestReport:
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    failed: int = 0
    empty: int = 0
    sentences: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    crawl: CrawlReport | None = None  # what fetching from the web did, when URLs were ingested

    def warn(self, message: str, on_warning: Callable[[str], None] | None = None) -> None:
        self.errors.append(message)
        if on_warning:
            on_warning(message)

    @property
    def documents(self) -> int:
        return self.added + self.replaced + self.unchanged

    @property
    def sentences_per_second(self) -> float:
        return self.sentences / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        parts = [
            f"{self.added} added",
            f"{self.replaced} replaced",
            f"{self.unchanged} unchanged",
        ]
        if self.empty:
            parts.append(f"{self.empty} without sentences")
        if self.failed:
            parts.append(f"{self.failed} failed")
        rate = f" ({self.sentences_per_second:,.0f}/s)" if self.sentences else ""
        crawl = f"\nweb: {self.crawl.summary()}" if self.crawl else ""
        return f"{', '.join(parts)}; {self.sentences:,} sentences embedded in {self.seconds:.1f}s{rate}{crawl}"


def ingest(
    store: PassageStore,
    embedder: Embedder,
    documents: Iterable[Document],
    *,
    progress: bool = False,
    report: IngestReport | None = None,
    on_warning: Callable[[str], None] | None = None,
    families: Families | None = None,
) -> IngestReport:
    """Add or replace documents, committed in checkpoints; compacts the store at the end if due.

    Documents are read as they are needed (memory holds one checkpoint, not the corpus), and
    a document already committed is skipped unembedded, so a rerun after an interruption
    resumes where the last checkpoint left off. With ``families``, each checkpoint's documents
    are signed and linked to the sources they share text with just before the store commits
    them (see :mod:`index.families`).
    """
    report = report or IngestReport()
    if families is not None and not families.complete:
        families.backfill(store)
    started = time.perf_counter()
    bar = _Progress(report, operator.length_hint(documents, 0) if progress else 0, enabled=progress)
    batches = _prefetch(_prepare(store, iter(documents), report, on_warning))
    try:
        more = True
        while more:
            items: list[Upsert] = []
            more = _fill(items, embedder, batches, report, bar)
            if families is not None:
                families.prepare([(document, sentences) for document, sentences, _ in items], store)
            for change in store.upsert_many(items):
                setattr(report, change, getattr(report, change) + 1)
            if families is not None:
                families.settle([document.source_id for document, _, _ in items], store)
        bar.advance(0)
        store.compact()
    finally:
        batches.close()
        bar.close()
        report.seconds = time.perf_counter() - started
    return report


def _fill(
    items: list[Upsert],
    embedder: Embedder,
    batches: Iterator[_Batch],
    report: IngestReport,
    bar: _Progress,
) -> bool:
    """Embed batches into one checkpoint's items; False once the documents are exhausted."""
    written = 0
    for batch in batches:
        texts = [s.text for _, sentences in batch for s in sentences]
        vectors = embedder.encode(texts, batch_size=EMBED_BATCH)
        start = 0
        for document, sentences in batch:
            items.append((document, sentences, vectors[start : start + len(sentences)]))
            start += len(sentences)
        report.sentences += len(texts)
        written += len(texts)
        bar.advance(len(batch))
        if written >= CHECKPOINT_SENTENCES:
            return True
    return False


class _Progress:
    """The ingest bar. It counts documents, unchanged ones too (they are done work), so with the
    number expected (``operator.length_hint`` of the documents, as :func:`~index.documents.iter_documents`
    gives it) it shows an ETA; without one, a count and a rate. Sentences a second go in the postfix."""

    def __init__(self, report: IngestReport, expected: int, *, enabled: bool) -> None:
        self.report = report
        self.embedded = 0
        self.started = time.perf_counter()
        self.bar: tqdm[Any] = tqdm(
            total=expected or None, unit=" docs", desc="ingest", disable=not enabled, dynamic_ncols=True
        )

    def advance(self, embedded: int) -> None:
        """``embedded`` more documents embedded; the skipped ones are read from the report."""
        self.embedded += embedded
        done = self.report.unchanged + self.report.empty + self.embedded
        if self.report.sentences:
            rate = self.report.sentences / max(time.perf_counter() - self.started, 1e-9)
            self.bar.set_postfix_str(f"{rate:,.0f} sentences/s", refresh=False)
        self.bar.update(max(done - self.bar.n, 0))

    def close(self) -> None:
        self.bar.close()


def _prepare(
    store: PassageStore,
    docs: Iterator[Document],
    report: IngestReport,
    on_warning: Callable[[str], None] | None,
) -> Iterator[_Batch]:
    """Documents that differ from the saved index, split into sentences, in embedding-sized batches."""
    batch: _Batch = []
    pending = 0
    for document in docs:
        document = document.with_language()  # before hashing: detection is part of the content
        if store.status(document) == "unchanged":
            report.unchanged += 1
            continue
        sentences = split_sentences(document.text, document.language)
        if not sentences:
            report.empty += 1
            report.warn(f"{document.path or document.source_id}: no sentences found; not indexed", on_warning)
            continue
        batch.append((document, sentences))
        pending += len(sentences)
        if pending >= EMBED_BATCH:
            yield batch
            batch, pending = [], 0
    if batch:
        yield batch


def _prefetch(batches: Iterator[_Batch], depth: int = 2) -> Generator[_Batch, None, None]:
    """Prepare the next batches (read, detect language, split) while the current one is embedded.

    The encoder spends most of its time in numpy without the GIL, so reading
    and splitting in a second thread hides most of their cost.
    """
    queue: Queue[_Batch | BaseException | None] = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        queue.put(batch, timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(None)
        except BaseException as exc:  # re-raised in the consumer
            queue.put(exc)

    producer = threading.Thread(target=produce, name="ingest-prefetch", daemon=True)
    producer.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        producer.join()
