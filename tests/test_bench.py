"""The benchmarks still run: a quick smoke run of the one that needs no model, figures kept out of bench/out/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_the_batch_memory_benchmark_runs_its_stand_in(tmp_path: Path) -> None:
    """Its stand-in engine must keep up with what the batch command asks of an engine (it once lacked
    ``warm_up`` for three sessions, and the benchmark failed before measuring anything)."""
    run = subprocess.run(
        [sys.executable, "-m", "bench.batch_memory", "--standin", "300", "--real", ""],
        cwd=REPO,
        env={**os.environ, "BENCH_OUT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    figures = json.loads((tmp_path / "batch_memory.json").read_text())
    (standin,) = figures["runs"]
    assert standin["rows"] == 300 and standin["kind"] == "standin"
    assert figures["standin_meets_target"] is True


def test_the_load_client_counts_answers_errors_and_memory() -> None:
    """bench.load against a tiny HTTP/1.1 server: every third answer a 503, one connection closed after each answer
    (as the server's balancer asks some clients to reconnect); the counts must add up, and the server's memory is
    read for the process given."""
    import asyncio

    from bench.load import load

    served = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = int(next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1])
            body = json.loads(await reader.readexactly(length))
            assert body["claim"]
            served += 1
            status = b"503 Service Unavailable" if served % 3 == 0 else b"200 OK"
            close = served % 5 == 0
            answer = b'{"verdict": "supported"}'
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Length: " + str(len(answer)).encode()
                + (b"\r\nConnection: close" if close else b"") + b"\r\n\r\n" + answer
            )  # fmt: skip
            await writer.drain()
            if close:
                break
        writer.close()

    async def scenario() -> dict[str, object]:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await load(f"http://127.0.0.1:{port}", 4, 1.0, server_pid=os.getpid(), sample_every=0.5)

    figures = asyncio.run(scenario())
    assert figures["requests"] == served > 10
    assert figures["errors"] == served // 3 and figures["errors_by_kind"] == {"status 503": served // 3}
    rss = figures["rss_mb"]
    assert isinstance(rss, dict) and rss["start"] > 0 and rss["end"] > 0 and len(rss["samples"]) >= 3


def test_the_scale_benchmark_measures_a_small_store(tmp_path: Path) -> None:
    """The store half of bench.scale (synthetic vectors, no model) on two small sizes."""
    run = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--sizes", "300,900", "--real", "0"],
        cwd=REPO,
        env={**os.environ, "BENCH_OUT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    figures = json.loads((tmp_path / "scale.json").read_text())
    small, large = figures["synthetic_300"], figures["synthetic_900"]
    assert (small["passages"], large["passages"]) == (300, 900)
    assert 0 < large["add_mb"] < 10 and large["open_s"] > 0 and large["rss_mb"] > 0 and figures["add_ratio"] > 0
