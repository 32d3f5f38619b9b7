"""Concurrent checks batched on the event loop (``service.coalesce``), over a recording stand-in engine."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Iterable, Iterator
from itertools import pairwise
from typing import Any, TypeVar, cast

import pytest

from service import coalesce
from service.coalesce import Coalescer
from service.errors import InvalidClaimError
from service.verify import Filters, Verification, Verifier

T = TypeVar("T")


class Recorder:
    """Answers each claim with a Verification naming it; records the batches and the threads they ran on."""

    def __init__(self) -> None:
        self.batches: list[tuple[list[str], int | None, Filters | None]] = []
        self.threads: set[str] = set()
        self.nli = None

    def verify_many(
        self, claims: Iterable[str], *, top_k: int | None = None, filters: Filters | None = None
    ) -> Iterator[Verification]:
        batch = list(claims)
        self.batches.append((batch, top_k, filters))
        for claim in batch:
            self.threads.add(threading.current_thread().name)
            if "boom" in claim:
                raise ValueError(f"cannot check {claim!r}")
            if not claim.strip():
                raise InvalidClaimError("empty claim")
            yield Verification(claim, "en", "not_enough_evidence", 1.0, (), (f"top_k={top_k}",))


def run(make: Any) -> Any:
    return asyncio.run(make())


def together(*checks: Awaitable[T]) -> Awaitable[list[T | BaseException]]:
    """Requests arriving in one turn of the loop, as a server reads them."""
    return asyncio.gather(*checks, return_exceptions=True)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def coalescer_for(recorder: Recorder, **options: Any) -> Coalescer:
    return Coalescer(cast(Verifier, recorder), max_batch=4, **options)


def test_claims_waiting_together_are_checked_in_one_batch_each_getting_its_own_answer(recorder: Recorder) -> None:
    coalescer = coalescer_for(recorder)

    async def main() -> list[Any]:
        return await together(*(coalescer.verify(f"claim {i}") for i in range(6)))

    assert [r.claim for r in run(main)] == [f"claim {i}" for i in range(6)]
    assert [b[0] for b in recorder.batches] == [["claim 0", "claim 1", "claim 2", "claim 3"], ["claim 4", "claim 5"]]
    assert recorder.threads == {threading.current_thread().name}  # on the loop: no thread hand-off


def recording_checks(recorder: Recorder, events: list[str]) -> None:
    """``events`` gets "checked <claim>" as the engine finishes each claim."""
    original = recorder.verify_many

    def verify_many(claims: Iterable[str], **options: Any) -> Iterator[Verification]:
        for result in original(claims, **options):
            events.append(f"checked {result.claim}")
            yield result

    recorder.verify_many = verify_many  # type: ignore[method-assign]


def test_a_batch_is_answered_together_once_its_last_claim_is_checked(recorder: Recorder) -> None:
    """Answering claim by claim interleaved the HTTP work with the engine's (docs/performance.md)."""
    coalescer = coalescer_for(recorder)
    events: list[str] = []
    recording_checks(recorder, events)

    async def caller(claim: str) -> None:
        await coalescer.verify(claim)
        events.append(f"answered {claim}")

    async def main() -> None:
        await together(caller("a"), caller("b"), caller("c"))

    run(main)
    assert len(recorder.batches) == 1
    assert events == ["checked a", "checked b", "checked c", "answered a", "answered b", "answered c"]


def test_the_loop_keeps_turning_between_the_claims_of_a_batch(recorder: Recorder) -> None:
    """Health probes, the page and the reading of new requests are not held up for a whole batch."""
    coalescer = coalescer_for(recorder)
    events: list[str] = []
    recording_checks(recorder, events)

    async def ticker() -> None:
        while True:
            events.append("tick")
            await asyncio.sleep(0)

    async def main() -> None:
        ticking = asyncio.ensure_future(ticker())
        await together(*(coalescer.verify(c) for c in ("a", "b", "c")))
        ticking.cancel()

    run(main)
    checked = [i for i, event in enumerate(events) if event.startswith("checked")]
    assert len(checked) == 3
    assert all("tick" in events[i:j] for i, j in pairwise(checked))


def test_claims_arriving_during_a_batch_make_the_next_batch(recorder: Recorder) -> None:
    coalescer = coalescer_for(recorder)
    later: list[asyncio.Task[Verification]] = []
    original = recorder.verify_many

    def verify_many(claims: Iterable[str], **options: Any) -> Iterator[Verification]:
        for result in original(claims, **options):
            if result.claim == "first":  # two requests come in while the first batch is being checked
                later.extend(asyncio.ensure_future(coalescer.verify(c)) for c in ("second", "third"))
            yield result

    recorder.verify_many = verify_many  # type: ignore[method-assign]

    async def main() -> list[str]:
        first = await coalescer.verify("first")
        return [first.claim, *[r.claim for r in await asyncio.gather(*later)]]

    assert run(main) == ["first", "second", "third"]
    assert [b[0] for b in recorder.batches] == [["first"], ["second", "third"]]


def test_claims_a_few_turns_of_the_loop_away_join_the_batch(recorder: Recorder) -> None:
    """A request takes turns of the loop to reach the queue (read, then its handler): it is waited for."""
    coalescer = coalescer_for(recorder)

    async def late(claim: str, turns: int) -> Verification:
        for _ in range(turns):
            await asyncio.sleep(0)
        return await coalescer.verify(claim)

    async def main() -> list[Any]:
        return await together(coalescer.verify("first"), late("second", 3))

    assert [r.claim for r in run(main)] == ["first", "second"]
    assert [b[0] for b in recorder.batches] == [["first", "second"]]


