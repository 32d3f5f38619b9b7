"""Moving a corpus from one passage store to another without embedding it again.

Every source is read back as the document it was indexed from (metadata, text, sentences
with their offsets) with its stored vectors, and written to the target in batches through
``upsert_many``. A source the target already holds unchanged is skipped, so an interrupted
move resumes where it stopped, and running it twice copies nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from index.documents import Document
from index.errors import CrosscheckError, ModelMismatchError
from index.sentences import Sentence
from index.store.base import PassageStore, SourceRecord, StoreUnavailableError, Upsert

# Sources per write: one commit in the target for this many documents.
BATCH_SOURCES = 200


@runtime_checkable
class VectorExport(Protocol):
    """A store that hands out the vectors it holds (the source of a move needs it)."""

    def passage_vectors(self, ids: list[int]) -> NDArray[np.float32]:
        """The stored vectors of these passages, in the order asked."""
        ...


@dataclass
class TransferReport:
    copied: int = 0
    unchanged: int = 0
    passages: int = 0

    def summary(self) -> str:
        return f"{self.copied} sources copied ({self.passages} passages), {self.unchanged} already there"


class TransferError(CrosscheckError):
    """A source could not be read back whole from the store being moved."""


def read_back(store: PassageStore, record: SourceRecord) -> Upsert:
    """One source as ``upsert`` takes it: the document, its sentences and their vectors."""
    if not isinstance(store, VectorExport):
        raise StoreUnavailableError(
            f"{type(store).__name__} cannot hand out its vectors (no passage_vectors), so it cannot be moved "
            "without embedding again; re-ingest the articles into the new store instead"
        )
    text = store.source_text(record.source_id)
    passages = store.source_passages(record.source_id)
    if text is None or len(passages) != record.sentence_count:
        raise TransferError(
            f"source {record.source_id!r} changed while it was being read; run the command again to resume"
        )
    document = Document(
        record.source_id,
        text,
        title=record.title,
        url=record.url,
        published=record.published,
        language=record.language,
        path=record.path,
    )
    sentences = [Sentence(p.text, p.char_start, p.char_end, p.paragraph, p.position) for p in passages]
    vectors = store.passage_vectors([p.id for p in passages])
    return document, sentences, vectors


def transfer(source: PassageStore, target: PassageStore, *, progress: bool = False) -> TransferReport:
    """Copy every source of ``source`` into ``target`` (same model), skipping those already there."""
    if (source.model, source.dimension) != (target.model, target.dimension):
        raise ModelMismatchError(
            f"the target store holds {target.model!r} ({target.dimension}-d) vectors, "
            f"the source store {source.model!r} ({source.dimension}-d)"
        )
    report = TransferReport()
    records = source.sources()
    bar = tqdm(total=len(records), unit=" sources", disable=not progress, desc="migrate", dynamic_ncols=True)
    try:
        for batch in _batches(records):
            pending = []
            for record in batch:
                item = read_back(source, record)
                if target.status(item[0]) == "unchanged":
                    report.unchanged += 1
                else:
                    pending.append(item)
            if pending:
                target.upsert_many(pending)
                report.copied += len(pending)
                report.passages += sum(len(sentences) for _, sentences, _ in pending)
            bar.update(len(batch))
    finally:
        bar.close()
    return report


def _batches(records: list[SourceRecord]) -> Iterator[list[SourceRecord]]:
    for start in range(0, len(records), BATCH_SOURCES):
        yield records[start : start + BATCH_SOURCES]
