"""Keeping a set of feeds current: ``crosscheck watch FEEDS.txt --every 15m``.

Each round ingests every feed in the file (read again each round, so edits take effect) through
:meth:`service.corpus.Corpus.ingest_paths`; the crawl state beside the index makes a round fetch
only the items that are new or changed. A feed that fails is left alone for one interval, then two,
four, ... (up to a day) before it is tried again. Ctrl-C (or SIGTERM) lets the round in progress
finish and stops; a second Ctrl-C stops at once.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from index.ingest import IngestReport
from service.corpus import Corpus
from service.errors import InvalidInputError

_INTERVAL = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d)?\s*", re.I)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}
_COMMENT = re.compile(r"(?:^|\s)#.*")
MIN_INTERVAL = 1.0  # seconds; anything shorter is a typo, not a polite crawl


def parse_interval(text: str) -> float:
    """Seconds in ``90``, ``30s``, ``15m``, ``2h`` or ``1d``."""
    match = _INTERVAL.fullmatch(text)
    if not match:
        raise InvalidInputError(f"not an interval: {text!r}; write 30s, 15m, 2h or 1d", field="every")
    seconds = float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
    if seconds < MIN_INTERVAL:
        raise InvalidInputError(f"the interval {text!r} is shorter than {MIN_INTERVAL:g}s", field="every")
    return seconds


def read_feeds(path: Path) -> list[str]:
    """Feed and sitemap URLs (or feed files), one a line; blank lines and ``#`` comments are skipped."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read the feeds file ({exc.strerror or exc})", field="feeds") from None
    feeds = [_COMMENT.sub("", line).strip() for line in lines]
    feeds = [feed for feed in feeds if feed]
    if not feeds:
        raise InvalidInputError(f"{path}: no feeds listed (one URL a line)", field="feeds")
    return feeds


@dataclass
class Round:
    number: int
    started: float
    report: IngestReport


class Stop:
    """Set by the first Ctrl-C or SIGTERM: finish the round, then stop."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def requested(self) -> bool:
        return self.event.is_set()

    def wait(self, seconds: float) -> bool:
        return self.event.wait(seconds)


@contextmanager
def stop_on_signals(notify: Callable[[str], None]) -> Iterator[Stop]:
    """SIGINT and SIGTERM ask the watch to stop after its round; a second SIGINT interrupts at once."""
    stop = Stop()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def ask(signum: int, frame: FrameType | None) -> None:
        if stop.requested() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.event.set()
        notify("stopping after this round (Ctrl-C again to stop now)")

    for sig in previous:
        signal.signal(sig, ask)
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def watch(
    corpus: Corpus,
    feeds_file: Path,
    every: float,
    *,
    stop: Stop,
    rounds: int | None = None,
    on_round: Callable[[Round], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> int:
    """Ingest the feeds every ``every`` seconds until stopped (or after ``rounds``); returns rounds run."""
    done = 0
    while not stop.requested():
        started = time.time()
        report = corpus.ingest_paths(read_feeds(feeds_file), on_warning=on_warning, listing_backoff=every)
        done += 1
        if on_round:
            on_round(Round(done, started, report))
        if rounds is not None and done >= rounds:
            break
        if stop.wait(max(0.0, started + every - time.time())):
            break
    return done
