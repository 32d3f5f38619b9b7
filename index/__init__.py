"""Corpus side of crosscheck: articles -> sentences -> embeddings -> FAISS index.

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
from index.store import CorpusIndex, Passage, PassageHit, Snapshot, SourceHits, SourceRecord

__all__ = [
    "CorpusIndex",
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
    "Sentence",
    "Snapshot",
    "SourceHits",
    "SourceRecord",
    "UnknownSourceError",
    "iter_documents",
    "split_sentences",
]
