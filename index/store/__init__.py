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
    open_store,
)
from index.store.legacy import (
    CURRENT_FILE,
    CorpusIndex,
    FaissBackend,
    GenerationStore,
    Snapshot,
    Transaction,
)

__all__ = [
    "BACKENDS",
    "CURRENT_FILE",
    "Change",
    "CorpusIndex",
    "Counts",
    "FaissBackend",
    "GenerationStore",
    "Passage",
    "PassageHit",
    "PassageStore",
    "SearchFilters",
    "Snapshot",
    "SourceHits",
    "SourceRecord",
    "StoreUnavailableError",
    "Transaction",
    "Upsert",
    "open_store",
]
