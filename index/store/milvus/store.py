"""The passage store on Milvus, through pymilvus' ``MilvusClient``.

One URI names the database: a local path opens milvus-lite (embedded, one process at a
time, for development and tests), ``http(s)://host:19530`` a Milvus standalone or cluster.

Two collections, named ``<prefix>_passages`` and ``<prefix>_sources``:

``passages``
    one row per sentence: ``id`` (assigned by Milvus, unique across writers), ``source_id``,
    ``gen``, the offsets, the text, ``published`` (the source's date, repeated so that the
    date filter is a Milvus filter expression) and the vector (inner product; the vectors are
    L2-normalised, so the score is the cosine).
``sources``
    one *head* row per source (``kind`` 0: the metadata, ``gen`` and the first piece of the
    text), extra rows for texts longer than one VARCHAR (``kind`` 1), and one row of store
    metadata (``kind`` 2: model, dimension, version). Milvus wants a vector field in every
    collection, so this one carries a constant 2-d vector nobody searches.

Milvus has no transactions, so a write is made atomic for readers by a commit point: the
passages of a new version of a document are inserted under a new ``gen``, then the head
rows of the write are upserted in one request (the commit), then the passages of older
gens are deleted. Readers only use passages whose ``gen`` is their source's head ``gen``,
so a search, ``passages`` or ``neighbors`` sees a document before or after a write, never
half of it; a crash between the insert and the commit leaves unreferenced rows that no read
returns and the next write of that source deletes. Collections are created with Strong
consistency, so a read sees every write acknowledged before it (read-your-writes across
processes). ``version`` is a row that every write bumps; ``refresh`` reads it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from pymilvus import DataType, MilvusClient, MilvusException

from index.documents import Document
from index.errors import IndexNotFoundError, ModelMismatchError, UnknownSourceError
from index.sentences import Sentence
from index.store.base import (
    Change,
    Counts,
    Passage,
    PassageHit,
    SearchFilters,
    SourceHits,
    SourceRecord,
    StoreUnavailableError,
    Upsert,
)
from index.store.milvus.target import MilvusTarget, milvus_target

log = logging.getLogger(__name__)

FORMAT_VERSION: Final = 1
DEFAULT_COLLECTION: Final = "crosscheck"

# Milvus' limits: the largest top-k and query window, and the longest VARCHAR (bytes).
MAX_TOPK: Final = 16_384
MAX_VARCHAR: Final = 65_535
TEXT_PIECE_BYTES: Final = 60_000
# Candidates grouped per query: as the FAISS store, at least this many, and 4x what is kept.
MIN_CANDIDATES: Final = 1024
# The server builds HNSW; searches ask for ef >= the candidates wanted (recall, not speed, first).
SERVER_INDEX: Final = {"index_type": "HNSW", "metric_type": "IP", "params": {"M": 16, "efConstruction": 200}}
LITE_INDEX: Final = {"index_type": "FLAT", "metric_type": "IP", "params": {}}
INSERT_ROWS: Final = 2_000  # rows per insert request, well under Milvus' 64 MB a request

HEAD, TEXT, META = 0, 1, 2
META_KEY: Final = "m:store"
PASSAGE_FIELDS: Final = ["source_id", "gen", "text", "char_start", "char_end", "paragraph", "position"]
SOURCE_FIELDS: Final = [
    "source_id",
    "gen",
    "title",
    "url",
    "published",
    "language",
    "path",
    "content_hash",
    "sentence_count",
    "chunks",
    "text",
]


# -- milvus-lite servers are per path and per process: stop one when its last store closes --

_lite_lock = threading.Lock()
_lite_users: dict[str, int] = {}


def _lite_opened(path: str) -> None:
    with _lite_lock:
        _lite_users[path] = _lite_users.get(path, 0) + 1


def _lite_closed(path: str) -> None:
    with _lite_lock:
        _lite_users[path] -= 1
        if _lite_users[path]:
            return
        del _lite_users[path]
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(path)


class _Guarded:
    """The client, with Milvus' errors turned into one clear line naming the database."""

    def __init__(self, client: MilvusClient, target: MilvusTarget) -> None:
        self.client = client
        self._target = target

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except MilvusException as exc:
                raise StoreUnavailableError(f"Milvus at {self._target}: {exc.message}") from exc

        return call


