"""The Milvus backend of the passage store: milvus-lite from a file, or a Milvus server or cluster.

Only this package imports pymilvus; without it, opening the store says what to install.
"""

from __future__ import annotations

try:
    import pymilvus  # noqa: F401  (checked here so the message names the extra to install)
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from index.store.base import StoreUnavailableError

    raise StoreUnavailableError(
        f"the milvus store needs {exc.name}, which is not installed: pip install 'crosscheck[milvus]'"
    ) from None

from index.store.milvus.store import MilvusStore, milvus_target, open_milvus_store

__all__ = ["MilvusStore", "milvus_target", "open_milvus_store"]
