"""The passage store: the one interface between the corpus on disk and the rest of crosscheck.

Everything above ``index/`` (verification, search, the API, batch, benchmarks) reads
and writes passages through :class:`PassageStore` and never imports a vector engine.
A backend lives in ``index/store/<name>/`` and is done when the conformance suite
(``tests/index/store/conformance.py``) passes on it; :func:`open_store` picks one by
``CROSSCHECK_STORE``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from index.documents import Document
from index.errors import CrosscheckError
from index.sentences import Sentence

Change = Literal["added", "replaced", "unchanged"]

# name -> "module:function"; the function has the signature of :func:`open_store` minus ``backend``.
BACKENDS: dict[str, str] = {
    "faiss": "index.store.faiss:open_faiss_store",
    "milvus": "index.store.milvus:open_milvus_store",
}
DEFAULT_BACKEND = "faiss"
# Whether a backend with a lexical index fuses it into search (CROSSCHECK_HYBRID; service/settings.py
# declares and validates it, and documents the default chosen by measurement in docs/performance.md).
DEFAULT_HYBRID = True
_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})


class StoreUnavailableError(CrosscheckError):
    """The configured store backend is unknown or not installed."""


def hybrid_from_env() -> bool:
    """``CROSSCHECK_HYBRID`` as pydantic reads a bool (the store is opened below the settings layer)."""
    raw = os.environ.get("CROSSCHECK_HYBRID", "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    if raw:
        raise StoreUnavailableError(f"CROSSCHECK_HYBRID={raw!r}: use true or false")
    return DEFAULT_HYBRID


@dataclass(frozen=True)
class SourceRecord:
    """A source as the store knows it: one document's metadata (its text is read on demand)."""

    source_id: str
    title: str | None
    url: str | None
    published: str | None
    language: str | None
    path: str | None
    content_hash: str
    sentence_count: int


@dataclass(frozen=True)
class Passage:
    """One indexed sentence with its provenance."""

    id: int
    source_id: str
    text: str
    char_start: int
    char_end: int
    paragraph: int
    position: int


@dataclass(frozen=True)
class PassageHit:
    """A passage and its cosine similarity to the query (inner product of L2-normalised vectors)."""

    passage: Passage
    similarity: float


@dataclass(frozen=True)
class SourceHits:
    """The best passages of one source for one query, best first."""

    source: SourceRecord
    hits: tuple[PassageHit, ...]

    @property
    def best(self) -> float:
        return self.hits[0].similarity if self.hits else 0.0


@dataclass(frozen=True)
class SearchFilters:
    """Which sources a search may return.

    Dates are normalised ISO prefixes (``2022``, ``2022-02``, ``2022-02-03``), both
    bounds inclusive, compared at the coarser of the two precisions: ``2022-02`` is
    after ``2022-01-15`` only because its month is later. A source without a date
    passes only when no date bound is set. Unknown ``source_ids`` raise
    :class:`~index.errors.UnknownSourceError`.
    """

    source_ids: frozenset[str] | None = None
    published_after: str | None = None
    published_before: str | None = None

    @property
    def empty(self) -> bool:
        return self.source_ids is None and self.published_after is None and self.published_before is None

    @property
    def dated(self) -> bool:
        return self.published_after is not None or self.published_before is not None

    def date_ok(self, published: str | None) -> bool:
        if published is None:
            return not self.dated
        after, before = self.published_after, self.published_before
        if after and published[: len(after)] < after[: len(published)]:
            return False
        return not (before and published[: len(before)] > before[: len(published)])


@dataclass(frozen=True)
class Counts:
    sources: int
    passages: int


Upsert = tuple[Document, Sequence[Sentence], NDArray[np.float32]]


