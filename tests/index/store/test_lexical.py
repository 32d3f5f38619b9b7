"""Hybrid retrieval in the embedded store: the FTS5 query built from any text, bm25 fused by RRF."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from index.documents import Document
from index.store import StoreUnavailableError, open_store
from index.store.faiss import FaissStore
from index.store.faiss import lexical as lex
from tests.index.store.conformance import (
    CROWD,
    EMBEDDER,
    HOSTILE_TEXTS,
    NAMED,
    POLAND,
    ROMANIA,
    UNDATED,
    encode,
    put,
)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FaissStore:
    monkeypatch.setenv("CROSSCHECK_HYBRID", "true")
    opened = open_store(tmp_path / "index", model=EMBEDDER.model_id, dimension=EMBEDDER.dimension, backend="faiss")
    assert isinstance(opened, FaissStore) and opened.lexical
    return opened


def ids_of(store: FaissStore, text: str, **kwargs: object) -> list[str]:
    return [store.passages([pid])[0].source_id for pid, _ in lex.lexical_ranking(store._connection(), text, **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_any_text_is_a_valid_match_expression(store: FaissStore, text: str) -> None:
    put(store, ROMANIA, POLAND, UNDATED, NAMED)
    expression = lex.match_expression(store._connection(), text)
    if expression is not None:  # FTS5 parses it (a syntax error would raise here)
        store._connection().execute("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?", (expression,))
    lex.lexical_ranking(store._connection(), text, None)


def test_operators_and_quotes_are_words_not_syntax() -> None:
    assert lex.terms('NEAR(a b) "x" AND y*') == [("near", "a"), ("b",), ("x",), ("and",), ("y",)]
    assert lex.quote(('say "hi"',)) == '"say ""hi"""'
    assert lex.terms("") == [] and lex.terms('" * ^ :') == []


def test_figures_and_diacritics(store: FaissStore) -> None:
    put(store, ROMANIA, POLAND, NAMED, Document("apart", "Er waren 8 wagens en 500 man.", language="nl"))
    assert lex.terms("8.500 Roemenië") == [("8", "500"), ("roemenie",)]
    assert ids_of(store, "8.500", allowed=None) == ["nato"]  # a phrase: 8 then 500, not 8 ... 500
    assert ids_of(store, "Roemenie", allowed=None) == ["ro"]  # diacritics folded on both sides
    assert ids_of(store, "ROEMENIË", allowed=None) == ["ro"]


def test_the_filter_applies_while_ranking(store: FaissStore) -> None:
    put(store, ROMANIA, POLAND, UNDATED)
    keys = dict(store._connection().execute("SELECT source_id, key FROM sources").fetchall())
    assert set(ids_of(store, "Duitsland", allowed=None)) == {"pl", "un"}
    assert ids_of(store, "Duitsland", allowed={keys["un"]}) == ["un"]
    assert ids_of(store, "Duitsland", allowed=set()) == []


def test_common_words_are_left_out(store: FaissStore, monkeypatch: pytest.MonkeyPatch) -> None:
    put(store, *CROWD, NAMED)
    monkeypatch.setattr(lex, "MAX_POSTINGS", 3)
    assert lex.match_expression(store._connection(), "Soldaten Stoltenberg Roemenië") == '"stoltenberg"'
    assert lex.match_expression(store._connection(), "soldaten naar Roemenië") is None
    # a phrase with a common word keeps its selective words alone
    assert lex.match_expression(store._connection(), "zin-stoltenberg") == '"stoltenberg"'