def literal(value: str) -> str:
    """A string literal for a Milvus filter expression (milvus-lite has no filter templates)."""
    return json.dumps(value, ensure_ascii=False)


def date_expression(filters: SearchFilters) -> str | None:
    """:meth:`SearchFilters.date_ok` as a filter on ``published`` (``""`` when undated).

    Dates compare at the coarser precision, so a bound matches more than a string comparison:
    after ``2022-02-10`` admits ``2022-02`` and ``2022`` (prefixes of the bound), before
    ``2022-02`` admits ``2022-02-28`` (values that start with the bound).
    """
    after, before = filters.published_after, filters.published_before
    if not after and not before:
        return None
    clauses = ['published != ""']
    if after:
        prefixes = [after[:n] for n in (4, 7) if n < len(after)]
        clause = f"published >= {literal(after)}"
        if prefixes:
            clause = f"({clause} or published in [{', '.join(map(literal, prefixes))}])"
        clauses.append(clause)
    if before:
        clauses.append(f"(published <= {literal(before)} or published like {literal(before + '%')})")
    return " and ".join(clauses)


def _text_pieces(text: str) -> list[str]:
    """The text cut into pieces that each fit one VARCHAR (whose limit is in UTF-8 bytes)."""
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + TEXT_PIECE_BYTES // 4)
        while end < len(text) and len(text[start : end + 1024].encode()) <= TEXT_PIECE_BYTES:
            end = min(len(text), end + 1024)
        pieces.append(text[start:end])
        start = end
    return pieces or [""]


def _next_token(previous: int) -> int:
    """A new gen or version: time-based, so writers in other processes almost surely differ,
    and above ``previous`` so that one writer's values only grow."""
    return max(time.time_ns(), previous + 1)


def _none(value: str) -> str | None:
    return value or None