@runtime_checkable
class PassageStore(Protocol):
    """Passages with their vectors, grouped by source; every write is atomic.

    ``version`` changes on every committed write, this process's or another's;
    callers key their caches on it. Readers in other processes call
    :meth:`refresh` (cheap when nothing changed) to see a write.
    """

    model: str
    dimension: int
    # Whether ``search`` uses ``texts`` (a lexical index fused with the dense ranking); a
    # dense-only backend says False and ignores them.
    lexical: bool

    @property
    def version(self) -> int: ...

    def refresh(self) -> bool:
        """Pick up another process's write; True when the version changed."""
        ...

    # -- writes ------------------------------------------------------------------

    def status(self, document: Document) -> Change:
        """What upserting this document would do; lets ingest skip embedding unchanged ones."""
        ...

    def upsert(self, document: Document, sentences: Sequence[Sentence], vectors: NDArray[np.float32]) -> Change: ...

    def upsert_many(self, items: Iterable[Upsert]) -> list[Change]:
        """Several documents in one atomic write (ingest commits in such checkpoints)."""
        ...

    def delete(self, source_id: str) -> bool: ...

    def compact(self, *, force: bool = False) -> bool:
        """Reorganise storage if due (``force``: now), e.g. drop deleted vectors, merge segments,
        build or retrain an approximate index; True if anything was done. Ingest calls it at the end."""
        ...

    # -- reads -------------------------------------------------------------------

    def search(
        self,
        vectors: NDArray[np.float32],
        *,
        per_source: int = 3,
        max_sources: int | None = None,
        filters: SearchFilters | None = None,
        texts: Sequence[str] | None = None,
    ) -> list[list[SourceHits]]:
        """One list per query vector: sources ranked by their best passage, each with its
        ``per_source`` best passages. ``texts`` (the queries, same order) lets a backend with
        a lexical index (``lexical``) choose the passages by a fused ranking, so exact names and
        figures the embedding misses get in; similarities stay the dense cosine and order the
        result as without them."""
        ...

    def passages(self, ids: Sequence[int]) -> list[Passage]:
        """The passages with these ids, in the order asked (ids no longer stored are left out)."""
        ...

    def neighbors(self, passage_id: int, before: int, after: int) -> list[Passage]:
        """The passages around one in its source, itself included, in reading order."""
        ...

    def source_passages(self, source_id: str) -> list[Passage]: ...

    def source(self, source_id: str) -> SourceRecord | None: ...

    def source_text(self, source_id: str) -> str | None: ...

    def sources(self) -> list[SourceRecord]:
        """Every source, sorted by source id."""
        ...

    def counts(self) -> Counts: ...

    def close(self) -> None: ...


def open_store(
    path: str | Path,
    *,
    model: str | None = None,
    dimension: int | None = None,
    backend: str | None = None,
    uri: str | None = None,
) -> PassageStore:
    """Open the store at ``path`` (or ``uri`` for a server backend).

    With ``dimension`` a missing store is created; without it a missing one raises
    :class:`~index.errors.IndexNotFoundError`. With ``model``, a store built by another
    embedding model is refused (:class:`~index.errors.ModelMismatchError`). ``backend``
    defaults to ``CROSSCHECK_STORE``, then ``faiss``.
    """
    name = (backend or os.environ.get("CROSSCHECK_STORE") or DEFAULT_BACKEND).strip().lower()
    target = BACKENDS.get(name)
    if target is None:
        raise StoreUnavailableError(
            f"unknown store backend {name!r} (CROSSCHECK_STORE); choose one of {', '.join(sorted(BACKENDS))}"
        )
    module_name, function = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            raise StoreUnavailableError(
                f"the {name!r} store backend is not part of this build of crosscheck (CROSSCHECK_STORE={name})"
            ) from None
        raise StoreUnavailableError(
            f"the {name!r} store backend needs {exc.name}, which is not installed: pip install 'crosscheck[{name}]'"
        ) from None
    opener = getattr(module, function)
    store: PassageStore = opener(Path(path), model=model, dimension=dimension, uri=uri)
    return store


def check_store(
    path: str | Path,
    *,
    repair: bool = False,
    encode: Callable[[Sequence[str]], NDArray[np.float32]] | None = None,
    backend: str | None = None,
) -> tuple[list[str], list[str]]:
    """(problems found, repairs made) for the embedded store at ``path``; ``encode`` re-embeds
    sources whose vectors or passages were lost (each source's text is kept, so they can be)."""
    name = (backend or os.environ.get("CROSSCHECK_STORE") or DEFAULT_BACKEND).strip().lower()
    if name != "faiss":
        raise StoreUnavailableError(f"crosscheck doctor checks the embedded (faiss) store, not {name!r}")
    from index.store.faiss.doctor import diagnose
    from index.store.faiss.doctor import repair as repair_store

    problems = diagnose(Path(path)).problems
    done = repair_store(Path(path), encode) if repair and problems else []
    return problems, done
