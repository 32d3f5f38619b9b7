"""The Milvus store on milvus-lite against the conformance suite, and what only it does."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="the milvus extra is not installed: pip install 'crosscheck[milvus]'")

from index.store import PassageStore, open_store  # noqa: E402
from tests.index.store.conformance import EMBEDDER, OpenStore, StoreConformance  # noqa: E402


@pytest.fixture
def open_test_store(tmp_path: Path) -> OpenStore:
    def opener() -> PassageStore:
        return open_store(
            tmp_path / "index", model=EMBEDDER.model_id, dimension=EMBEDDER.dimension, backend="milvus"
        )

    return opener


class TestMilvusLiteStore(StoreConformance):
    pass
