"""Warm ``check`` latency on the seed index: one claim through the whole verdict engine, in this process.

Each timed call is ``Verifier.verify(claim)``: analyse the claim, embed it
(with any of its words not yet cached), retrieve candidate passages per
source, decide each passage's stance, aggregate per source and overall.
Claims come from the same templates, numbers and places as the HTTP load
test (``bench/verify.lua``), so no cache of whole claims answers them: only
the passage analyses and the corpus's word vectors are warm, as in a running
service. The CPU per claim is what each API request costs before any HTTP
work; its inverse times the cores is the ceiling for ``python -m bench.api``.

    python -m bench.check [--runs 2000] [--threads 1] [--batch 1]

``--batch N`` times ``Verifier.verify_many`` over N claims at a time instead:
what a server's engine does with N requests waiting (``service.coalesce``).
Latency is then per batch; CPU stays per claim.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from bench.common import percentiles, record, time_calls
from bench.search import build_seed_index
from index.embedding import load_embedder
from service.verify import Verifier

TARGET_P50_MS = 10.0
LUA = Path(__file__).resolve().parent / "verify.lua"


def lua_list(name: str) -> list[str]:
    """A list of strings from the wrk script, so both benchmarks draw from the same claims."""
    block = re.search(rf"local {name} = \{{(.*?)\n?\}}\n", LUA.read_text(encoding="utf-8"), re.S)
    if block is None:
        raise SystemExit(f"{LUA}: no list named {name}")
    return re.findall(r'"([^"]*)"', block.group(1))


class Claims:
    """Claims as ``verify.lua`` makes them: a template, a listed or random number, a place."""

    def __init__(self, seed: int = 1) -> None:
        self.templates, self.numbers, self.places = lua_list("templates"), lua_list("numbers"), lua_list("places")
        self.rng = random.Random(seed)

    def __call__(self) -> str:
        rng = self.rng
        number = rng.choice(self.numbers) if rng.random() < 0.5 else str(rng.randint(1, 200_000))
        return rng.choice(self.templates).replace("%s", number, 1).replace("%s", rng.choice(self.places), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1, help="encoder threads (a server worker uses 1)")
    parser.add_argument("--batch", type=int, default=1, help="claims per call (verify_many)")
    args = parser.parse_args()

    # as in a server worker (bench.api: two workers, OMP_NUM_THREADS=1): BLAS on --threads threads;
    # an idle second BLAS thread spins, and its CPU would count against each claim
    threadpool_limits(args.threads, user_api="blas")
    verifier = Verifier(build_seed_index(load_embedder(threads=args.threads)))
    claim = Claims()
    for _ in range(200):  # the per-passage caches fill, as in a warm server
        verifier.verify(claim())

    def check() -> object:
        if args.batch == 1:
            return verifier.verify(claim())
        return list(verifier.verify_many([claim() for _ in range(args.batch)]))

    calls = max(1, args.runs // args.batch)
    cpu_started = time.process_time()
    samples = time_calls(check, warmup=0, runs=calls)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / (calls * args.batch)
    stats = {k: round(v * 1000, 2) for k, v in percentiles(samples).items()}
    figures = {
        "command": "python -m bench.check" + (f" --batch {args.batch}" if args.batch > 1 else ""),
        "runs": calls * args.batch,
        "encoder_and_blas_threads": args.threads,
        "latency_ms" if args.batch == 1 else f"latency_ms_per_batch_of_{args.batch}": stats,
        "cpu_ms_per_claim": round(cpu_ms, 2),
        "ceiling_claims_per_second_2_cores": round(2 * 1000 / cpu_ms, 1),
    }
    if args.batch == 1:
        figures |= {"target_p50_ms": TARGET_P50_MS, "meets_target": stats["p50"] <= TARGET_P50_MS}
    record("check" if args.batch == 1 else f"check_batch{args.batch}", figures)


if __name__ == "__main__":
    main()
