"""The embedded default store: SQLite (WAL) for metadata, FAISS/numpy segments for vectors."""

from __future__ import annotations

from pathlib import Path

from index.store.faiss.store import FaissStore


def open_faiss_store(
    path: Path, *, model: str | None = None, dimension: int | None = None, uri: str | None = None
) -> FaissStore:
    return FaissStore.open(Path(path), model=model, dimension=dimension)


__all__ = ["FaissStore", "open_faiss_store"]
