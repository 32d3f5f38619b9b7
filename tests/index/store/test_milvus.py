"""The Milvus store against the conformance suite, embedded (milvus-lite from a path) and as a
server (milvus-lite's gRPC server in another process, reached by http:// as Milvus standalone
would be: the server code path, HNSW and all), and what only it does."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.index.store.milvus_extra  # noqa: F401  (first: skips without the extra)
from index.errors import IndexNotFoundError, ModelMismatchError
from index.store import PassageStore, SearchFilters, StoreUnavailableError, open_store
from index.store.milvus import MilvusTarget
from tests.conftest import REPO
from tests.index.store.conformance import EMBEDDER, OpenStore, StoreConformance, grouped

pytestmark = pytest.mark.milvus


@pytest.fixture
def open_test_store(tmp_path: Path) -> OpenStore:
    def opener() -> PassageStore:
        return open_store(tmp_path / "index", model=EMBEDDER.model_id, dimension=EMBEDDER.dimension, backend="milvus")

    return opener


class TestMilvusLiteStore(StoreConformance):
    pass


@pytest.fixture(scope="module")
def milvus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Milvus server on a free port: milvus-lite's own gRPC server, in a process of its own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = tmp_path_factory.mktemp("milvus-server")
    command = [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data), "--host", "127.0.0.1"]
    server = subprocess.Popen([*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else "server exited"
                assert time.monotonic() < deadline, "the milvus-lite server did not start"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def server_store(milvus_server: str, tmp_path: Path) -> OpenStore:
    collection = f"t{uuid.uuid4().hex[:12]}"  # one store per test in the shared server

    def opener() -> PassageStore:
        from index.store.milvus import open_milvus_store

        return open_milvus_store(
            tmp_path, model=EMBEDDER.model_id, dimension=EMBEDDER.dimension, uri=milvus_server, collection=collection
        )

    return opener


class TestMilvusServerStore(StoreConformance):
    @pytest.fixture
    def open_test_store(self, server_store: OpenStore) -> OpenStore:
        return server_store


def test_another_process_write_is_seen_after_refresh(server_store: OpenStore, milvus_server: str) -> None:
    """Two processes on one server: the version row tells the reader, Strong consistency shows the write."""
    store = server_store()
    try:
        version = store.version
        script = (
            "from pathlib import Path; from index.store.milvus import open_milvus_store;"
            "from tests.index.store.conformance import EMBEDDER, ROMANIA, put;"
            f"s = open_milvus_store(Path('.'), model=EMBEDDER.model_id, uri={milvus_server!r},"
            f" collection={store.passages_collection.removesuffix('_passages')!r}); put(s, ROMANIA); s.close()"
        )
        writer = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
        )
        assert writer.returncode == 0, writer.stderr[-2000:]
        assert store.refresh() is True and store.version != version
        assert [s.source_id for s in store.sources()] == ["ro"]
        assert set(grouped(store, "soldaten naar Roemenië")) == {"ro"}
    finally:
        store.close()


DATES = ["", "2021", "2021-12", "2021-12-31", "2022", "2022-01", "2022-01-15", "2022-02", "2022-02-03", "2022-02-28"]
BOUNDS = [None, "2021", "2022", "2022-01", "2022-02", "2022-01-15", "2022-02-03", "2022-02-28", "2023"]


def test_the_date_filter_expression_matches_the_interface_rule(tmp_path: Path) -> None:
    """Milvus evaluates date_expression exactly as SearchFilters.date_ok decides, bound by bound."""
    from index.store.milvus.store import date_expression

    store = open_store(tmp_path, model=EMBEDDER.model_id, dimension=EMBEDDER.dimension, backend="milvus")
    try:
        rows = [{"published": d, "source_id": d or "none", "vector": EMBEDDER.encode([d or "none"])[0]} for d in DATES]
        client = store._client
        fields = dict.fromkeys(["gen", "position", "paragraph", "char_start", "char_end"], 0)
        client.insert(store.passages_collection, [{**row, **fields, "text": ""} for row in rows])
        for after in BOUNDS:
            for before in BOUNDS:
                filters = SearchFilters(published_after=after, published_before=before)
                expression = date_expression(filters)
                if expression is None:
                    continue
                found = client.query(store.passages_collection, filter=expression, output_fields=["published"])
                expected = {d for d in DATES if filters.date_ok(d or None)}
                assert {row["published"] for row in found} == expected, (after, before, expression)
    finally:
        store.close()


def test_the_uri_names_a_server_or_a_milvus_lite_directory(tmp_path: Path) -> None:
    from index.store.milvus import milvus_target

    assert milvus_target(tmp_path, "http://milvus:19530") == MilvusTarget("http://milvus:19530", lite=False)
    assert milvus_target(tmp_path, None) == MilvusTarget(str(tmp_path / "milvus.db"), lite=True)
    assert milvus_target(tmp_path, str(tmp_path / "a.db")).uri == str(tmp_path / "a.db")
    assert milvus_target(tmp_path, str(tmp_path / "dir")).uri == str(tmp_path / "dir" / "milvus.db")


def test_an_unreachable_server_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailableError, match=r"127\.0\.0\.1:9"):
        open_store(tmp_path, model="m", dimension=4, backend="milvus", uri="http://127.0.0.1:9")


def test_missing_store_is_not_created_without_a_dimension(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="crosscheck migrate --to milvus"):
        open_store(tmp_path, backend="milvus")


def test_another_model_is_refused(open_test_store: OpenStore, tmp_path: Path) -> None:
    open_test_store().close()
    with pytest.raises(ModelMismatchError, match=EMBEDDER.model_id):
        open_store(tmp_path / "index", model="another-model", backend="milvus")


def test_milvus_lite_in_a_second_process_is_one_clear_error(open_test_store: OpenStore, tmp_path: Path) -> None:
    """milvus-lite locks its directory; the second process is told to use a server instead."""
    store = open_test_store()
    try:
        script = (
            "from pathlib import Path; from index.store.milvus import open_milvus_store;"
            f"open_milvus_store(Path({str(tmp_path / 'index')!r}), model='m')"
        )
        second = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
        )
        assert second.returncode != 0
        assert "one process at a time" in second.stderr and "CROSSCHECK_MILVUS_URI=http://" in second.stderr
    finally:
        store.close()
