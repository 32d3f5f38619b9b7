"""The Milvus backend of the passage store: milvus-lite from a local path, or a Milvus server.

Only :mod:`index.store.milvus.store` imports pymilvus; without the extra installed, opening
the store says what to install instead of failing on an import.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.store.base import StoreUnavailableError
from index.store.milvus.target import SERVER_SCHEMES, MilvusTarget, is_server_uri, milvus_target

if TYPE_CHECKING:
    from index.store.milvus.store import MilvusStore

MISSING = "the milvus store needs {name}, which is not installed: pip install 'crosscheck[milvus]'"


def open_milvus_store(path: Path, **options: Any) -> MilvusStore:
    """:func:`index.store.milvus.store.open_milvus_store`, with an actionable message when
    pymilvus or milvus-lite is missing."""
    try:
        from index.store.milvus.store import open_milvus_store as opener
    except ModuleNotFoundError as exc:
        if exc.name not in {"pymilvus", "milvus_lite"}:
            raise
        raise StoreUnavailableError(MISSING.format(name=exc.name)) from None
    return opener(path, **options)


__all__ = ["SERVER_SCHEMES", "MilvusTarget", "is_server_uri", "milvus_target", "open_milvus_store"]
