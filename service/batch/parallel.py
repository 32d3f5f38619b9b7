"""Chunks of claims checked by worker processes, answers handed back in input order.

The verdict engine's stance decisions are pure Python, so one process keeps
one core busy whatever the encoder's threads do. ``crosscheck batch --workers
N`` starts N processes, each loading its own engine (as ``crosscheck serve
--workers N`` does): memory grows by one model per worker, throughput by about
one core. Workers are started with ``spawn``, not ``fork``: the parent holds
thread pools (the encoder's, OpenMP's, BLAS's) that a forked child would
inherit half-alive.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, TypeVar

from service.errors import CrosscheckError

if TYPE_CHECKING:
    from service.batch.core import Answer
    from service.settings import Settings
    from service.verify import Filters, Verifier

T = TypeVar("T")
PING_SECONDS = 0.1
# Rows per chunk handed to a worker: one encoder batch (the engine embeds 64 claims a call),
# small enough that Ctrl-C does not wait long for the chunks in flight.
CHUNK = 64

_verifier: Verifier | None = None  # the engine of this worker process


def _start(settings: Settings) -> None:
    global _verifier
    from service.corpus import Corpus
    from service.verify import Verifier

    # Ctrl-C reaches the whole process group: the parent stops the run and then the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, name="exit-with-parent", daemon=True).start()
    _verifier = Verifier(Corpus(settings))
    _verifier.warm_up()  # the model loaded now, so the first chunk is not slow


def _exit_with_parent() -> None:
    """A parent that is killed (SIGKILL, OOM) cannot stop its workers; each leaves on its own."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)


def _engine() -> Verifier:
    if _verifier is None:
        raise CrosscheckError("batch worker used before it started")
    return _verifier


def _ping() -> int:
    _engine()
    time.sleep(PING_SECONDS)
    return os.getpid()


def _check(claims: Sequence[str], top_k: int | None, filters: Filters | None) -> list[Answer]:
    from service.batch.core import verify_chunk

    return list(verify_chunk(_engine(), claims, top_k, filters))


class WorkerPool:
    """``settings.workers`` engine processes; :meth:`submit` returns a future of one chunk's answers."""

    def __init__(self, settings: Settings) -> None:
        self.workers = settings.workers
        self.chunk = CHUNK
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=(settings,),
        )

    def ready(self) -> None:
        """Wait until every worker has loaded and warmed its engine (a broken setup fails here).

        A worker takes tasks only once it has started, and each ping holds its worker
        a moment, so pings are sent until every worker has answered one.
        """
        answered: set[int] = set()
        while len(answered) < self.workers:
            pings = [self._pool.submit(_ping) for _ in range(self.workers)]
            answered.update(self.result(ping) for ping in pings)

    def submit(self, claims: Sequence[str], top_k: int | None, filters: Filters | None) -> Future[list[Answer]]:
        try:
            return self._pool.submit(_check, list(claims), top_k, filters)
        except BrokenProcessPool as exc:
            raise _broken(exc) from None

    @staticmethod
    def result(future: Future[T]) -> T:
        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise _broken(exc) from None

    def close(self) -> None:
        """Drop the chunks not yet handed out and wait for the workers to finish theirs: with
        chunks of ``CHUNK`` rows, an interrupted run stops within a second or two."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _broken(exc: BaseException) -> CrosscheckError:
    return CrosscheckError(
        f"a batch worker process died ({exc}); any error it printed is above. "
        "Run with --workers 1 to see it in this process"
    )
