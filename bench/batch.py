"""Batch throughput: ``crosscheck batch`` on a 10,000-claim CSV over the seed index.

The claims vary the way a desk's sheet does (templates in English and Dutch
with random figures, places, people and years; a few empty, quoted or
multi-line cells), so no cache sees the same claim twice. The command runs as a
child process exactly as a user runs it; its own summary gives the checking
time (model loading excluded; reported apart as the wall time).

    python -m bench.batch [--claims 10000] [--workers 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import OUT, ChildRun, fresh_dir, record, run_child

TARGET = 300.0

PLACES = ["Romania", "Poland", "Germany", "Ukraine", "the Baltic states", "Estonia", "Lithuania", "Belgium"]
PLAATSEN = ["Roemenië", "Polen", "Duitsland", "Oekraïne", "de Baltische staten", "Estland", "Litouwen", "België"]
ACTORS = ["Biden", "Rutte", "Zelenskyj", "Stoltenberg", "Putin", "NATO", "the Pentagon", "Macron", "Scholz"]
ACTOREN = ["Biden", "Rutte", "Zelenskyj", "Stoltenberg", "Poetin", "de NAVO", "het Pentagon", "Macron"]
TEMPLATES_EN = [
    "{n:,} troops moved to {p}",
    "{n:,} US soldiers were sent to {p} in {y}",
    "The Pentagon placed {n:,} troops on high alert",
    "Russia has {n:,} soldiers stationed at the border with {p}",
    "{a} said {n:,} soldiers would go to {p}",
    "{a} denied sending troops to {p}",
    "Crimea was annexed by Russia in {y}",
    "{a} offered {p} help against cyber attacks",
    "The US will not send its own troops into {p}, {a} said",
]
TEMPLATES_NL = [
    "{n} militairen gaan naar {p}",
    "Volgens {a} gaan er {n} soldaten naar {p}",
    "{a} ontkent dat er militairen naar {p} gaan",
    "De VS sturen {n} militairen naar {p} en Duitsland",
    "Rusland heeft {n} militairen aan de grens met {p}",
    "{a} zegt dat {p} in {y} {n} troepen kreeg",
]


def claims_csv(path: Path, rows: int, seed: int = 2022) -> None:
    """A desk's sheet of ``rows`` varied claims: id, claim, source, date."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(["id", "claim", "source", "date"])
        for i in range(1, rows + 1):
            if rng.random() < 0.5:
                claim = rng.choice(TEMPLATES_EN).format(
                    n=rng.randint(1, 400) * 250, p=rng.choice(PLACES), a=rng.choice(ACTORS), y=rng.randint(2010, 2024)
                )
            else:
                claim = rng.choice(TEMPLATES_NL).format(
                    n=f"{rng.randint(1, 400) * 250:,}".replace(",", "."),
                    p=rng.choice(PLAATSEN),
                    a=rng.choice(ACTOREN),
                    y=rng.randint(2010, 2024),
                )
            roll = rng.random()
            if roll < 0.002:
                claim = ""
            elif roll < 0.007:
                claim += ",\nzei een woordvoerder"
            source = rng.choice(["NOS", "NRC", "De Standaard", "VRT", "AP", "Reuters"])
            writer.writerow([f"c{i:07d}", claim, source, f"2022-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"])


def seed_index() -> Path:
    """The seed corpus indexed with the bundled model, built in a child process.

    Not in this process: loading the model here would make every later child's
    ``ru_maxrss`` start from this process's size (see ``bench.common.run_child``).
    """
    code = "from bench.batch import _build_seed_index; print(_build_seed_index())"
    built = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if built.returncode:
        raise SystemExit(f"building the seed index failed:\n{built.stderr}")
    return Path(built.stdout.strip().splitlines()[-1])


def _build_seed_index() -> Path:
    from bench.search import build_seed_index
    from index.embedding import load_embedder

    return build_seed_index(load_embedder()).settings.index_dir


def run_batch(src: Path, out: Path, index_dir: Path, workers: int = 1) -> tuple[dict[str, Any], ChildRun]:
    """``crosscheck batch`` as a child process, exactly as a user runs it: (its JSON summary, the run)."""
    cmd = [sys.executable, "-m", "service.cli", "batch", str(src), "-o", str(out), "--force", "--json"]
    cmd += ["--workers", str(workers)]
    run = run_child([*cmd, "--index-dir", str(index_dir)], watch=out)
    if run.returncode:
        raise SystemExit(f"crosscheck batch failed ({run.returncode}):\n{run.stderr}")
    summary: dict[str, Any] = json.loads(run.stdout)
    return summary, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="engine processes (one per core of this machine)")
    args = parser.parse_args()

    load = os.getloadavg()[0]  # other work on the machine slows this down: say how much there was
    work = fresh_dir("batch")
    src = work / f"claims-{args.claims}.csv"
    claims_csv(src, args.claims)
    index_dir = seed_index()
    summary, run = run_batch(src, work / "checked.csv", index_dir, args.workers)
    seconds, rows = float(summary["seconds"]), int(summary["rows"])
    rate = rows / seconds
    record(
        "batch",
        {
            "command": f"python -m bench.batch --claims {args.claims} --workers {args.workers}",
            "workers": args.workers,
            "rows": rows,
            "verdicts": summary["verdicts"],
            "errors": summary["errors"],
            "check_seconds": round(seconds, 1),
            "claims_per_second": round(rate, 1),
            "wall_seconds_with_startup": round(run.seconds, 1),
            "peak_rss_mb": round(run.peak_rss_mb),
            "peak_rss_mb_with_workers": round(run.peak_tree_rss_mb),
            "output": str((work / "checked.csv").relative_to(OUT.parent.parent)),
            "load_average_1m_before": round(load, 2),
            "target_claims_per_second": TARGET,
            "meets_target": rate >= TARGET,
        },
    )


if __name__ == "__main__":
    main()
