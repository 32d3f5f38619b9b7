"""Documents in, indexed sentences out: split, embed in batches, commit.

Embedding dominates the cost, so sentences of many small documents are pooled
into one encoder call, and unchanged documents (same content hash) are skipped
before they are embedded at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from index.documents import Document
from index.embedding import Embedder
from index.sentences import Sentence, split_sentences
from index.store import CorpusIndex, Transaction

# Sentences per encoder call: large enough to amortise per-call overhead, small
# enough that a progress bar moves and memory stays flat.
EMBED_BATCH = 512
# Sentences per generation written while ingesting a large corpus, so a crash
# halfway loses at most this much work.
CHECKPOINT_SENTENCES = 200_000


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
        return f"{', '.join(parts)}; {self.sentences:,} sentences embedded in {self.seconds:.1f}s{rate}"


def ingest(
    index: CorpusIndex,
    embedder: Embedder,
    documents: Iterable[Document],
    *,
    progress: bool = False,
    report: IngestReport | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> IngestReport:
    """Add or replace documents; the index is saved once per checkpoint, atomically."""
    report = report or IngestReport()
    started = time.perf_counter()
    bar = tqdm(unit=" sentences", disable=not progress, desc="ingest", dynamic_ncols=True)
    docs = iter(documents)
    try:
        while True:
            with index.transaction() as txn:
                if not _ingest_until_checkpoint(txn, embedder, docs, report, bar, on_warning):
                    break
    finally:
        bar.close()
        report.seconds = time.perf_counter() - started
    return report


def _ingest_until_checkpoint(
    txn: Transaction,
    embedder: Embedder,
    docs: Iterator[Document],
    report: IngestReport,
    bar: tqdm[Any],
    on_warning: Callable[[str], None] | None,
) -> bool:
    """Fill one transaction; False once the documents are exhausted."""
    written = 0
    for batch in _batches(txn, docs, report, on_warning):
        texts = [s.text for _, sentences in batch for s in sentences]
        vectors = embedder.encode(texts, batch_size=EMBED_BATCH)
        start = 0
        for document, sentences in batch:
            change = txn.upsert(document, sentences, vectors[start : start + len(sentences)])
            start += len(sentences)
            setattr(report, change, getattr(report, change) + 1)
        report.sentences += len(texts)
        written += len(texts)
        bar.update(len(texts))
        if written >= CHECKPOINT_SENTENCES:
            return True
    return False


def _batches(
    txn: Transaction,
    docs: Iterator[Document],
    report: IngestReport,
    on_warning: Callable[[str], None] | None,
) -> Iterator[list[tuple[Document, list[Sentence]]]]:
    batch: list[tuple[Document, list[Sentence]]] = []
    pending = 0
    for document in docs:
        document = document.with_language()  # before hashing: detection is part of the content
        if txn.status(document) == "unchanged":
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
