"""What every :class:`~index.store.PassageStore` backend must do.

A backend's test module subclasses :class:`StoreConformance` and provides the
``open_test_store`` fixture: a callable that opens (creating on first call) one
store location, so a second call is a second instance of the same store, as
another process would see it. Vectors come from the deterministic fake embedder.
(Modelled on haystack's ``testing/document_store.py``.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from index.documents import Document
from index.errors import ModelMismatchError, UnknownSourceError
from index.sentences import split_sentences
from index.store import Change, PassageStore, SearchFilters
from tests.conftest import FakeEmbedder

OpenStore = Callable[[], PassageStore]

ROMANIA = Document(
    "ro",
    "Duizend soldaten gaan naar Roemenië. De NAVO vreest een inval. Het leger bouwt een basis.",
    published="2022-02",
    title="Roemenië",
    language="nl",
)
POLAND = Document("pl", "Tweeduizend militairen gaan naar Polen en Duitsland.", published="2022-03-15", language="nl")
UNDATED = Document("un", "Soldaten trainen in Duitsland. De oefening duurt een week.", language="nl")
EMBEDDER = FakeEmbedder()
# Query texts no search may fail on: FTS5 syntax, quotes, figures, diacritics, mojibake, nothing.
HOSTILE_TEXTS = [
    'Stoltenberg "zegt" AND OR NOT NEAR(soldaten roemenie, 2) *',
    '"',
    '""',
    "text: col:val ^start prefix* -minus +plus (open",
    "8.500 militairen, 2.000 soldaten; 1,000 troops 3.5% €100",
    "Roemenië Curaçao Noël ÆØÅ İstanbul straße",
    "ï¿½ ¿½ \x00 \u0000 \\ ' ` ; -- DROP TABLE passages;",
    "",
    "   ",
    "AND",
    "NEAR",
    "a" * 5000,
]
# A crowd that outranks one document on the dense side; only that document names Stoltenberg.
CROWD = [Document(f"crowd{i:02d}", f"Soldaten gaan naar Roemenië. Zin {i}.", language="nl") for i in range(12)]
NAMED = Document("nato", "Stoltenberg sprak in Brussel over 8.500 militairen.", language="nl")


def encode(*texts: str) -> Any:
    return EMBEDDER.encode(list(texts))


def put(store: PassageStore, *documents: Document) -> list[Change]:
    changes = []
    for document in documents:
        sentences = split_sentences(document.text, document.language)
        changes.append(store.upsert(document, sentences, encode(*(s.text for s in sentences))))
    return changes


def grouped(store: PassageStore, query: str, **kwargs: Any) -> dict[str, list[str]]:
    (groups,) = store.search(encode(query), texts=[query], **kwargs)
    return {g.source.source_id: [h.passage.text for h in g.hits] for g in groups}


class StoreConformance:
    """Base test class: every test runs against the backend's ``store`` fixture."""

    @pytest.fixture
    def store(self, open_test_store: OpenStore) -> Iterator[PassageStore]:
        store = open_test_store()
        yield store
        store.close()

    # -- writes and reads ---------------------------------------------------------

    def test_empty_store(self, store: PassageStore) -> None:
        assert (store.counts().sources, store.counts().passages) == (0, 0)
        assert store.sources() == []
        assert store.search(encode("soldaten")) == [[]]
        assert (store.model, store.dimension) == (EMBEDDER.model_id, EMBEDDER.dimension)

    def test_upsert_and_read_back(self, store: PassageStore) -> None:
        assert put(store, ROMANIA, POLAND) == ["added", "added"]
        assert (store.counts().sources, store.counts().passages) == (2, 4)
        assert [s.source_id for s in store.sources()] == ["pl", "ro"]
        source = store.source("ro")
        assert source is not None
        assert (source.title, source.published, source.language, source.sentence_count) == (
            "Roemenië",
            "2022-02",
            "nl",
            3,
        )
        assert source.content_hash == ROMANIA.content_hash
        assert store.source("nope") is None and store.source_text("nope") is None
        text = store.source_text("ro")
        assert text == ROMANIA.text
        passages = store.source_passages("ro")
        assert [p.position for p in passages] == [0, 1, 2]
        for passage in passages:
            assert passage.source_id == "ro"
            assert text[passage.char_start : passage.char_end] == passage.text
        assert store.source_passages("nope") == []

    def test_status_and_unchanged_upsert(self, store: PassageStore) -> None:
        assert store.status(ROMANIA) == "added"
        put(store, ROMANIA)
        assert store.status(ROMANIA) == "unchanged"
        version = store.version
        assert put(store, ROMANIA) == ["unchanged"]
        assert store.version == version
        assert store.status(Document("ro", "Iets anders.")) == "replaced"

    def test_replace_keeps_one_copy(self, store: PassageStore) -> None:
        put(store, ROMANIA, POLAND)
        old_ids = [p.id for p in store.source_passages("ro")]
        assert put(store, Document("ro", "Vijfhonderd soldaten gaan naar Bulgarije.")) == ["replaced"]
        assert [p.text for p in store.source_passages("ro")] == ["Vijfhonderd soldaten gaan naar Bulgarije."]
        assert store.passages(old_ids) == []
        assert store.counts().passages == 2
        hits = grouped(store, "soldaten naar Roemenië")
        assert hits["ro"] == ["Vijfhonderd soldaten gaan naar Bulgarije."]

    def test_delete(self, store: PassageStore) -> None:
        put(store, ROMANIA, POLAND)
        ids = [p.id for p in store.source_passages("ro")]
        version = store.version
        assert store.delete("ro") is True
        assert store.version != version
        assert store.delete("ro") is False
        assert store.source("ro") is None and store.source_text("ro") is None
        assert store.passages(ids) == []
        assert set(grouped(store, "soldaten naar Roemenië")) == {"pl"}
        assert (store.counts().sources, store.counts().passages) == (1, 1)

    def test_upsert_many_is_one_write(self, store: PassageStore) -> None:
        items = []
        for document in (ROMANIA, POLAND, UNDATED):
            sentences = split_sentences(document.text, document.language)
            items.append((document, sentences, encode(*(s.text for s in sentences))))
        version = store.version
        assert store.upsert_many(items) == ["added", "added", "added"]
        assert store.version != version
        assert store.counts().sources == 3

    def test_mismatched_vectors_are_refused(self, store: PassageStore) -> None:
        sentences = split_sentences(ROMANIA.text, "nl")
        with pytest.raises(ValueError):
            store.upsert(ROMANIA, sentences, encode("een"))
        with pytest.raises(ModelMismatchError):
            store.upsert(ROMANIA, sentences, np.ones((len(sentences), EMBEDDER.dimension + 1), dtype=np.float32))
        assert store.counts().sources == 0

    def test_passages_by_id_keep_the_order_asked(self, store: PassageStore) -> None:
        put(store, ROMANIA, POLAND)
        ids = [p.id for p in store.source_passages("ro")] + [p.id for p in store.source_passages("pl")]
        assert len(set(ids)) == 4
        wanted = [ids[3], ids[0], ids[2]]
        assert [p.id for p in store.passages(wanted)] == wanted
        assert [p.id for p in store.passages([ids[1], 10**9])] == [ids[1]]

    def test_neighbors_follow_reading_order(self, store: PassageStore) -> None:
        put(store, ROMANIA, POLAND)
        first, middle, last = store.source_passages("ro")
        assert [p.id for p in store.neighbors(middle.id, 1, 1)] == [first.id, middle.id, last.id]
        assert [p.id for p in store.neighbors(first.id, 2, 0)] == [first.id]
        assert [p.id for p in store.neighbors(last.id, 2, 0)] == [first.id, middle.id, last.id]
        assert [p.id for p in store.neighbors(first.id, 0, 5)] == [first.id, middle.id, last.id]
        assert store.neighbors(10**9, 1, 1) == []

    # -- search ---------------------------------------------------------------------

    def test_search_groups_per_source_best_first(self, store: PassageStore) -> None:
        put(store, ROMANIA, POLAND, UNDATED)
        (groups,) = store.search(encode("soldaten naar Roemenië"), per_source=2)
        assert groups[0].source.source_id == "ro"
        assert [g.best for g in groups] == sorted((g.best for g in groups), reverse=True)
        for group in groups:
            assert 1 <= len(group.hits) <= 2
            assert all(h.passage.source_id == group.source.source_id for h in group.hits)
            assert [h.similarity for h in group.hits] == sorted((h.similarity for h in group.hits), reverse=True)
        assert len(store.search(encode("soldaten"), max_sources=1)[0]) == 1

    def test_similarity_is_the_cosine(self, store: PassageStore) -> None:
        put(store, ROMANIA)
        query = encode("De NAVO vreest een inval.")
        (groups,) = store.search(query, per_source=3)
        for hit in groups[0].hits:
            expected = float(query[0] @ encode(hit.passage.text)[0])
            assert hit.similarity == pytest.approx(expected, abs=1e-5)
        assert groups[0].hits[0].passage.text == "De NAVO vreest een inval."
        assert groups[0].hits[0].similarity == pytest.approx(1.0, abs=1e-5)

    def test_sources_ranked_low_globally_are_kept(self, store: PassageStore) -> None:
        crowd = [Document(f"crowd{i}", "Soldaten gaan naar Roemenië. " * 3 + f"Zin {i}.") for i in range(12)]
        put(store, *crowd, Document("far", "Het weer in Lissabon is zonnig."))
        (groups,) = store.search(encode("soldaten naar Roemenië"), per_source=1)
        assert {g.source.source_id for g in groups} == {*(d.source_id for d in crowd), "far"}

    def test_many_queries_in_one_search(self, store: PassageStore) -> None:
        put(store, ROMANIA, POLAND)
        queries = ["soldaten naar Roemenië", "militairen naar Polen"]
        results = store.search(encode(*queries), texts=queries, per_source=1)
        assert [r[0].source.source_id for r in results] == ["ro", "pl"]

    def test_filter_by_source_ids(self, store: PassageStore) -> None:
        put(store, ROMANIA, POLAND, UNDATED)
        only = grouped(store, "soldaten naar Roemenië", filters=SearchFilters(source_ids=frozenset({"pl"})))
        assert set(only) == {"pl"}
        with pytest.raises(UnknownSourceError, match="nope"):
            grouped(store, "soldaten", filters=SearchFilters(source_ids=frozenset({"pl", "nope"})))

    @pytest.mark.parametrize(
        ("after", "before", "expected"),
        [
            ("2022-03", None, {"pl"}),
            ("2022-02-10", None, {"ro", "pl"}),  # "2022-02" is not before the 10th at month precision
            (None, "2022-02-28", {"ro"}),
            ("2022", "2022", {"ro", "pl"}),
            ("2023", None, set()),
        ],
    )
    def test_filter_by_publication_date(
        self, store: PassageStore, after: str | None, before: str | None, expected: set[str]
    ) -> None:
        put(store, ROMANIA, POLAND, UNDATED)
        filters = SearchFilters(published_after=after, published_before=before)
        assert set(grouped(store, "soldaten", filters=filters)) == expected

    def test_filters_combine(self, store: PassageStore) -> None:
        put(store, ROMANIA, POLAND, UNDATED)
        filters = SearchFilters(source_ids=frozenset({"ro", "un"}), published_after="2022")
        assert set(grouped(store, "soldaten", filters=filters)) == {"ro"}
        assert set(grouped(store, "soldaten", filters=SearchFilters(source_ids=frozenset({"un"})))) == {"un"}

    # -- query texts (hybrid retrieval where the backend has a lexical index) --------

    def test_query_texts_find_a_name_the_embedding_misses(self, store: PassageStore) -> None:
        """A lexical backend brings in the one source naming the query's name; a dense-only one
        (``lexical`` False) returns what it returns without the texts."""
        put(store, *CROWD, NAMED)
        query = "Volgens Stoltenberg gaan soldaten naar Roemenië"
        vector = encode(query)
        (dense,) = store.search(vector, per_source=1, max_sources=5)
        assert "nato" not in {g.source.source_id for g in dense}
        (mixed,) = store.search(vector, per_source=1, max_sources=5, texts=[query])
        if not store.lexical:
            assert mixed == dense
            return
        assert len(mixed) == 5 and "nato" in {g.source.source_id for g in mixed}
        (named,) = (g for g in mixed if g.source.source_id == "nato")
        assert named.hits[0].passage.text == NAMED.text
        assert named.hits[0].similarity == pytest.approx(float(vector[0] @ encode(NAMED.text)[0]), abs=1e-5)
        assert [g.best for g in mixed] == sorted((g.best for g in mixed), reverse=True)

    def test_hostile_query_texts_keep_the_contract(self, store: PassageStore) -> None:
        """Any text is a query: nothing raises, every similarity is the cosine, grouping holds."""
        put(store, ROMANIA, POLAND, UNDATED, NAMED)
        results = store.search(encode(*HOSTILE_TEXTS), texts=HOSTILE_TEXTS, per_source=2, max_sources=3)
        assert len(results) == len(HOSTILE_TEXTS)
        for text, groups in zip(HOSTILE_TEXTS, results, strict=True):
            assert 1 <= len(groups) <= 3
            assert [g.best for g in groups] == sorted((g.best for g in groups), reverse=True)
            query = encode(text)[0]
            for group in groups:
                assert 1 <= len(group.hits) <= 2
                assert [h.similarity for h in group.hits] == sorted((h.similarity for h in group.hits), reverse=True)
                for hit in group.hits:
                    assert hit.passage.source_id == group.source.source_id
                    assert hit.similarity == pytest.approx(float(query @ encode(hit.passage.text)[0]), abs=1e-5)

    def test_query_texts_respect_filters(self, store: PassageStore) -> None:
        put(store, ROMANIA, POLAND, UNDATED, NAMED)
        only_ro = SearchFilters(source_ids=frozenset({"ro"}))
        assert set(grouped(store, "Stoltenberg 8.500 Polen Duitsland", filters=only_ro)) == {"ro"}
        march = SearchFilters(published_after="2022-03")
        assert set(grouped(store, "Stoltenberg Roemenië NAVO", filters=march)) == {"pl"}
        assert grouped(store, "Stoltenberg", filters=SearchFilters(published_after="2030")) == {}
        with pytest.raises(UnknownSourceError):
            grouped(store, "Stoltenberg", filters=SearchFilters(source_ids=frozenset({"nope"})))

    # -- other instances ------------------------------------------------------------

    def test_a_second_instance_sees_writes_after_refresh(self, store: PassageStore, open_test_store: OpenStore) -> None:
        other = open_test_store()
        try:
            assert other.refresh() is False
            put(store, ROMANIA)
            assert other.refresh() is True
            assert other.version == store.version
            assert [s.source_id for s in other.sources()] == ["ro"]
            assert set(grouped(other, "soldaten naar Roemenië")) == {"ro"}
            other.delete("ro")
            assert store.refresh() is True
            assert store.sources() == [] and grouped(store, "soldaten") == {}
        finally:
            other.close()

    def test_a_stale_writer_does_not_lose_another_writers_document(
        self, store: PassageStore, open_test_store: OpenStore
    ) -> None:
        other = open_test_store()
        try:
            put(store, ROMANIA)
            put(other, POLAND)  # never refreshed by hand: a write starts from the latest state
            store.refresh()
            assert [s.source_id for s in store.sources()] == ["pl", "ro"]
        finally:
            other.close()

    def test_a_concurrent_reader_sees_whole_writes(self, store: PassageStore, open_test_store: OpenStore) -> None:
        """Each document is all there or not at all, whatever the reader catches mid-write."""
        documents = [
            Document(f"doc{i:02d}", f"Soldaten gaan naar Roemenië. Zin nummer {i}. Het einde van {i}.")
            for i in range(12)
        ]
        reader = open_test_store()
        failures: list[str] = []
        done = threading.Event()

        def read() -> None:
            query = encode("soldaten naar Roemenië")
            while not done.is_set():
                reader.refresh()
                for group in reader.search(query, per_source=5)[0]:
                    if len(group.hits) != 3:
                        failures.append(f"{group.source.source_id}: {len(group.hits)} hits")
                for source in reader.sources():
                    if len(reader.source_passages(source.source_id)) not in (0, 3):
                        failures.append(f"{source.source_id}: partial passages")

        thread = threading.Thread(target=read)
        thread.start()
        try:
            for document in documents:
                put(store, document)
            for document in documents[::2]:
                store.delete(document.source_id)
        finally:
            done.set()
            thread.join()
            reader.close()
        assert failures == []
        assert store.counts().sources == 6