def test_the_rarest_terms_are_kept_within_the_query_budget(store: FaissStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """However large the archive, bm25 scores a bounded number of rows: the rarest terms first."""
    put(store, *CROWD, NAMED)
    conn = store._connection()
    assert lex.match_expression(conn, "Soldaten Stoltenberg") == '"soldaten" OR "stoltenberg"'
    monkeypatch.setattr(lex, "MAX_QUERY_POSTINGS", 2)
    assert lex.match_expression(conn, "Soldaten Stoltenberg") == '"stoltenberg"'  # the rare name, not the crowd
    monkeypatch.setattr(lex, "MAX_QUERY_POSTINGS", 0)
    assert lex.match_expression(conn, "Soldaten Stoltenberg") == '"stoltenberg"'  # the rarest is always kept


def test_a_name_the_dense_side_misses_is_found_with_its_cosine(store: FaissStore) -> None:
    put(store, *CROWD, NAMED)
    query = "Volgens Stoltenberg gaan soldaten naar Roemenië"
    vector = encode(query)
    (dense,) = store.search(vector, per_source=1, max_sources=5)
    (fused,) = store.search(vector, per_source=1, max_sources=5, texts=[query])
    assert "nato" not in [g.source.source_id for g in dense]
    assert [g.source.source_id for g in fused][-1] == "nato"  # shown in dense order: lowest cosine last
    assert fused[-1].best == pytest.approx(float(vector[0] @ encode(NAMED.text)[0]), abs=1e-6)


def test_a_figure_the_dense_side_misses_is_found(store: FaissStore) -> None:
    filler = [Document(f"f{i}", "Militairen gaan naar Polen.", language="nl") for i in range(8)]
    put(store, *filler, NAMED)
    query = "8.500 militairen gaan naar Polen"
    (dense,) = store.search(encode(query), per_source=1, max_sources=3)
    (fused,) = store.search(encode(query), per_source=1, max_sources=3, texts=[query])
    assert "nato" not in [g.source.source_id for g in dense]
    assert "nato" in [g.source.source_id for g in fused]


def test_switched_off_texts_change_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSCHECK_HYBRID", "false")
    store = open_store(tmp_path / "index", model=EMBEDDER.model_id, dimension=EMBEDDER.dimension, backend="faiss")
    assert store.lexical is False
    put(store, *CROWD, NAMED)
    query = "Volgens Stoltenberg gaan soldaten naar Roemenië"
    assert store.search(encode(query), max_sources=5, texts=[query]) == store.search(encode(query), max_sources=5)


def test_a_bad_switch_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSCHECK_HYBRID", "sometimes")
    with pytest.raises(StoreUnavailableError, match="CROSSCHECK_HYBRID"):
        open_store(tmp_path / "index", model=EMBEDDER.model_id, dimension=EMBEDDER.dimension, backend="faiss")


def test_texts_must_match_the_queries(store: FaissStore) -> None:
    put(store, ROMANIA)
    with pytest.raises(ValueError, match="2 query texts for 1"):
        store.search(encode("soldaten"), texts=["a", "b"])


def test_lexical_matches_written_after_the_view_are_left_out(store: FaissStore) -> None:
    """The full-text index is read live, the vectors from the search's view: a match the view does
    not hold has no cosine to report and is dropped, not invented."""
    put(store, ROMANIA)
    view = store.view()
    put(store, NAMED)
    query = "Stoltenberg"
    dense = store._candidates(view, encode(query), 3, None, None)
    (fused,) = store._fused(view, encode(query), [query], dense, None)
    assert set(fused[2].tolist()) <= set(dense[0][2].tolist())


def test_an_index_of_the_current_format_has_the_full_text_table(store: FaissStore) -> None:
    """Indexes written before hybrid search already hold passages_fts (kept by triggers): nothing to migrate."""
    put(store, ROMANIA)
    store.close()
    conn = sqlite3.connect(store.path / "store.sqlite")
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'passages_fts'").fetchone()
    conn.close()
    assert "unicode61 remove_diacritics 2" in sql
    reopened = open_store(store.path, backend="faiss")
    assert ids_of(reopened, "Roemenie", allowed=None) == ["ro"]  # type: ignore[arg-type]


def test_fusion_orders_by_reciprocal_rank_and_keeps_cosines() -> None:
    dense = (np.array([0.9, 0.8, 0.7], np.float32), np.array([1, 2, 3]), np.array([10, 20, 30]))
    lexical = (np.array([0.1, 0.7], np.float32), np.array([4, 3]), np.array([40, 30]))
    scores, ids, keys = lex.fuse(dense, lexical)
    # 3: 1/63 + 1/62 beats 1: 1/61; 4 (1/61, lexical first) ties 1 and follows it on cosine
    assert ids.tolist() == [3, 1, 4, 2]
    assert scores.tolist() == pytest.approx([0.7, 0.9, 0.1, 0.8])
    assert keys.tolist() == [30, 10, 40, 20]
    assert lex.fuse(dense, (np.empty(0, np.float32), np.empty(0, np.int64), np.empty(0, np.int64))) is dense
