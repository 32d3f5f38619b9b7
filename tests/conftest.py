"""Shared fixtures: a deterministic fake embedder for unit tests, the real model and a live server once per session."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from tests.live import LiveServer, start_server

# Nothing in the test suite may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"
# The seed sources that support "1,000 troops moved to Romania".
THOUSAND_TO_ROMANIA = ("000_64af60602162f07a", "002_31380c5700cbb35e", "004_f612fa7a56b26ca2")

_WORD = re.compile(r"\w+")


class FakeEmbedder:
    """Signed feature hashing of lower-cased words: texts sharing words are similar.

    Deterministic across runs and processes (sha1, not ``hash()``), so unit
    tests of the store and the pipeline need no model.
    """

    def __init__(self, dimension: int = 64, model_id: str = "fake-hashing-64") -> None:
        self.dimension = dimension
        self.model_id = model_id
        self.calls = 0

    def encode(self, texts: Sequence[str], *, batch_size: int = 256, progress: bool = False) -> NDArray[Any]:
        self.calls += 1
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()) or [""]:
                digest = hashlib.sha1(word.encode()).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dimension
                out[row, bucket] += 1.0 if digest[4] & 1 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else 1.0 / np.sqrt(self.dimension)
        return out


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, index_dir: Path) -> Path:
    """Settings read from a clean environment pointing at a temporary index."""
    for key in list(os.environ):
        if key.startswith("CROSSCHECK_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("CROSSCHECK_INDEX_DIR", str(index_dir))
    return index_dir


@pytest.fixture(scope="session")
def real_embedder() -> Any:
    """The bundled USE model, loaded once for the whole session."""
    from index.embedding import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Path:
    """The seed corpus indexed with the real model, built once per session."""
    from index.documents import iter_documents
    from index.families import Families, families_path
    from index.ingest import ingest
    from index.store import open_store

    path = tmp_path_factory.mktemp("seed-index")
    store = open_store(path, model=real_embedder.model_id, dimension=real_embedder.dimension)
    families = Families(families_path(path))  # as every front door ingests (service.corpus)
    ingest(store, real_embedder, iter_documents([SEEDS]), families=families)
    families.close()
    store.close()
    return path


@pytest.fixture
def seed_corpus(seed_index_dir: Path, real_embedder: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from service.corpus import Corpus
    from service.settings import Settings

    yield Corpus(Settings(index_dir=seed_index_dir), embedder=real_embedder)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real ``crosscheck serve`` for the session, over the bundled model; its index is built from the seeds."""
    root = tmp_path_factory.mktemp("live")
    server = start_server(root / "index", root / "server.log")
    yield server
    server.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that use the real model (in process or in a live server) are integration tests, wherever they live."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if {"real_embedder", "seed_index_dir", "seed_corpus", "live_server"} & set(fixtures):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def sites() -> Iterator[Any]:
    """Three small news sites on local HTTP servers (tests/index/web/site.py), for fetching and crawling."""
    from tests.index.web.site import news_sites

    with news_sites() as running:
        yield running