def test_the_callers_of_a_batch_coming_back_one_by_one_make_one_batch(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load a batch's callers send their next claims at once, but on a busy machine not all in
    the same turn of the loop: the engine waits for them rather than checking the first alone."""
    monkeypatch.setattr(coalesce, "RETURN_WAIT_SECONDS", 30.0)  # long: only their return ends the wait
    coalescer = coalescer_for(recorder)

    async def client(name: str, delay: float) -> None:
        await coalescer.verify(f"{name} 1")
        await asyncio.sleep(delay)  # many turns of the loop, a different number for each caller
        await coalescer.verify(f"{name} 2")

    async def main() -> None:
        delays = {"a": 0.001, "b": 0.004, "c": 0.002, "d": 0.003}
        await asyncio.wait_for(together(*(client(name, delay) for name, delay in delays.items())), 5)

    run(main)
    assert [b[0] for b in recorder.batches] == [["a 1", "b 1", "c 1", "d 1"], ["a 2", "c 2", "d 2", "b 2"]]


def test_nobody_waits_for_callers_who_do_not_come_back(recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    coalescer = coalescer_for(recorder)

    async def main() -> None:
        monkeypatch.setattr(coalesce, "RETURN_WAIT_SECONDS", 30.0)
        # an idle engine waits for no one: a lone claim is checked at once
        await asyncio.wait_for(coalescer.verify("alone"), 1)
        monkeypatch.setattr(coalesce, "RETURN_WAIT_SECONDS", 0.01)
        await together(coalescer.verify("x"), coalescer.verify("y"))
        await asyncio.sleep(0.1)  # neither comes back: the wait ends, and the engine with it
        assert coalescer._task is None
        monkeypatch.setattr(coalesce, "RETURN_WAIT_SECONDS", 30.0)
        await asyncio.wait_for(coalescer.verify("later"), 1)

    run(main)
    assert [b[0] for b in recorder.batches] == [["alone"], ["x", "y"], ["later"]]


def test_claims_with_other_options_are_batched_apart(recorder: Recorder) -> None:
    coalescer = coalescer_for(recorder)
    only_one = Filters.of(["a"])

    async def main() -> list[Any]:
        return await together(
            coalescer.verify("plain"),
            coalescer.verify("five passages", top_k=5),
            coalescer.verify("one source", filters=only_one),
            coalescer.verify("plain too"),
        )

    assert [r.notes for r in run(main)] == [("top_k=None",), ("top_k=5",), ("top_k=None",), ("top_k=None",)]
    assert recorder.batches == [
        (["plain", "plain too"], None, Filters()),
        (["five passages"], 5, Filters()),
        (["one source"], None, only_one),
    ]


def test_a_claim_the_engine_fails_on_fails_only_its_own_check(recorder: Recorder) -> None:
    coalescer = coalescer_for(recorder)

    async def main() -> list[Any]:
        return await together(*(coalescer.verify(c) for c in ("good", "boom", " ", "after")))

    good, bad, empty, after = run(main)
    assert good.claim == "good" and after.claim == "after"
    assert isinstance(bad, ValueError) and "cannot check 'boom'" in str(bad)
    assert isinstance(empty, InvalidClaimError)


def test_a_check_cancelled_while_waiting_is_never_run(recorder: Recorder) -> None:
    coalescer = coalescer_for(recorder)

    async def main() -> str:
        dropped = asyncio.ensure_future(coalescer.verify("dropped"))
        kept = asyncio.ensure_future(coalescer.verify("kept"))
        await asyncio.sleep(0)  # both queued, the engine not yet started
        dropped.cancel()
        return (await kept).claim

    assert run(main) == "kept"
    assert all("dropped" not in batch for batch, _, _ in recorder.batches)


def test_with_an_nli_model_the_engine_runs_off_the_loop(recorder: Recorder) -> None:
    """A model's forward passes would stall every connection of the loop: they run on the engine thread."""
    recorder.nli = cast(Any, object())
    coalescer = coalescer_for(recorder)

    async def main() -> list[Any]:
        return await together(*(coalescer.verify(c) for c in ("one", "boom", "two")))

    one, bad, two = run(main)
    coalescer.close()
    assert (one.claim, two.claim) == ("one", "two") and isinstance(bad, ValueError)
    assert recorder.threads and all(name.startswith("crosscheck-engine") for name in recorder.threads)


def test_close_finishes_what_is_queued_then_refuses_more(recorder: Recorder) -> None:
    coalescer = coalescer_for(recorder)

    async def main() -> str:
        queued = asyncio.ensure_future(coalescer.verify("queued"))
        await asyncio.sleep(0)
        coalescer.close()
        with pytest.raises(RuntimeError, match="stopped"):
            await coalescer.verify("too late")
        return (await queued).claim

    assert run(main) == "queued"


class Fatal(BaseException):
    """What no ``except Exception`` catches: the engine goes down with it."""


def test_a_dying_engine_fails_its_callers_and_refuses_more(recorder: Recorder) -> None:
    coalescer = coalescer_for(recorder)

    def fatal(claims: Iterable[str], **options: Any) -> Iterator[Verification]:
        raise Fatal
        yield  # a generator, as verify_many is

    recorder.verify_many = fatal  # type: ignore[method-assign]

    async def main() -> list[Any]:
        return await together(coalescer.verify("any claim"), coalescer.verify("another"))

    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda loop, context: None)  # the task's Fatal, never retrieved: expected here
    try:
        outcomes = loop.run_until_complete(main())
        assert all(isinstance(o, RuntimeError) and "engine stopped" in str(o) for o in outcomes)
        with pytest.raises(RuntimeError, match="stopped"):
            loop.run_until_complete(coalescer.verify("too late"))
    finally:
        loop.close()
    assert coalescer._task is None
