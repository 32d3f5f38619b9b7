"""Claims from concurrent callers checked together, on one engine thread.

A claim checked alone pays for a whole encoder pass and a search of its own:
~7 ms of CPU on the seed corpus, against ~5.1 ms a claim in batches of
sixteen (``python -m bench.check --batch 16``). A server under load has that
many requests waiting anyway, so the engine thread takes every claim queued
when it frees up and checks them as one batch: an idle server answers a lone
request at once, a busy one in batches as large as its queue.

Keeping the engine on one thread also spares the requests a fight over the
GIL: on the thread pool, sixteen checks would each run a few milliseconds at a
time, in turn, and all finish late.

Each answer is the one :meth:`Verifier.verify` gives the claim alone (batching
moves similarities in the seventh decimal, see ``test_verify``), and a claim
the engine fails on fails only its own request.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from service.verify import Filters, Verification, Verifier

# At most this many claims in one batch. Past ~8 a claim costs no less (``bench.check --batch``:
# 5.3 ms at 4, 4.9-5.0 ms at 8, 16 and 32), and every caller in a batch waits for the whole
# batch's analysis, embedding and search before the first answer.
MAX_BATCH = 16


@dataclass(frozen=True)
class _Job:
    claim: str
    top_k: int | None
    filters: Filters
    future: Future[Verification] = field(default_factory=Future, compare=False)


class Coalescer:
    """Queues checks and runs them in batches on its own thread; ``close`` stops it."""

    def __init__(self, verifier: Verifier, *, max_batch: int = MAX_BATCH) -> None:
        self.verifier = verifier
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()  # no job may be queued after the thread has drained the queue
        self._thread = threading.Thread(target=self._run, name="crosscheck-engine", daemon=True)
        self._thread.start()

    def submit(self, claim: str, *, top_k: int | None = None, filters: Filters | None = None) -> Future[Verification]:
        """The check of ``claim``, to be done with whatever else is waiting; cancel the future to drop it."""
        job = _Job(claim, top_k, filters or Filters())
        with self._lock:
            if self._closed:
                raise RuntimeError("the engine thread is stopped")
            self._queue.put(job)
        return job.future

    async def verify(self, claim: str, *, top_k: int | None = None, filters: Filters | None = None) -> Verification:
        """As :meth:`Verifier.verify`, awaited; a cancelled caller's claim is skipped if not yet begun."""
        return await asyncio.wrap_future(self.submit(claim, top_k=top_k, filters=filters))

    def close(self, timeout: float = 10.0) -> None:
        """Finish what is queued, then stop the thread."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            self._serve()
        finally:
            with self._lock:
                self._closed = True
                while True:  # whatever came in after the end: answered, never left hanging
                    try:
                        job = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is not None and job.future.set_running_or_notify_cancel():
                        job.future.set_exception(RuntimeError("the engine thread is stopped"))

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs, stopping = [first], False
            while len(jobs) < self.max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                jobs.append(job)
            # claims asking for other passages or sources are checked apart: a batch shares its options
            groups: dict[tuple[int | None, Filters], list[_Job]] = {}
            for job in jobs:
                groups.setdefault((job.top_k, job.filters), []).append(job)
            try:
                for (top_k, filters), group in groups.items():
                    self._check(group, top_k, filters)
            except BaseException as exc:  # the thread is going down: no caller waits for ever
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(RuntimeError(f"the engine thread stopped: {exc!r}"))
                raise
            if stopping:
                return

    def _check(self, jobs: list[_Job], top_k: int | None, filters: Filters) -> None:
        jobs = [job for job in jobs if job.future.set_running_or_notify_cancel()]
        if not jobs:
            return
        try:
            results = self.verifier.verify_many([job.claim for job in jobs], top_k=top_k, filters=filters)
            for job in jobs:
                job.future.set_result(next(results))
        except Exception:
            # the job being checked and those after it, one at a time: each gets its own answer or error
            for job in [job for job in jobs if not job.future.done()]:
                try:
                    job.future.set_result(self.verifier.verify(job.claim, top_k=top_k, filters=filters))
                except Exception as exc:
                    job.future.set_exception(exc)
