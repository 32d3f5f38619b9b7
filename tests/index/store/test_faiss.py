"""The embedded FAISS + SQLite store against the conformance suite, and what only it does."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.errors import IndexNotFoundError, ModelMismatchError
from index.store import PassageStore, StoreUnavailableError, open_store
from tests.index.store.conformance import EMBEDDER, OpenStore, StoreConformance


@pytest.fixture
def open_test_store(tmp_path: Path) -> OpenStore:
    def opener() -> PassageStore:
        return open_store(tmp_path / "index", model=EMBEDDER.model_id, dimension=EMBEDDER.dimension, backend="faiss")

    return opener


class TestFaissStore(StoreConformance):
    pass


def test_missing_store_is_not_created_without_a_dimension(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="crosscheck ingest"):
        open_store(tmp_path / "none", backend="faiss")


def test_another_model_is_refused(open_test_store: OpenStore, tmp_path: Path) -> None:
    open_test_store().close()
    with pytest.raises(ModelMismatchError, match=EMBEDDER.model_id):
        open_store(tmp_path / "index", model="another-model", backend="faiss")


def test_unknown_backend_names_the_choices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSCHECK_STORE", "cassandra")
    with pytest.raises(StoreUnavailableError, match="faiss, milvus"):
        open_store(tmp_path)
