"""The passage store (see :mod:`index.store.base`) and its backends.

``from index.store import ...`` gives the interface and its records; the rest of
crosscheck opens a store with :func:`open_store` and never imports a backend.
"""

from index.store.base import (
    BACKENDS,
    Change,
    Counts,
    Passage,
    PassageHit,
    PassageStore,
    SearchFilters,
    SourceHits,
    SourceRecord,
    StoreUnavailableError,
    Upsert,
    check_store,
    open_store,
)

__all__ = [
    "BACKENDS",
    "Change",
    "Counts",
    "Passage",
    "PassageHit",
    "PassageStore",
    "SearchFilters",
    "SourceHits",
    "SourceRecord",
    "StoreUnavailableError",
    "Upsert",
    "check_store",
    "open_store",
]
