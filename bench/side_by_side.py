"""This checkout's server against another checkout's, at the same time, one core each.

This machine's speed drifts by a third within minutes, so two ``bench.api`` runs
one after the other compare the machine as much as the code. Here both servers
run together: each one worker pinned to a core of its own with its own wrk (16
connections, the claims of ``bench/verify.lua``), the cores swapped every round.
Both see the same machine at the same moment, and the ratio of their
throughputs is the figure.

    git worktree add /tmp/before <commit>     # then `make compile` there, or its engine runs from source
    python -m bench.side_by_side /tmp/before [--rounds 4] [--duration 15] [--env KEY=VALUE ...]

``--env`` sets variables for this checkout's server only (an experiment behind
an environment variable). Needs ``taskset`` (util-linux) and wrk, and two CPUs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.api import ensure_wrk, start_server, wait_ready, wrk_command, wrk_figures
from bench.common import OUT, REPO, fresh_dir, record, shown


def start(
    tree: Path, core: int, directory: Path, side: str, extra: dict[str, str]
) -> tuple[subprocess.Popen[str], str]:
    """A one-worker ``crosscheck serve`` of ``tree`` pinned to ``core`` (BLAS kept to one thread too)."""
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(tree), **extra}
    log = directory / f"{side}.log"
    prefix = ["taskset", "-c", str(core)]
    return start_server(directory / f"index-{side}", 1, 1, log, tree=tree, prefix=prefix, env=env)


def load(wrk: str, core: int, url: str, seconds: int) -> subprocess.Popen[str]:
    command = ["taskset", "-c", str(core), *wrk_command(wrk, url, 16, seconds, 1)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def figures(run: subprocess.Popen[str]) -> dict[str, Any]:
    output, _ = run.communicate()
    return wrk_figures(output)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", type=Path, help="the checkout to compare with (its engine compiled, or from source)")
    parser.add_argument("--rounds", type=int, default=4, help="the cores swap every round")
    parser.add_argument("--duration", type=int, default=15, help="measured seconds a round (after 8 s of warm-up)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="for this checkout only")
    args = parser.parse_args()
    if len(os.sched_getaffinity(0)) < 2:
        raise SystemExit("needs two CPUs: one for each server")
    other = args.other.resolve()
    if not (other / "service" / "cli.py").is_file():
        raise SystemExit(f"{other} is not a crosscheck checkout")
    extra = dict(item.split("=", 1) for item in args.env)
    wrk = ensure_wrk()
    directory = fresh_dir("side_by_side")
    sides = {"this": (REPO, extra), "other": (other, {})}
    rounds: list[dict[str, Any]] = []
    for number in range(args.rounds):
        cores = {"this": number % 2, "other": 1 - number % 2}
        servers: dict[str, tuple[subprocess.Popen[str], str]] = {}
        try:
            for side, (tree, env) in sides.items():
                servers[side] = start(tree, cores[side], directory, side, env)
            for _, url in servers.values():
                wait_ready(url, workers=1)
            for warm in [load(wrk, cores[side], url, 8) for side, (_, url) in servers.items()]:
                warm.communicate()
            before = {side: cpu_seconds(process.pid) for side, (process, _) in servers.items()}
            runs = {side: load(wrk, cores[side], url, args.duration) for side, (_, url) in servers.items()}
            results = {side: figures(run) for side, run in runs.items()}
            used = {side: cpu_seconds(process.pid) - before[side] for side, (process, _) in servers.items()}
        finally:
            for process, _ in servers.values():
                process.send_signal(signal.SIGTERM)
            for process, _ in servers.values():
                process.wait(timeout=60)
        row: dict[str, Any] = {"round": number}
        for side, found in results.items():
            requests = int(found["requests"])
            row[side] = {
                "core": cores[side],
                "requests_per_second": round(requests / (int(found["duration_us"]) / 1e6), 1),
                "p50_ms": round(found["latency_us"]["p50"] / 1000, 1),
                "p99_ms": round(found["latency_us"]["p99"] / 1000, 1),
                "cpu_ms_per_request": round(used[side] * 1000 / requests, 3),
                "errors": sum(found["errors"].values()),
            }
        rounds.append(row)
        print(json.dumps(row), flush=True)
    total = {side: sum(r[side]["requests_per_second"] for r in rounds) for side in sides}
    faster = sum(r["this"]["requests_per_second"] > r["other"]["requests_per_second"] for r in rounds)
    record(
        "side_by_side",
        {
            "command": "python -m bench.side_by_side " + " ".join(sys.argv[1:]),
            "this": str(REPO),
            "other": str(other),
            "this_env": extra,
            "rounds": rounds,
            "this_faster_in_rounds": faster,
            "throughput_ratio_this_to_other": round(total["this"] / total["other"], 3),
            "server_logs": shown(OUT / "side_by_side"),
        },
    )


if __name__ == "__main__":
    main()
