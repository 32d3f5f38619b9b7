"""Fixtures for the batch tests: a seed corpus on the fake embedder, and real files on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from service import cli as cli_module
from service.corpus import Corpus
from service.errors import CrosscheckError
from service.settings import Settings
from service.verify import Verifier
from tests.conftest import FakeEmbedder

WriteFile = Callable[[str, str | bytes], Path]


@pytest.fixture(scope="session")
def fake_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds indexed once with the fake embedder (its model id is the default model's name)."""
    path = tmp_path_factory.mktemp("fake-index")
    corpus = Corpus(Settings(index_dir=path), embedder=FakeEmbedder(model_id="use-multilingual-v3"))
    corpus.store(bootstrap=True)
    return path


@pytest.fixture
def fake_corpus(fake_index_dir: Path) -> Corpus:
    return Corpus(Settings(index_dir=fake_index_dir), embedder=FakeEmbedder(model_id="use-multilingual-v3"))


@pytest.fixture
def verifier(fake_corpus: Corpus) -> Verifier:
    return Verifier(fake_corpus)


@pytest.fixture
def write(tmp_path: Path) -> WriteFile:
    """Write a test file: text is encoded as UTF-8, bytes are written as they are."""

    def write_file(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write_file


@pytest.fixture
def run_batch(
    isolated_env: Path, fake_index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, str, str]]:
    """``crosscheck batch ARGS`` in-process on the fake seed index: (exit code, stdout, stderr)."""
    monkeypatch.setattr("service.corpus.LazyEmbedder", lambda name, threads=None: FakeEmbedder(model_id=name))
    monkeypatch.setenv("CROSSCHECK_INDEX_DIR", str(fake_index_dir))

    def invoke(*args: Any) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli_module.cli, ["batch", *map(str, args)], catch_exceptions=True)
        if result.exception and not isinstance(result.exception, SystemExit):
            # mirror main(): domain errors are one line, anything else is a bug in the test's eyes
            assert isinstance(result.exception, CrosscheckError), repr(result.exception)
            return 1, result.stdout, f"Error: {result.exception}"
        return result.exit_code, result.stdout, result.stderr

    return invoke
