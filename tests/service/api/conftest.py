"""Fixtures for the HTTP API: apps over the fake embedder (fast) and over the real model."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.corpus import Corpus
from service.settings import Settings
from tests.conftest import FakeEmbedder
from tests.live import API_KEY

AUTH = {"X-API-Key": API_KEY}


def started(app: FastAPI, **client_options: Any) -> TestClient:
    """A client whose app has finished loading its index (the lifespan loads it in the background)."""
    client = TestClient(app, **client_options)
    client.__enter__()
    state = app.state.crosscheck
    assert state.finished.wait(60), "the index did not load in time"
    assert state.error is None, state.error
    return client


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """Apps over the fake embedder and a fresh index built from the seeds; settings as keyword arguments."""
    clients: list[TestClient] = []

    def make(*, index_dir: Path | None = None, embedder: Any = None, **settings: Any) -> TestClient:
        options = {"index_dir": index_dir or tmp_path / "index", **settings}
        config = Settings(**options)
        client = started(create_app(config, Corpus(config, embedder=embedder or FakeEmbedder())))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    """The usual app: fake embedder, seeds indexed, an API key configured."""
    return make_client(api_key=API_KEY)


@pytest.fixture(scope="session")
def real_app_index(tmp_path_factory: pytest.TempPathFactory, seed_index_dir: Path) -> Path:
    """A copy of the session's real-model seed index that API tests may write to."""
    path = tmp_path_factory.mktemp("api-real") / "index"
    shutil.copytree(seed_index_dir, path)
    return path


@pytest.fixture(scope="session")
def real_client(real_app_index: Path, real_embedder: Any) -> Iterator[TestClient]:
    """An app over the bundled model and the seed corpus (read-only use: verdicts with real content)."""
    config = Settings(index_dir=real_app_index, api_key=API_KEY)
    client = started(create_app(config, Corpus(config, embedder=real_embedder)))
    yield client
    client.__exit__(None, None, None)
