"""Helpers shared by the benchmarks."""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
# Where figures and logs go; BENCH_OUT elsewhere keeps a test's smoke run out of the real figures.
OUT = Path(os.environ.get("BENCH_OUT") or REPO / "bench" / "out")


def shown(path: Path) -> str:
    """A path as the figures name it: inside the checkout, relative to it."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.machine()}, {cpus} CPUs, Python {platform.python_version()}"


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "p50": pick(0.50),
        "p90": pick(0.90),
        "p99": pick(0.99),
        "mean": statistics.fmean(ordered),
        "max": ordered[-1],
    }


def time_calls(fn: Callable[[], Any], *, warmup: int, runs: int) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def fresh_dir(name: str) -> Path:
    path = OUT / name
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def record(name: str, result: dict[str, Any]) -> None:
    """Print the figure and keep a JSON copy under bench/out/ for docs/performance.md."""
    from service.compiled import engine_build

    OUT.mkdir(parents=True, exist_ok=True)
    # "source" figures are not comparable with "compiled" ones (make compile; see setup.py)
    result = {"benchmark": name, "machine": machine(), "engine": engine_build(), **result}
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


@dataclass
class ChildRun:
    """A benchmark child process: its exit code, output, peak RSS, and RSS sampled as it ran."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    samples: list[tuple[float, float, int]]  # (seconds since start, RSS in MB, size of the watched file)
    peak_tree_rss_mb: float = 0.0  # the child and its own child processes together, as sampled


def run_child(cmd: Sequence[str], *, watch: Path | None = None, every: float = 0.25) -> ChildRun:
    """Run ``cmd``, sampling its RSS (and the size of ``watch``) until it exits.

    The peak is the larger of the last ``VmHWM`` seen (the high-water mark of
    the child's own address space) and ``ru_maxrss`` from ``wait4``. Linux
    carries the parent's high-water mark into ``ru_maxrss`` across ``exec``,
    so the parent must stay small (no model loaded) for that figure to mean
    anything; ``VmHWM`` starts afresh at ``exec``.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(list(cmd), stdout=out, stderr=err)
        samples: list[tuple[float, float, int]] = []
        high = tree_high = 0.0
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            memory = _memory_mb(child.pid)
            if memory is not None:
                rss, hwm = memory
                high = max(high, hwm)
                size = watch.stat().st_size if watch is not None and watch.exists() else 0
                samples.append((time.perf_counter() - started, rss, size))
                workers = (_memory_mb(pid) for pid in _descendants(child.pid))
                tree_high = max(tree_high, rss + sum(m[0] for m in workers if m is not None))
            time.sleep(every)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        peak = max(high, usage.ru_maxrss / 1024)
        return ChildRun(
            child.returncode, out.read().decode(), err.read().decode(), seconds, peak, samples, max(peak, tree_high)
        )


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (worker processes and theirs), from /proc."""
    parent_of = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent_of[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        below = [child for child, parent in parent_of.items() if parent in frontier]
        found.extend(below)
        frontier = below
    return found


def _memory_mb(pid: int) -> tuple[float, float] | None:
    """(VmRSS, VmHWM) of a live process, in MB."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (FileNotFoundError, ProcessLookupError, KeyError, ValueError):
        return None
