"""Concurrent checks batched on one engine thread (``service.coalesce``), over a recording stand-in engine."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator
from typing import Any, cast

import pytest

from service.coalesce import Coalescer
from service.errors import InvalidClaimError
from service.verify import Filters, Verification, Verifier


class Recorder:
    """Answers each claim with a Verification naming it; records the batches; ``hold`` pauses the engine."""

    def __init__(self) -> None:
        self.batches: list[tuple[list[str], int | None, Filters | None]] = []
        self.hold = threading.Event()
        self.hold.set()
        self.entered = threading.Event()

    def verify_many(
        self, claims: Iterable[str], *, top_k: int | None = None, filters: Filters | None = None
    ) -> Iterator[Verification]:
        batch = list(claims)
        self.batches.append((batch, top_k, filters))
        self.entered.set()
        assert self.hold.wait(10)
        for claim in batch:
            if "boom" in claim:
                raise ValueError(f"cannot check {claim!r}")
            if not claim.strip():
                raise InvalidClaimError("empty claim")
            yield Verification(claim, "en", "not_enough_evidence", 1.0, (), (f"top_k={top_k}",))

    def verify(self, claim: str, *, top_k: int | None = None, filters: Filters | None = None) -> Verification:
        (result,) = self.verify_many([claim], top_k=top_k, filters=filters)
        return result


@pytest.fixture
def engine() -> Iterator[tuple[Coalescer, Recorder]]:
    recorder = Recorder()
    coalescer = Coalescer(cast(Verifier, recorder), max_batch=4)
    yield coalescer, recorder
    recorder.hold.set()
    coalescer.close()


def paused(recorder: Recorder, coalescer: Coalescer) -> Any:
    """Hold the engine inside a first check, so what is submitted next waits in the queue."""
    recorder.hold.clear()
    first = coalescer.submit("first claim")
    assert recorder.entered.wait(10)
    return first


def test_claims_waiting_together_are_checked_in_one_batch_each_getting_its_own_answer(
    engine: tuple[Coalescer, Recorder],
) -> None:
    coalescer, recorder = engine
    first = paused(recorder, coalescer)
    futures = [coalescer.submit(f"claim {i}") for i in range(6)]
    recorder.hold.set()
    assert first.result(10).claim == "first claim"
    assert [f.result(10).claim for f in futures] == [f"claim {i}" for i in range(6)]
    # one alone (nothing else was waiting), then the six queued behind it in batches of at most four
    assert [b[0] for b in recorder.batches] == [
        ["first claim"],
        ["claim 0", "claim 1", "claim 2", "claim 3"],
        ["claim 4", "claim 5"],
    ]


def test_claims_with_other_options_are_batched_apart(engine: tuple[Coalescer, Recorder]) -> None:
    coalescer, recorder = engine
    paused(recorder, coalescer)
    only_one = Filters.of(["a"])
    futures = [
        coalescer.submit("plain"),
        coalescer.submit("five passages", top_k=5),
        coalescer.submit("one source", filters=only_one),
        coalescer.submit("plain too"),
    ]
    recorder.hold.set()
    assert [f.result(10).notes for f in futures] == [("top_k=None",), ("top_k=5",), ("top_k=None",), ("top_k=None",)]
    assert recorder.batches[1:] == [
        (["plain", "plain too"], None, Filters()),
        (["five passages"], 5, Filters()),
        (["one source"], None, only_one),
    ]


def test_a_claim_the_engine_fails_on_fails_only_its_own_check(engine: tuple[Coalescer, Recorder]) -> None:
    coalescer, recorder = engine
    paused(recorder, coalescer)
    good, bad, empty, after = (coalescer.submit(c) for c in ("good", "boom", " ", "after"))
    recorder.hold.set()
    assert good.result(10).claim == "good" and after.result(10).claim == "after"
    with pytest.raises(ValueError, match="cannot check 'boom'"):
        bad.result(10)
    with pytest.raises(InvalidClaimError):
        empty.result(10)


def test_a_check_cancelled_while_waiting_is_never_run(engine: tuple[Coalescer, Recorder]) -> None:
    coalescer, recorder = engine
    paused(recorder, coalescer)
    dropped, kept = coalescer.submit("dropped"), coalescer.submit("kept")
    assert dropped.cancel()
    recorder.hold.set()
    assert kept.result(10).claim == "kept"
    assert all("dropped" not in batch for batch, _, _ in recorder.batches)


def test_verify_awaits_the_answer() -> None:
    recorder = Recorder()
    coalescer = Coalescer(cast(Verifier, recorder))
    try:

        async def both() -> list[Verification]:
            return list(await asyncio.gather(coalescer.verify("one"), coalescer.verify("two", top_k=2)))

        assert [r.claim for r in asyncio.run(both())] == ["one", "two"]
    finally:
        coalescer.close()


def test_close_finishes_what_is_queued_then_refuses_more(engine: tuple[Coalescer, Recorder]) -> None:
    coalescer, recorder = engine
    paused(recorder, coalescer)
    queued = coalescer.submit("queued")
    closing = threading.Thread(target=coalescer.close)
    closing.start()
    recorder.hold.set()
    closing.join(10)
    assert queued.result(10).claim == "queued"
    with pytest.raises(RuntimeError, match="stopped"):
        coalescer.submit("too late")


class Fatal(BaseException):
    """What no ``except Exception`` catches: the engine thread goes down with it."""


def test_a_dying_engine_thread_fails_its_callers_and_refuses_more(monkeypatch: pytest.MonkeyPatch) -> None:
    died: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: died.append(args.exc_value))
    recorder = Recorder()
    coalescer = Coalescer(cast(Verifier, recorder))

    def fatal(claims: Iterable[str], **options: Any) -> Iterator[Verification]:
        raise Fatal
        yield  # a generator, as verify_many is

    recorder.verify_many = fatal  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="engine thread stopped"):
        coalescer.submit("any claim").result(10)
    coalescer.close()
    assert died and isinstance(died[0], Fatal)
    with pytest.raises(RuntimeError, match="stopped"):
        coalescer.submit("too late")
