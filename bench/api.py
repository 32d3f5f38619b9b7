"""Load test of ``POST /v1/verify`` from a second process on loopback.

Starts ``crosscheck serve`` (by default two workers, one encoder thread each)
on the seed corpus, waits for /readyz, warms it up, then runs wrk with
``bench/verify.lua``: 32 connections for 30 s, every request a different claim
(templates x numbers x places), so no cache of whole answers can serve it.
Records requests/s, latency percentiles and errors.

    python -m bench.api [--connections 32] [--duration 30] [--workers 2] [--threads 1]

wrk comes from Debian (``apt-get install wrk``); it is installed when missing and
this runs as root.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.common import OUT, REPO, fresh_dir, record, shown
from service.compiled import PURE_ENV

TARGET_RPS = 300
TARGET_P99_MS = 100.0
SCRIPT = Path(__file__).resolve().parent / "verify.lua"


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is missing: apt-get install wrk")
    print("installing wrk (apt-get install wrk) ...", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"], check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    )
    return shutil.which("wrk") or "wrk"


def start_server(
    index_dir: Path,
    workers: int,
    threads: int,
    log: Path,
    *,
    tree: Path = REPO,
    prefix: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> tuple[subprocess.Popen[str], str]:
    """``crosscheck serve`` of checkout ``tree`` on its seeds, run under ``prefix`` (``taskset``), with
    ``env`` on top; returns once it names its URL (see :func:`wait_ready`)."""
    # the server's settings are these alone; CROSSCHECK_PURE_PYTHON=1 (the engine from source) is passed on
    server_env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSCHECK_") or k == PURE_ENV}
    server_env |= {
        "CROSSCHECK_SEEDS_DIR": str(tree / "seeds"),
        "CROSSCHECK_THREADS": str(threads),
        "CROSSCHECK_ACCESS_LOG": "1",
        "HF_HUB_OFFLINE": "1",
        **(env or {}),
    }
    command = [
        *prefix, sys.executable, "-m", "service.cli", "serve", "--port", "0", "--workers", str(workers),
        "--index-dir", str(index_dir),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=tree, env=server_env, stdout=subprocess.PIPE, stderr=log.open("w"), text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"serving on (http://\S+)", line)
    if not match:
        process.kill()
        raise SystemExit(f"{tree}: server did not start: {line!r}; see {log}")
    return process, match.group(1)


def wait_ready(url: str, workers: int, timeout: float = 300) -> None:
    """Every worker answers /readyz 200 (requests spread over workers, so ask until enough say so)."""
    deadline = time.monotonic() + timeout
    ready = 0
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
                ready = ready + 1 if response.status == 200 else 0
        except (urllib.error.URLError, OSError):
            ready = 0
        if ready >= 10 * workers:
            return
        time.sleep(0.2)
    raise SystemExit("server not ready in time")


def wrk_command(wrk: str, url: str, connections: int, duration: int, threads: int, path: str = "") -> list[str]:
    """wrk with verify.lua's request generator, or a plain GET of ``path``."""
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(SCRIPT)]
    if path:
        command += ["-H", "X-Bench-Path: " + path]
    return [*command, url + path]


def wrk_figures(output: str) -> dict[str, Any]:
    """The figures verify.lua's done() prints as a line of JSON."""
    figures: dict[str, Any] = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    return figures


def run_wrk(wrk: str, url: str, connections: int, duration: int, threads: int, path: str = "") -> dict[str, Any]:
    command = wrk_command(wrk, url, connections, duration, threads, path)
    figures = wrk_figures(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    figures["command"] = " ".join(["wrk", *command[1:-2], "bench/verify.lua", "URL"])
    return figures


def per_worker(log: Path, start: float, end: float) -> dict[str, dict[str, float]]:
    """Requests, connections and mean server time per worker in the measured run, from the access log.

    The kernel hashes each connection to one worker's socket, so the split is uneven, and the
    worker with more connections answers later: part of the latency spread. The first second is
    left out: the warm-up's last requests are still being answered on its closed connections.
    """
    from datetime import datetime

    start += 1.0

    seen: dict[str, tuple[int, set[str], float]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        if '"path": "/v1/verify"' not in line:
            continue
        entry = json.loads(line)
        when = datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()
        if not start <= when <= end:
            continue
        count, clients, total = seen.get(str(entry["pid"]), (0, set(), 0.0))
        clients.add(entry["client"])
        seen[str(entry["pid"])] = (count + 1, clients, total + entry["duration_ms"])
    return {
        pid: {"requests": count, "connections": len(clients), "mean_ms": round(total / count, 1)}
        for pid, (count, clients, total) in sorted(seen.items())
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="encoder threads per worker")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=10, help="seconds of load before the measured run")
    args = parser.parse_args()

    wrk = ensure_wrk()
    directory = fresh_dir("api")
    server, url = start_server(directory / "index", args.workers, args.threads, directory / "server.log")
    try:
        wait_ready(url, args.workers)
        run_wrk(wrk, url, args.connections, args.warmup, args.wrk_threads)  # fill the per-passage caches
        measured_from = time.time()
        figures = run_wrk(wrk, url, args.connections, args.duration, args.wrk_threads)
        measured_to = time.time()
        # the same server and load on a route that does no claim work: what the HTTP stack alone sustains
        stack = run_wrk(wrk, url, args.connections, 10, args.wrk_threads, path="/v1/sources")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    requests = int(figures["requests"])
    seconds = int(figures["duration_us"]) / 1e6
    latency = {k: round(v / 1000, 1) for k, v in figures["latency_us"].items()}
    errors = sum(figures["errors"].values())
    rps = round(requests / seconds, 1)
    record(
        "api",
        {
            "command": "python -m bench.api " + " ".join(sys.argv[1:]),
            "wrk": figures["command"],
            "server": f"crosscheck serve --workers {args.workers} (CROSSCHECK_THREADS={args.threads})",
            "connections": args.connections,
            "duration_s": round(seconds, 1),
            "requests": requests,
            "requests_per_second": rps,
            "latency_ms": latency,
            "errors": figures["errors"],
            "target": {"requests_per_second": TARGET_RPS, "p99_ms": TARGET_P99_MS, "errors": 0},
            "meets_target": rps >= TARGET_RPS and latency["p99"] <= TARGET_P99_MS and errors == 0,
            "http_stack_only": {
                "route": "GET /v1/sources",
                "requests_per_second": round(stack["requests"] / (stack["duration_us"] / 1e6), 1),
                "latency_ms": {k: round(v / 1000, 1) for k, v in stack["latency_us"].items()},
            },
            "per_worker": per_worker(directory / "server.log", measured_from, measured_to),
            "server_log": shown(OUT / "api" / "server.log"),
        },
    )


if __name__ == "__main__":
    main()
