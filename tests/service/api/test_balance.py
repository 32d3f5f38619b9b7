"""Kept-alive connections evened out over the workers (``service.api.balance``)."""

from __future__ import annotations

from collections.abc import Iterator
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path

import pytest

from service.api.app import create_app
from service.api.balance import ConnectionTable
from service.corpus import Corpus
from service.settings import Settings
from tests.conftest import FakeEmbedder
from tests.service.api.conftest import started


@pytest.fixture
def workers() -> Iterator[list[ConnectionTable]]:
    """The tables of two workers over one shared memory, as a supervisor with two workers makes them."""
    memory = ConnectionTable.create(2)
    tables = [ConnectionTable(SharedMemory(name=memory.name), 2, slot) for slot in (0, 1)]
    yield tables
    for table in tables:
        table.close()
    memory.close()
    memory.unlink()


def clients(count: int, start: int = 1) -> list[tuple[str, int]]:
    return [("127.0.0.1", port) for port in range(start, start + count)]


def holding(table: ConnectionTable, count: int, start: int = 1) -> list[tuple[str, int]]:
    """``count`` connections opened on ``table``'s worker; their clients."""
    opened = clients(count, start)
    for client in opened:
        table.opened(client)
    return opened


def test_each_worker_counts_its_own_connections_and_sees_the_others(workers: list[ConnectionTable]) -> None:
    first, second = workers
    holding(first, 3)
    second.opened(("127.0.0.1", 99))
    assert first.counts() == second.counts() == [3, 1]
    first.closed(("127.0.0.1", 1))
    assert second.counts() == [2, 1]


def test_a_worker_two_over_the_least_loaded_sheds_exactly_its_excess(workers: list[ConnectionTable]) -> None:
    busy, idle = workers
    on_busy, on_idle = holding(busy, 9), holding(idle, 4, start=100)
    # 9 against 4: shed while 2 or more over the least loaded, counting those already told to close
    told = [client for client in on_busy if busy.should_close(client)]
    assert len(told) == 4  # 9 - 4 pending = 5: within one of 4
    assert not any(idle.should_close(client) for client in on_idle)
    assert not busy.should_close(told[0])  # told once is enough


def test_a_balanced_worker_sheds_nothing(workers: list[ConnectionTable]) -> None:
    first, second = workers
    on_first, on_second = holding(first, 17), holding(second, 16, start=100)
    assert not any(first.should_close(c) for c in on_first)
    assert not any(second.should_close(c) for c in on_second)


def test_closing_clears_what_was_pending_and_gone_clients_are_not_told(workers: list[ConnectionTable]) -> None:
    busy, idle = workers
    holding(busy, 4)
    idle.opened(("127.0.0.1", 100))
    assert busy.should_close(("127.0.0.1", 1))  # 4 against 1
    busy.closed(("127.0.0.1", 1))  # the client reconnects, to the other worker this time
    idle.opened(("127.0.0.1", 101))
    assert busy.counts() == [3, 2]
    assert not busy.should_close(("127.0.0.1", 2))  # 3 against 2: even enough
    assert not busy.should_close(("127.0.0.1", 50))  # no such connection (its request outlived it)
    assert not busy.should_close(None)  # a unix socket: nothing to key it by


def test_a_replacement_worker_starts_from_zero(workers: list[ConnectionTable]) -> None:
    first, second = workers
    holding(second, 5)  # then the worker dies, its connections with it, uncounted
    replacement = ConnectionTable(SharedMemory(name=second._memory.name), 2, 1)
    try:
        assert first.counts() == [0, 0]
    finally:
        replacement.close()


def test_the_app_asks_a_client_to_reconnect_only_when_its_worker_holds_too_many(
    workers: list[ConnectionTable], tmp_path: Path
) -> None:
    table, other = workers
    config = Settings(index_dir=tmp_path / "index")
    client = started(create_app(config, Corpus(config, embedder=FakeEmbedder()), connections=table))
    try:
        test_client = ("testclient", 50000)  # the address TestClient gives every request
        table.opened(test_client)
        other.opened(("127.0.0.1", 1))
        assert "connection" not in client.get("/healthz").headers  # 1 against 1

        holding(table, 2, start=10)  # 3 against 1
        response = client.get("/healthz")
        assert response.status_code == 200 and response.headers["connection"] == "close"
        assert "connection" not in client.get("/healthz").headers  # told once: its close is pending
    finally:
        client.__exit__(None, None, None)
