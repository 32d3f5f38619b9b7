"""Warm ``check`` latency on the seed index: one claim through the whole verdict engine.

Each timed call is ``Verifier.verify(claim)``: analyse the claim, embed it
(with any of its words not yet cached), retrieve candidate passages per
source, decide each passage's stance, aggregate per source and overall.
Claims are generated from templates with varying numbers, places and
negations, so the per-claim work is never a cache hit: only passage analyses
and the corpus's word vectors are warm, as they are in a running service.

    python -m bench.check [--runs 2000]
"""

from __future__ import annotations

import argparse
import random

from bench.common import percentiles, record, time_calls
from bench.search import build_seed_index
from index.embedding import load_embedder
from service.verify import Verifier

TARGET_P50_MS = 10.0
TEMPLATES = [
    "{n} troops moved to {place}",
    "{n} American soldiers are being sent to {place}.",
    "De VS sturen {n} militairen naar {place_nl}.",
    "Rusland heeft {n} militairen aan de grens met {place_nl}.",
    "The Pentagon placed {n} troops on high alert in {place}.",
    "{place} did not send {n} troops to Ukraine.",
    "Russia annexed Crimea in {year}.",
    "The troops need {days} days to leave for Europe.",
]
PLACES = [
    ("Romania", "Roemenië"),
    ("Poland", "Polen"),
    ("Germany", "Duitsland"),
    ("Hungary", "Hongarije"),
    ("Lithuania", "Litouwen"),
    ("Bulgaria", "Bulgarije"),
]


def claims(seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(5000):
        place, place_nl = rng.choice(PLACES)
        out.append(
            rng.choice(TEMPLATES).format(
                n=f"{rng.choice([1, 2, 3, 4, 5, 8, 10, 20, 100]) * rng.choice([100, 1000]):,}",
                place=place,
                place_nl=place_nl,
                year=rng.randint(1990, 2024),
                days=rng.randint(2, 30),
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()

    verifier = Verifier(build_seed_index(load_embedder()))
    pool = iter(claims())
    samples = time_calls(lambda: verifier.verify(next(pool)), warmup=100, runs=args.runs)
    stats = {k: round(v * 1000, 3) for k, v in percentiles(samples).items()}
    record(
        "check",
        {
            "command": "python -m bench.check",
            "runs": args.runs,
            "latency_ms": stats,
            "target_p50_ms": TARGET_P50_MS,
            "meets_target": stats["p50"] <= TARGET_P50_MS,
        },
    )


if __name__ == "__main__":
    main()
