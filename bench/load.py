"""Load test and soak of ``POST /v1/verify`` with nothing but Python: an asyncio HTTP/1.1 client.

``bench.api`` drives the server with wrk, which comes from Debian; this needs only
the project itself, so it runs on any machine ``make run`` works on. It starts
``crosscheck serve`` on the seeds (as ``bench.api`` does), waits for /readyz,
warms it up, then keeps ``--connections`` kept-alive connections busy for
``--duration`` seconds, every request a different claim (templates x numbers x
places, as ``bench/verify.lua``). It reports requests/s, latency percentiles,
errors by kind, and the server's memory (all its processes together) at the
start and at the end of the run, sampled every ``--sample`` seconds in between.

    python -m bench.load [--connections 32] [--duration 30] [--workers 2]
    python -m bench.load --soak          # 10 minutes at 32 connections: errors, p99, memory growth

The client is one Python process and takes CPU from the server on a small
machine, so its requests/s are lower than wrk's; compare runs of this benchmark
with each other, not with ``bench.api``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.api import start_server, wait_ready
from bench.common import OUT, _descendants, _memory_mb, fresh_dir, percentiles, record, shown

SOAK_SECONDS = 600
TIMEOUT_SECONDS = 10.0
TEMPLATES = (
    "{n} troops moved to Romania",
    "The United States is sending {n} soldiers to Poland and Germany",
    "Russia has {n} troops at the border with Ukraine",
    "{n} American soldiers are on standby for deployment to Europe",
    "Biden considers sending {n} troops to {p}",
    "{n} militairen gaan naar {p}",
    "De VS sturen {n} soldaten naar {p}",
    "Rusland heeft {n} militairen aan de grens met Oekraïne",
    "Spain sent {n} frigates to the Black Sea",
    "NATO puts {n} troops on standby in {p}",
)
PLACES = ("Romania", "Poland", "Germany", "Eastern Europe", "Roemenië", "Polen", "Duitsland", "Ukraine", "the Baltics")
NUMBERS = ("1,000", "2,000", "8,500", "100,000", "300", "50,000", "1.000", "duizend", "two thousand", "5,000")


def claim(rng: random.Random) -> str:
    """A claim unlike the last: no cache of whole answers can serve the load."""
    number = rng.choice(NUMBERS) if rng.random() < 0.5 else str(rng.randint(1, 200_000))
    return rng.choice(TEMPLATES).format(n=number, p=rng.choice(PLACES))


@dataclass
class Tally:
    """What the connections saw: latencies of the 2xx answers, and every failure by kind."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)


class Connection:
    """One kept-alive HTTP/1.1 connection: a request written, its answer read by Content-Length."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True  # the server's balancer asks some clients to reconnect
        await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _connection(url: str, until: float, tally: Tally, seed: int) -> None:
    parts = urlsplit(url)
    connection = Connection(parts.hostname or "127.0.0.1", parts.port or 80)
    rng = random.Random(seed)
    while time.monotonic() < until:
        body = json.dumps({"claim": claim(rng)}).encode()
        started = time.perf_counter()
        try:
            status = await asyncio.wait_for(connection.post("/v1/verify", body), TIMEOUT_SECONDS)
        except TimeoutError:
            tally.errors["timeout"] += 1
            connection.close()
            continue
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            tally.errors[f"connection ({type(exc).__name__})"] += 1
            connection.close()
            await asyncio.sleep(0.05)
            continue
        tally.statuses[status] += 1
        if 200 <= status < 300:
            tally.latencies.append(time.perf_counter() - started)
        else:
            tally.errors[f"status {status}"] += 1
    connection.close()


def server_rss_mb(pid: int) -> float:
    """The server and its worker processes together (resident memory, MB)."""
    total = 0.0
    for member in (pid, *_descendants(pid)):
        memory = _memory_mb(member)
        if memory is not None:
            total += memory[0]
    return round(total, 1)


async def load(
    url: str, connections: int, seconds: float, *, server_pid: int, sample_every: float
) -> dict[str, object]:
    """``connections`` clients for ``seconds``; the server's RSS sampled at the start, every ``sample_every`` s
    and at the end."""
    tally = Tally()
    started = time.monotonic()
    until = started + seconds
    rss = [(0.0, server_rss_mb(server_pid))]
    clients = [asyncio.create_task(_connection(url, until, tally, seed)) for seed in range(connections)]
    while time.monotonic() < until:
        await asyncio.sleep(min(sample_every, max(0.0, until - time.monotonic())))
        rss.append((round(time.monotonic() - started, 1), server_rss_mb(server_pid)))
    await asyncio.gather(*clients)
    elapsed = time.monotonic() - started
    rss.append((round(elapsed, 1), server_rss_mb(server_pid)))
    latency = {k: round(v * 1000, 1) for k, v in percentiles(tally.latencies).items()} if tally.latencies else {}
    return {
        "connections": connections,
        "duration_s": round(elapsed, 1),
        "requests": sum(tally.statuses.values()),
        "requests_per_second": round(len(tally.latencies) / elapsed, 1),
        "latency_ms": latency,
        "errors": sum(tally.errors.values()),
        "errors_by_kind": dict(tally.errors),
        "rss_mb": {"start": rss[0][1], "end": rss[-1][1], "max": max(m for _, m in rss), "samples": rss},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=30, help="seconds of measured load")
    parser.add_argument("--soak", action="store_true", help=f"{SOAK_SECONDS // 60} minutes of load (a soak test)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="encoder threads per worker")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of load before the measured run")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between memory samples")
    args = parser.parse_args()
    seconds = SOAK_SECONDS if args.soak else args.duration
    name = "soak" if args.soak else "load"

    directory = fresh_dir(name)
    server, url = start_server(directory / "index", args.workers, args.threads, directory / "server.log")
    try:
        wait_ready(url, args.workers)
        asyncio.run(load(url, args.connections, args.warmup, server_pid=server.pid, sample_every=args.warmup))
        figures = asyncio.run(load(url, args.connections, seconds, server_pid=server.pid, sample_every=args.sample))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    record(
        name,
        {
            "command": "python -m bench.load " + " ".join(sys.argv[1:]),
            "server": f"crosscheck serve --workers {args.workers} (CROSSCHECK_THREADS={args.threads})",
            **figures,
            "server_log": shown(OUT / name / "server.log"),
        },
    )


if __name__ == "__main__":
    main()
