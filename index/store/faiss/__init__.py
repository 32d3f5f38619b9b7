"""The embedded default store: FAISS vectors and SQLite metadata in one directory."""

from index.store.legacy import open_generation_store as open_faiss_store

__all__ = ["open_faiss_store"]
