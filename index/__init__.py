"""Corpus side of crosscheck: articles -> sentences -> embeddings -> passage store.

This package knows documents, sentences, vectors and ids, never claims; the
``service`` package builds verification on top of it.
"""

from index.documents import Document, iter_documents
from index.errors import (
    CrosscheckError,
    DocumentError,
    EmbedderError,
    IndexCorruptError,
    IndexNotFoundError,
    ModelMismatchError,
    UnknownSourceError,
)
from index.ingest import IngestReport
from index.sentences import Sentence, split_sentences
from index.store import Passage, PassageHit, PassageStore, SearchFilters, SourceHits, SourceRecord, open_store

__all__ = [
    "CrosscheckError",
    "Document",
    "DocumentError",
    "EmbedderError",
    "IndexCorruptError",
    "IndexNotFoundError",
    "IngestReport",
    "ModelMismatchError",
    "Passage",
    "PassageHit",
    "PassageStore",
    "SearchFilters",
    "Sentence",
    "SourceHits",
    "SourceRecord",
    "UnknownSourceError",
    "iter_documents",
    "open_store",
    "split_sentences",
]