class MilvusStore:
    """A :class:`~index.store.PassageStore` on Milvus."""

    lexical = False  # dense only: search ignores ``texts`` (Milvus 2.5's BM25 functions are not used yet)

    def __init__(self, client: MilvusClient, target: MilvusTarget, prefix: str) -> None:
        self._client = _Guarded(client, target)
        self.target = target
        self.passages_collection = f"{prefix}_passages"
        self.sources_collection = f"{prefix}_sources"
        meta = self._meta()
        if meta is None:
            raise IndexNotFoundError(f"{self.sources_collection} at {target} holds no crosscheck store")
        if int(meta["sentence_count"]) <= 0 or meta["content_hash"] != f"format-{FORMAT_VERSION}":
            raise StoreUnavailableError(
                f"{self.sources_collection} at {target} is not a crosscheck store of format {FORMAT_VERSION}"
            )
        self.model: str = meta["title"]
        self.dimension: int = int(meta["sentence_count"])
        self._version = int(meta["gen"])
        self._closed = False
        if target.lite:
            _lite_opened(target.uri)

    # -- creating and opening ------------------------------------------------------

    @classmethod
    def create(cls, client: MilvusClient, target: MilvusTarget, prefix: str, model: str, dimension: int) -> None:
        """Make both collections and the metadata row (Strong consistency: read-your-writes)."""
        passages = client.create_schema(auto_id=True, enable_dynamic_field=False)
        passages.add_field("id", DataType.INT64, is_primary=True)
        passages.add_field("source_id", DataType.VARCHAR, max_length=1024)
        passages.add_field("gen", DataType.INT64)
        passages.add_field("position", DataType.INT64)
        passages.add_field("paragraph", DataType.INT64)
        passages.add_field("char_start", DataType.INT64)
        passages.add_field("char_end", DataType.INT64)
        passages.add_field("published", DataType.VARCHAR, max_length=32)
        passages.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR)
        passages.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        index = client.prepare_index_params()
        index.add_index("vector", **(LITE_INDEX if target.lite else SERVER_INDEX))
        if not target.lite:  # the filters on source_id (neighbours, a source's passages) use it
            index.add_index("source_id", index_type="INVERTED")

        sources = client.create_schema(auto_id=False, enable_dynamic_field=False)
        sources.add_field("key", DataType.VARCHAR, is_primary=True, max_length=1100)
        sources.add_field("kind", DataType.INT64)
        sources.add_field("source_id", DataType.VARCHAR, max_length=1024)
        sources.add_field("gen", DataType.INT64)
        for name in ("title", "url", "published", "language", "path", "content_hash", "text"):
            sources.add_field(name, DataType.VARCHAR, max_length=MAX_VARCHAR)
        sources.add_field("sentence_count", DataType.INT64)
        sources.add_field("chunks", DataType.INT64)
        sources.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
        sources_index = client.prepare_index_params()
        sources_index.add_index("unused", index_type="FLAT", metric_type="L2")

        passages_name, sources_name = f"{prefix}_passages", f"{prefix}_sources"
        client.create_collection(passages_name, schema=passages, index_params=index, consistency_level="Strong")
        client.create_collection(sources_name, schema=sources, index_params=sources_index, consistency_level="Strong")
        # Last: a store is only a store once this row exists (a crash before it leaves a
        # half-made pair of collections that the next create reuses).
        meta = _source_row(
            META_KEY, META, "", _next_token(0), model, "", "", "", "", f"format-{FORMAT_VERSION}", dimension
        )
        client.upsert(sources_name, [meta])

    # -- version ---------------------------------------------------------------------

    @property
    def version(self) -> int:
        return self._version

    def refresh(self) -> bool:
        meta = self._meta()
        version = int(meta["gen"]) if meta else self._version
        changed = version != self._version
        self._version = version
        return changed

    def _meta(self) -> dict[str, Any] | None:
        rows = self._client.get(self.sources_collection, ids=[META_KEY], output_fields=["*"])
        return dict(rows[0]) if rows else None

    def _bump(self) -> None:
        """Record a committed write: every reader's next ``refresh`` sees a new version."""
        meta = self._meta()
        current = int(meta["gen"]) if meta else self._version
        self._version = _next_token(max(current, self._version))
        self._client.upsert(self.sources_collection, [_meta_row(self._version, self.model, self.dimension)])

    # -- writes ----------------------------------------------------------------------

    def status(self, document: Document) -> Change:
        head = self._heads([document.source_id]).get(document.source_id)
        if head is None:
            return "added"
        return "unchanged" if head["content_hash"] == document.content_hash else "replaced"

    def upsert(self, document: Document, sentences: Sequence[Sentence], vectors: NDArray[np.float32]) -> Change:
        (change,) = self.upsert_many([(document, sentences, vectors)])
        return change

    def upsert_many(self, items: Iterable[Upsert]) -> list[Change]:
        """Documents written together: their passages first, then all their heads in one
        request (the commit), then the passages they replace are deleted."""
        batch = list(items)
        for _, sentences, vectors in batch:
            self._check(sentences, vectors)
        heads = self._heads([document.source_id for document, _, _ in batch])
        changes: list[Change] = []
        written: dict[str, tuple[Document, Sequence[Sentence], NDArray[np.float32]]] = {}
        for document, sentences, vectors in batch:
            head = heads.get(document.source_id)
            earlier = written.get(document.source_id)
            if earlier is not None:
                change: Change = "unchanged" if earlier[0].content_hash == document.content_hash else "replaced"
            elif head is None:
                change = "added"
            else:
                change = "unchanged" if head["content_hash"] == document.content_hash else "replaced"
            changes.append(change)
            if change != "unchanged":
                written[document.source_id] = (document, sentences, vectors)
        if not written:
            return changes
        gen = _next_token(max([self._version, *(int(h["gen"]) for h in heads.values())]))
        passage_rows: list[dict[str, Any]] = []
        head_rows: list[dict[str, Any]] = []
        text_rows: list[dict[str, Any]] = []
        for document, sentences, vectors in written.values():
            published = document.published or ""
            for sentence, vector in zip(sentences, vectors, strict=True):
                passage_rows.append(
                    {
                        "source_id": document.source_id,
                        "gen": gen,
                        "position": sentence.position,
                        "paragraph": sentence.paragraph,
                        "char_start": sentence.char_start,
                        "char_end": sentence.char_end,
                        "published": published,
                        "text": sentence.text,
                        "vector": np.asarray(vector, dtype=np.float32),
                    }
                )
            pieces = _text_pieces(document.text)
            for number, piece in enumerate(pieces[1:], start=1):
                key = f"t:{gen}:{number}:{document.source_id}"
                text_rows.append(_source_row(key, TEXT, document.source_id, gen, text=piece, count=number))
            head_rows.append(
                _source_row(
                    f"s:{document.source_id}",
                    HEAD,
                    document.source_id,
                    gen,
                    document.title or "",
                    document.url or "",
                    published,
                    document.language or "",
                    document.path or "",
                    document.content_hash,
                    len(sentences),
                    chunks=len(pieces),
                    text=pieces[0],
                )
            )
        for start in range(0, len(passage_rows), INSERT_ROWS):
            self._client.insert(self.passages_collection, passage_rows[start : start + INSERT_ROWS])
        if text_rows:
            self._client.insert(self.sources_collection, text_rows)
        self._client.upsert(self.sources_collection, head_rows)  # the commit
        self._delete_older(list(written), gen)
        self._bump()
        return changes

    def _check(self, sentences: Sequence[Sentence], vectors: NDArray[np.float32]) -> None:
        if len(sentences) != len(vectors):
            raise ValueError(f"{len(sentences)} sentences but {len(vectors)} vectors")
        if len(vectors) and (vectors.ndim != 2 or vectors.shape[1] != self.dimension):
            raise ModelMismatchError(f"vectors have {vectors.shape[-1]} dimensions; the store holds {self.dimension}")

    def _delete_older(self, source_ids: list[str], gen: int) -> None:
        """Drop what the given sources held before ``gen`` (or everything, with ``gen`` 0)."""
        for start in range(0, len(source_ids), 256):
            ids = f"[{', '.join(map(literal, source_ids[start : start + 256]))}]"
            older = f" and gen < {gen}" if gen else ""
            self._client.delete(self.passages_collection, filter=f"source_id in {ids}{older}")
            self._client.delete(self.sources_collection, filter=f"kind == {TEXT} and source_id in {ids}{older}")

    def compact(self, *, force: bool = False) -> bool:
        """Milvus merges segments and drops deleted rows in the background by itself; ``force``
        asks it to start now (it returns before the compaction is done)."""
        if not force:
            return False
        self._client.compact(self.passages_collection)
        self._client.compact(self.sources_collection)
        return True

    def delete(self, source_id: str) -> bool:
        if source_id not in self._heads([source_id]):
            return False
        self._client.delete(self.sources_collection, ids=[f"s:{source_id}"])  # the commit
        self._delete_older([source_id], 0)
        self._bump()
        return True

    # -- reads -----------------------------------------------------------------------

    def _heads(self, source_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        keys = sorted({f"s:{source_id}" for source_id in source_ids})
        heads: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), 1024):
            for row in self._client.get(
                self.sources_collection, ids=keys[start : start + 1024], output_fields=SOURCE_FIELDS
            ):
                heads[row["source_id"]] = dict(row)
        return heads

    def _current(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows that belong to their source's committed version."""
        rows = list(rows)
        heads = self._heads(row["source_id"] for row in rows)
        return [row for row in rows if row["source_id"] in heads and row["gen"] == heads[row["source_id"]]["gen"]]

    def search(
        self,
        vectors: NDArray[np.float32],
        *,
        per_source: int = 3,
        max_sources: int | None = None,
        filters: SearchFilters | None = None,
        texts: Sequence[str] | None = None,
    ) -> list[list[SourceHits]]:
        """Dense search only (``texts`` is unused: no lexical index here). Hits are grouped per
        source here rather than with Milvus' ``group_by_field``: milvus-lite groups over a small
        over-fetch only, and one code path keeps lite and server results the same."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        expression = self._filter_expression(filters or SearchFilters())
        if expression is None:
            return [[] for _ in range(len(vectors))]
        wanted = per_source * (max_sources or self._source_count())
        limit = min(MAX_TOPK, max(MIN_CANDIDATES, 4 * wanted))
        params = {} if self.target.lite else {"params": {"ef": limit}}
        found = self._client.search(
            self.passages_collection,
            data=list(vectors),
            limit=limit,
            filter=expression,
            output_fields=PASSAGE_FIELDS,
            search_params=params,
        )
        heads = self._heads({hit["entity"]["source_id"] for hits in found for hit in hits})
        results = []
        for hits in found:
            grouped: dict[str, list[PassageHit]] = {}
            for hit in hits:
                row = hit["entity"]
                head = heads.get(row["source_id"])
                if head is None or row["gen"] != head["gen"]:
                    continue  # a write in flight or abandoned: not this source's current passages
                group = grouped.setdefault(row["source_id"], [])
                if len(group) < per_source:
                    group.append(PassageHit(_passage(hit["id"], row), float(hit["distance"])))
            ranked = [SourceHits(_record(heads[s]), tuple(group)) for s, group in grouped.items()]
            ranked.sort(key=lambda group: -group.best)
            results.append(ranked[:max_sources] if max_sources else ranked)
        return results

    def _filter_expression(self, filters: SearchFilters) -> str | None:
        """The Milvus filter for these filters; None when no source can match."""
        clauses = []
        if filters.source_ids is not None:
            known = self._heads(filters.source_ids)
            unknown = sorted(filters.source_ids - set(known))
            if unknown:
                raise UnknownSourceError(f"unknown source id(s): {', '.join(unknown)}")
            if not known:
                return None
            clauses.append(f"source_id in [{', '.join(map(literal, sorted(known)))}]")
        dates = date_expression(filters)
        if dates:
            clauses.append(dates)
        return " and ".join(clauses)

    def passages(self, ids: Sequence[int]) -> list[Passage]:
        if not ids:
            return []
        rows = self._client.get(self.passages_collection, ids=list(ids), output_fields=PASSAGE_FIELDS)
        by_id = {row["id"]: _passage(row["id"], row) for row in self._current(rows)}
        return [by_id[i] for i in ids if i in by_id]

    def passage_vectors(self, ids: Sequence[int]) -> NDArray[np.float32]:
        """The stored vectors of these passages, in the order asked (for moving a store:
        :mod:`index.store.transfer`)."""
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        if not ids:
            return out
        rows = self._client.get(self.passages_collection, ids=list(ids), output_fields=["vector"])
        found = {row["id"]: row["vector"] for row in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise KeyError(f"no passage(s) {missing[:5]} in the store")
        for row, passage_id in enumerate(ids):
            out[row] = np.asarray(found[passage_id], dtype=np.float32)
        return out

    def neighbors(self, passage_id: int, before: int, after: int) -> list[Passage]:
        """Three round trips: the passage, its source's head (is it current?), the window."""
        rows = self._current(
            self._client.get(self.passages_collection, ids=[passage_id], output_fields=["source_id", "gen", "position"])
        )
        if not rows:
            return []
        (row,) = rows
        window = f" and position >= {row['position'] - before} and position <= {row['position'] + after}"
        return self._source_rows(row["source_id"], int(row["gen"]), window)

    def source_passages(self, source_id: str) -> list[Passage]:
        head = self._heads([source_id]).get(source_id)
        return [] if head is None else self._source_rows(source_id, int(head["gen"]), "")

    def _source_rows(self, source_id: str, gen: int, extra: str) -> list[Passage]:
        rows = self._query_all(
            self.passages_collection, f"source_id == {literal(source_id)} and gen == {gen}{extra}", PASSAGE_FIELDS
        )
        return sorted((_passage(row["id"], row) for row in rows), key=lambda p: p.position)

    def source(self, source_id: str) -> SourceRecord | None:
        head = self._heads([source_id]).get(source_id)
        return None if head is None else _record(head)

    def source_text(self, source_id: str) -> str | None:
        head = self._heads([source_id]).get(source_id)
        if head is None:
            return None
        if int(head["chunks"]) <= 1:
            return str(head["text"])
        rows = self._query_all(
            self.sources_collection,
            f"kind == {TEXT} and source_id == {literal(source_id)} and gen == {int(head['gen'])}",
            ["sentence_count", "text"],
        )
        rest = [row["text"] for row in sorted(rows, key=lambda row: row["sentence_count"])]
        return str(head["text"]) + "".join(rest)

    def sources(self) -> list[SourceRecord]:
        rows = self._query_all(self.sources_collection, f"kind == {HEAD}", SOURCE_FIELDS)
        return sorted((_record(row) for row in rows), key=lambda s: s.source_id)

    def _source_count(self) -> int:
        rows = self._client.query(self.sources_collection, filter=f"kind == {HEAD}", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def counts(self) -> Counts:
        """Sources are the committed heads; passages count every stored row (a write in flight
        or abandoned by a crash counts until its source is next written)."""
        passages = self._client.query(self.passages_collection, filter="", output_fields=["count(*)"])
        return Counts(self._source_count(), int(passages[0]["count(*)"]))

    def _query_all(self, collection: str, expression: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Every row matching, past Milvus' window of 16,384 rows a query (one query when it
        fits, the case of nearly every call; milvus-lite has no query iterator)."""
        rows = self._client.query(collection, filter=expression, output_fields=fields, limit=MAX_TOPK)
        if len(rows) < MAX_TOPK:
            yield from rows
            return
        iterator = self._client.query_iterator(collection, batch_size=4096, filter=expression, output_fields=fields)
        try:
            while batch := iterator.next():
                yield from batch
        finally:
            iterator.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._client.client.close()
        if self.target.lite:
            _lite_closed(self.target.uri)

    def __repr__(self) -> str:
        return f"MilvusStore({self.target}, {self.passages_collection!r}, model={self.model!r})"


def _source_row(
    key: str,
    kind: int,
    source_id: str,
    gen: int,
    title: str = "",
    url: str = "",
    published: str = "",
    language: str = "",
    path: str = "",
    content_hash: str = "",
    count: int = 0,
    *,
    chunks: int = 0,
    text: str = "",
) -> dict[str, Any]:
    """A row of the sources collection; the metadata row keeps the model in ``title``, the
    dimension in ``sentence_count``, the version in ``gen`` and the format in ``content_hash``."""
    return {
        "key": key,
        "kind": kind,
        "source_id": source_id,
        "gen": gen,
        "title": title,
        "url": url,
        "published": published,
        "language": language,
        "path": path,
        "content_hash": content_hash,
        "sentence_count": count,
        "chunks": chunks,
        "text": text,
        "unused": [0.0, 0.0],
    }


def _meta_row(version: int, model: str, dimension: int) -> dict[str, Any]:
    return _source_row(META_KEY, META, "", version, model, content_hash=f"format-{FORMAT_VERSION}", count=dimension)


def _passage(passage_id: int, row: dict[str, Any]) -> Passage:
    return Passage(
        int(passage_id),
        row["source_id"],
        row["text"],
        int(row["char_start"]),
        int(row["char_end"]),
        int(row["paragraph"]),
        int(row["position"]),
    )


def _record(row: dict[str, Any]) -> SourceRecord:
    return SourceRecord(
        source_id=row["source_id"],
        title=_none(row["title"]),
        url=_none(row["url"]),
        published=_none(row["published"]),
        language=_none(row["language"]),
        path=_none(row["path"]),
        content_hash=row["content_hash"],
        sentence_count=int(row["sentence_count"]),
    )


def open_milvus_store(
    path: Path,
    *,
    model: str | None = None,
    dimension: int | None = None,
    uri: str | None = None,
    token: str | None = None,
    db_name: str | None = None,
    collection: str | None = None,
) -> MilvusStore:
    """Open (with ``dimension``: create when missing) the store at ``uri``.

    Without ``uri``, milvus-lite in ``path`` (the index directory). ``token``, ``db_name``
    and ``collection`` default to ``CROSSCHECK_MILVUS_TOKEN``, ``CROSSCHECK_MILVUS_DB`` and
    ``CROSSCHECK_MILVUS_COLLECTION``: index/ does not see the service's settings object,
    which reads and checks the same variables.
    """
    import os

    target = milvus_target(path, uri if uri is not None else os.environ.get("CROSSCHECK_MILVUS_URI"))
    token = token if token is not None else os.environ.get("CROSSCHECK_MILVUS_TOKEN", "")
    db_name = db_name if db_name is not None else os.environ.get("CROSSCHECK_MILVUS_DB", "")
    prefix = collection or os.environ.get("CROSSCHECK_MILVUS_COLLECTION") or DEFAULT_COLLECTION
    client = _connect(target, token, db_name)
    try:
        if not client.has_collection(f"{prefix}_sources") or not _has_meta(client, prefix):
            if dimension is None:
                raise IndexNotFoundError(
                    f"no crosscheck store {prefix!r} at {target}; build one with `crosscheck ingest PATH` "
                    "(CROSSCHECK_STORE=milvus) or move one over with `crosscheck migrate --to milvus`"
                )
            if model is None:
                raise ValueError("creating a store needs the model id")
            for name in (f"{prefix}_passages", f"{prefix}_sources"):
                if client.has_collection(name):  # left by a create that did not finish
                    client.drop_collection(name)
            MilvusStore.create(client, target, prefix, model, dimension)
        client.load_collection(f"{prefix}_passages")
        client.load_collection(f"{prefix}_sources")
        store = MilvusStore(client, target, prefix)
    except MilvusException as exc:
        client.close()
        raise StoreUnavailableError(f"Milvus at {target}: {exc.message}") from None
    except BaseException:
        client.close()
        raise
    if model is not None and store.model != model:
        store.close()
        raise ModelMismatchError(
            f"the store {prefix!r} at {target} was built with model {store.model!r} ({store.dimension}-d), "
            f"but the configured model is {model!r}; set CROSSCHECK_MODEL={store.model} "
            "or use another CROSSCHECK_MILVUS_COLLECTION"
        )
    if dimension is not None and store.dimension != dimension:
        store.close()
        raise ModelMismatchError(
            f"the store {prefix!r} at {target} holds {store.dimension}-d vectors; the model makes {dimension}-d ones"
        )
    return store


def _has_meta(client: MilvusClient, prefix: str) -> bool:
    client.load_collection(f"{prefix}_sources")
    return bool(client.get(f"{prefix}_sources", ids=[META_KEY], output_fields=["kind"]))


def _connect(target: MilvusTarget, token: str, db_name: str) -> MilvusClient:
    if target.lite:
        Path(target.uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        return MilvusClient(uri=target.uri, token=token, db_name=db_name, timeout=30)
    except MilvusException as exc:
        hint = ""
        if target.lite:
            hint = (
                "; milvus-lite serves one process at a time: for several workers or processes, "
                "run a Milvus server and set CROSSCHECK_MILVUS_URI=http://host:19530"
            )
        raise StoreUnavailableError(f"cannot open Milvus at {target}: {exc.message}{hint}") from None
