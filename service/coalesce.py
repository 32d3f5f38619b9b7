"""Claims from concurrent callers checked together, on the server's event loop.

A claim checked alone pays for a whole encoder pass and a search of its own:
~7 ms of CPU on the seed corpus, against ~5 ms a claim in batches of sixteen
(``python -m bench.check --batch 16``). A server under load has that many
requests waiting anyway, so the engine takes every claim queued when it frees
up and checks them as one batch: an idle server answers a lone request at
once, a busy one in batches as large as its queue.

The engine runs on the event loop itself, one claim at a time, and yields to
the loop after each claim, so the loop keeps reading requests into the next
batch and answering other routes (the probes, the page) while a batch is
checked. The engine is CPU-bound Python, so a thread of its own would only take
turns with the loop at the GIL: measured on one worker, that cost ~10% more CPU
a request (5.09 against 4.61 ms). A configured NLI model is the exception: its
forward passes release the GIL for long stretches, so then the claims are
checked on one thread off the loop (``offload``), which keeps the loop answering.

A batch's answers go out together, once its last claim is checked. Sending each
as soon as it was ready interleaved the HTTP work of every answer (and of the
request its client sent next) with the engine's work, claim by claim, and both
ran slower for it: 30% fewer requests a second under load, with the same work
done (docs/performance.md). The first caller of a full batch of sixteen waits
~1 ms a claim longer, for the claims checked after its own; under load every
caller waits for a whole batch anyway.

Each answer is the one :meth:`Verifier.verify` gives the claim alone (batching
moves similarities in the seventh decimal, see ``test_verify``), and a claim
the engine fails on fails only its own request.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from service.verify import Filters, Verification, Verifier

# At most this many claims in one batch. Past ~8 a claim costs no less (``bench.check --batch``:
# 5.3 ms at 4, 4.9-5.0 ms at 8, 16 and 32), and every caller in a batch waits for the whole
# batch's analysis, embedding and search before the first answer.
MAX_BATCH = 16
# Turns of the event loop taken before each batch. A request needs a few to join the queue (its bytes
# read, then its handler run up to the engine), and those whose previous answers went out last were
# still on the way: with one turn, a worker with 16 connections checked batches of 13, and each of
# the other three waited a whole batch more (p99 97 ms against 82 ms with four turns, bench note
# in docs/performance.md). An idle turn costs microseconds.
GATHER_TURNS = 8
# How long the engine waits, after answering a batch, for that batch's callers to send their next
# claims (as long as fewer are queued): a client under load answers at once, but on a busy machine
# it may not run for a few milliseconds, and a claim that misses the batch waits a whole batch more.
# Answers go out together (below), so they come back together; waiting blocks in the loop, it
# does not spin. Nobody waits when the engine was idle, or when nobody comes back.
RETURN_WAIT_SECONDS = 0.005


@dataclass(frozen=True)
class _Job:
    claim: str
    top_k: int | None
    filters: Filters
    future: asyncio.Future[Verification] = field(compare=False)


class Coalescer:
    """Queues checks and runs them in batches on the event loop that awaits them; ``close`` stops it."""

    def __init__(self, verifier: Verifier, *, max_batch: int = MAX_BATCH, offload: bool | None = None) -> None:
        self.verifier = verifier
        self.max_batch = max_batch
        if offload is None:
            offload = verifier.nli is not None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="crosscheck-engine") if offload else None
        self._waiting: deque[_Job] = deque()
        self._task: asyncio.Task[None] | None = None
        self._stopped: str | None = None  # why checks are refused
        self._expected = 0  # claims the engine waits for before its next batch (see RETURN_WAIT_SECONDS)
        self._arrived: asyncio.Future[None] | None = None  # set once that many are queued

    async def verify(self, claim: str, *, top_k: int | None = None, filters: Filters | None = None) -> Verification:
        """As :meth:`Verifier.verify`, with whatever else is waiting; a cancelled caller's claim is skipped."""
        if self._stopped:
            raise RuntimeError(self._stopped)
        loop = asyncio.get_running_loop()
        job = _Job(claim, top_k, filters or Filters(), loop.create_future())
        self._waiting.append(job)
        if self._task is None:  # the engine is idle: it starts once this turn of the loop has queued all it read
            self._task = loop.create_task(self._serve(), name="crosscheck-engine")
        elif self._arrived is not None and not self._arrived.done() and len(self._waiting) >= self._expected:
            self._arrived.set_result(None)
        return await job.future

    def close(self) -> None:
        """Refuse new checks; those already queued are still answered."""
        self._stopped = self._stopped or "the engine is stopped"
        if self._executor is not None:
            self._executor.shutdown(wait=False)

    async def _serve(self) -> None:
        jobs: list[_Job] = []
        answered = 0  # callers of the last batch: under load, they send their next claims at once
        try:
            while await self._gathered(answered):
                jobs = [self._waiting.popleft() for _ in range(min(self.max_batch, len(self._waiting)))]
                answered = len(jobs)
                # claims asking for other passages or sources are checked apart: a batch shares its options
                groups: dict[tuple[int | None, Filters], list[_Job]] = {}
                for job in jobs:
                    if not job.future.done():  # a caller that went away is not checked
                        groups.setdefault((job.top_k, job.filters), []).append(job)
                for (top_k, filters), group in groups.items():
                    await self._check(group, top_k, filters)
        except BaseException as exc:  # the engine is going down: no caller waits for ever
            self._stopped = f"the engine stopped: {exc!r}"
            for job in [*jobs, *self._waiting]:
                if not job.future.done():
                    job.future.set_exception(RuntimeError(self._stopped))
            self._waiting.clear()
            raise
        finally:
            self._task = None

    async def _gathered(self, answered: int) -> bool:
        """Whether there are claims to check, once those on their way have joined the queue: requests
        already read (a few turns of the loop), and up to ``answered`` claims from the last batch's
        callers (at most ``RETURN_WAIT_SECONDS``)."""
        for _ in range(GATHER_TURNS):
            if len(self._waiting) >= self.max_batch:
                break
            await asyncio.sleep(0)
        self._expected = min(answered, self.max_batch)
        if len(self._waiting) < self._expected:
            self._arrived = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(RETURN_WAIT_SECONDS):
                    await self._arrived
            except TimeoutError:
                pass  # those not back yet make a later batch
            finally:
                self._arrived = None
        return bool(self._waiting)

    async def _check(self, jobs: list[_Job], top_k: int | None, filters: Filters) -> None:
        """Checks the batch claim by claim, with a turn of the loop after each, then answers it at once."""
        outcomes: list[Verification | Exception] = []
        results = self.verifier.verify_many([job.claim for job in jobs], top_k=top_k, filters=filters)
        try:
            for _ in jobs:
                outcomes.append(await self._next(results))
                await asyncio.sleep(0)  # the loop reads what came in meanwhile and serves other routes
        except Exception:
            # the claim being checked and those after it, one at a time: each gets its own answer or error
            for job in jobs[len(outcomes) :]:
                if job.future.done():  # its caller went away: not checked, not answered
                    outcomes.append(RuntimeError("not checked: the caller went away"))
                    continue
                try:
                    outcomes.append(
                        await self._next(self.verifier.verify_many([job.claim], top_k=top_k, filters=filters))
                    )
                except Exception as exc:
                    outcomes.append(exc)
                await asyncio.sleep(0)
        for job, outcome in zip(jobs, outcomes, strict=True):
            _answer(job, outcome)

    async def _next(self, results: Iterator[Verification]) -> Verification:
        """The next claim's result, computed on the loop or, with ``offload``, on the engine thread."""
        if self._executor is None:
            return next(results)
        return await asyncio.get_running_loop().run_in_executor(self._executor, next, results)


def _answer(job: _Job, outcome: Verification | Exception) -> None:
    if job.future.done():  # its caller went away meanwhile
        return
    if isinstance(outcome, Exception):
        job.future.set_exception(outcome)
    else:
        job.future.set_result(outcome)
