"""The verdict engine alone: ``Verifier.verify`` per claim, in this process, on one encoder thread.

The claims are generated from the same templates, numbers and places as the
HTTP load test (``bench/verify.lua``), so this figure is the CPU each API
request needs before any HTTP work: its inverse times the number of cores is
the ceiling for ``python -m bench.api``.

    python -m bench.verify [--claims 1000]
"""

from __future__ import annotations

import argparse
import random
import re
import time
from pathlib import Path

from bench.common import percentiles, record
from bench.search import build_seed_index
from index.embedding import load_embedder
from service.verify import Verifier

LUA = Path(__file__).resolve().parent / "verify.lua"


def lua_list(name: str) -> list[str]:
    """A list of strings from the Lua script, so both benchmarks draw from the same claims."""
    block = re.search(rf"local {name} = \{{(.*?)\n?\}}\n", LUA.read_text(encoding="utf-8"), re.S)
    assert block, name
    return re.findall(r'"([^"]*)"', block.group(1))


def make_claim(rng: random.Random, templates: list[str], numbers: list[str], places: list[str]) -> str:
    number = rng.choice(numbers) if rng.random() < 0.5 else str(rng.randint(1, 200_000))
    return rng.choice(templates).replace("%s", number, 1).replace("%s", rng.choice(places), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=1000)
    args = parser.parse_args()

    templates, numbers, places = lua_list("templates"), lua_list("numbers"), lua_list("places")
    verifier = Verifier(build_seed_index(load_embedder(threads=1)))
    rng = random.Random(1)
    for _ in range(200):  # the per-passage caches fill, as in a warm server
        verifier.verify(make_claim(rng, templates, numbers, places))
    samples = []
    cpu_started = time.process_time()
    for _ in range(args.claims):
        claim = make_claim(rng, templates, numbers, places)
        started = time.perf_counter()
        verifier.verify(claim)
        samples.append(time.perf_counter() - started)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / args.claims
    stats = {k: round(v * 1000, 2) for k, v in percentiles(samples).items()}
    record(
        "verify",
        {
            "command": "python -m bench.verify",
            "claims": args.claims,
            "latency_ms": stats,
            "cpu_ms_per_claim": round(cpu_ms, 2),
            "ceiling_requests_per_second_2_cores": round(2 * 1000 / cpu_ms, 1),
        },
    )


if __name__ == "__main__":
    main()
