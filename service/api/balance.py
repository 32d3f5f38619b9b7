"""Kept-alive connections spread evenly over the workers of ``crosscheck serve --workers N``.

The kernel hands each new connection to one worker's socket by a hash of its
addresses, and a kept-alive connection stays with that worker for its life.
A client holding a pool of connections (a proxy, a batch client, wrk) gets an
uneven split: 32 connections fell 22/10 over two workers, and the worker with
22 answered in twice the time of the other (docs/performance.md).

So each worker counts its open connections in a small table shared by the
workers (one slot each, written only by its own worker), and a worker holding
two or more connections more than the least loaded worker answers the next
request of a connection with ``Connection: close``. The client opens a new
connection, which the kernel places afresh. A worker sheds one connection per
connection over the least loaded, not one per response, so it never
overshoots, and a balanced server sheds nothing. Which worker serves a request
changes nothing in its answer.
"""

from __future__ import annotations

import asyncio
import os
from functools import cache
from multiprocessing.shared_memory import SharedMemory

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Set by the supervisor for its workers; not settings: a worker is told, not configured.
TABLE_ENV = "CROSSCHECK_CONNECTION_TABLE"  # "<shared memory name>:<workers>"
SLOT_ENV = "CROSSCHECK_WORKER_SLOT"
_SLOT_BYTES = 8

Client = tuple[str, int]


class ConnectionTable:
    """Open connections per worker, in memory the workers share; this worker writes only its own slot."""

    def __init__(self, memory: SharedMemory, workers: int, slot: int) -> None:
        if not 0 <= slot < workers:
            raise ValueError(f"worker slot {slot} outside 0..{workers - 1}")
        if memory.buf is None:
            raise ValueError("the connection table's memory is closed")
        self._memory = memory  # kept: the view below is only valid while it is open
        self._counts = memory.buf[: workers * _SLOT_BYTES].cast("q")
        self.workers = workers
        self.slot = slot
        self._open: set[Client] = set()
        self._closing: set[Client] = set()  # told to close, not closed yet
        self._counts[slot] = 0  # a replacement worker starts afresh: its predecessor's connections died with it

    @staticmethod
    def create(workers: int) -> SharedMemory:
        """The table's memory, made by the supervisor before it starts the workers (zeroed by the OS)."""
        return SharedMemory(create=True, size=workers * _SLOT_BYTES)

    @classmethod
    def attach(cls, spec: str, slot: int) -> ConnectionTable:
        name, _, workers = spec.rpartition(":")
        # The supervisor owns the memory and unlinks it. Attaching registers it with the resource
        # tracker again (Python < 3.13), the supervisor's own tracker, which keeps one entry per name.
        return cls(SharedMemory(name=name), int(workers), slot)

    def counts(self) -> list[int]:
        return self._counts.tolist()

    def close(self) -> None:
        """Detach from the memory (a worker keeps it for its life; tests let go)."""
        self._counts.release()
        self._memory.close()

    def opened(self, client: Client | None) -> None:
        self._counts[self.slot] += 1
        if client is not None:
            self._open.add(client)

    def closed(self, client: Client | None) -> None:
        self._counts[self.slot] -= 1
        if client is not None:
            self._open.discard(client)
            self._closing.discard(client)

    def should_close(self, client: Client | None) -> bool:
        """Whether to answer this connection's request with ``Connection: close`` (and note it will close).

        Shed while holding two or more connections more than the least loaded worker. Compared
        with the least loaded rather than with an even share of the total, a client that does not
        come back (the total shrinks) cannot make a worker shed past an even split.
        """
        if client not in self._open or client in self._closing:  # gone already, or going
            return False
        counts = self._counts.tolist()
        if counts[self.slot] - len(self._closing) < min(counts) + 2:
            return False
        self._closing.add(client)
        return True


@cache
def current() -> ConnectionTable | None:
    """This worker's table, if its supervisor made one (``--workers`` > 1); attached once."""
    spec, slot = os.environ.get(TABLE_ENV), os.environ.get(SLOT_ENV)
    return ConnectionTable.attach(spec, int(slot)) if spec and slot is not None else None


class CountedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, counting this worker's open connections in its table."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        table = current()
        if table is not None:
            table.opened(self.client)

    def connection_lost(self, exc: Exception | None) -> None:
        table = current()
        if table is not None:
            table.closed(self.client)
        super().connection_lost(exc)


class Rebalance:
    """Adds ``Connection: close`` to a response when this worker holds more connections than it should."""

    def __init__(self, app: ASGIApp, *, table: ConnectionTable) -> None:
        self.app = app
        self.table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        key = (client[0], client[1]) if client else None

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                closing = any(name.lower() == b"connection" for name, _ in headers)  # said already (a 413)
                if not closing and self.table.should_close(key):
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_closing)
