"""Batch memory: RSS of ``crosscheck batch`` as files grow from 10,000 to 1,000,000 rows.

Each run is a child process; its RSS is sampled four times a second, and its
peak is the kernel's high-water mark (``ru_maxrss`` from ``wait4``). The
baseline is the RSS when the first chunk of rows reached the output (model and
index loaded, every code path warm); growth is the peak above it.

Two kinds of run, measuring different things:

- ``standin``: the whole ``crosscheck batch`` command (reading, column choice,
  chunking, result contract, CSV writing, fsync, summary) with the engine
  replaced by a constant-time stand-in returning a real-sized result (5
  sources, 3 passages each) and no model loaded. It isolates the batch
  machinery, and is fast enough to run 1,000,000 rows.
- ``real``: the unmodified command with the bundled model on the seed index;
  at ~30-60 claims/s, 10,000 rows take minutes and 100,000 about an hour.

    python -m bench.batch_memory [--standin 10000,100000,1000000] [--real 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.batch import claims_csv, seed_index
from bench.common import ChildRun, fresh_dir, record, run_child

TARGET_MB = 500.0


def _sizes(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--standin", type=_sizes, default=[10_000, 100_000, 1_000_000], metavar="ROWS,...")
    parser.add_argument("--real", type=_sizes, default=[10_000], metavar="ROWS,...")
    parser.add_argument("--child", choices=["standin"], help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.child:
        run_standin_child(rest)
        return

    load = os.getloadavg()[0]
    work = fresh_dir("batch-memory")
    index_dir = seed_index()
    runs = []
    for kind, sizes in (("standin", args.standin), ("real", args.real)):
        for rows in sizes:
            src = work / f"claims-{rows}.csv"
            if not src.exists():
                claims_csv(src, rows)
            out = work / f"checked-{kind}-{rows}.csv"
            batch = ["batch", str(src), "-o", str(out), "--force", "--json", "--index-dir", str(index_dir)]
            if kind == "standin":
                cmd = [sys.executable, "-m", "bench.batch_memory", "--child", "standin", *batch]
            else:
                cmd = [sys.executable, "-m", "service.cli", *batch]
            run = run_child(cmd, watch=out)
            if run.returncode:
                raise SystemExit(f"{kind} run on {rows:,} rows failed ({run.returncode}):\n{run.stderr}")
            runs.append({"kind": kind, "rows": rows, **_figures(run, out)})
            print(runs[-1], flush=True)

    def meets_target(kind: str) -> bool | None:
        """Whether every run of this kind peaked under the target; None when none ran."""
        peaks = [r["peak_rss_mb"] for r in runs if r["kind"] == kind]
        return max(peaks) < TARGET_MB if peaks else None

    record(
        "batch_memory",
        {
            "command": "python -m bench.batch_memory "
            f"--standin {','.join(map(str, args.standin))} --real {','.join(map(str, args.real))}",
            "runs": runs,
            "load_average_1m_before": round(load, 2),
            "target_peak_rss_mb": TARGET_MB,
            "standin_meets_target": meets_target("standin"),
            "real_meets_target": meets_target("real"),
        },
    )


def _figures(run: ChildRun, out: Path) -> dict[str, Any]:
    """Baseline at the first written chunk, RSS at each quarter of the output, peak and growth."""
    final = out.stat().st_size
    started = [s for s in run.samples if s[2] > 0.001 * final] or run.samples
    baseline = started[0][1]
    quarters = {}
    for q in (25, 50, 75, 100):
        at = [rss for _, rss, size in run.samples if size >= final * q / 100 * 0.999]
        quarters[f"rss_mb_at_{q}pct"] = round(at[0] if at else run.samples[-1][1])
    return {
        "seconds": round(run.seconds, 1),
        "baseline_rss_mb": round(baseline),
        **quarters,
        "peak_rss_mb": round(run.peak_rss_mb),
        "growth_over_baseline_mb": round(run.peak_rss_mb - baseline),
        "output_mb": round(final / 2**20),
    }


# -- the stand-in child -------------------------------------------------------------------------------


class _NoModel:
    """Satisfies the index's model check without loading any model; never asked to embed."""

    model_id = "use-multilingual-v3"
    dimension = 512

    def encode(self, texts: Sequence[str], *, batch_size: int = 256, progress: bool = False) -> NDArray[Any]:
        return np.zeros((len(texts), self.dimension), dtype=np.float32)


class _StandInVerifier:
    """The engine's interface, answering every claim at once with the same real-sized result."""

    def __init__(self, corpus: Any) -> None:
        from service.verify import PassageResult, SourceResult, Verification

        self.corpus = corpus
        store = corpus.store()
        sources = []
        for n, source in enumerate(store.sources()):
            passages = tuple(
                PassageResult(p, 0.5, "supports" if n % 2 else "conflicts", 0.8, ("number matches: 1,000",))
                for p in store.source_passages(source.source_id)[:3]
            )
            stance = passages[0].stance
            sources.append(SourceResult(source, stance, 0.8, passages, 0.5))
        self.template = Verification("", "en", "conflicting", 0.8, tuple(sources))

    def warm_up(self) -> None:
        from service.verify import settle_heap

        settle_heap()  # the collector set as the real engine sets it: the machinery's memory as it runs

    def verify(self, claim: str, **options: Any) -> Any:
        return replace(self.template, claim=claim)

    def verify_many(self, claims: Sequence[str], **options: Any) -> Iterator[Any]:
        for claim in claims:
            yield replace(self.template, claim=claim)


def run_standin_child(argv: list[str]) -> None:
    import service.batch.cli
    import service.corpus
    from service.cli import main as cli_main

    setattr(service.corpus, "LazyEmbedder", lambda name, threads=None: _NoModel())  # noqa: B010  (no model)
    setattr(service.batch.cli, "Verifier", _StandInVerifier)  # noqa: B010  (the engine, replaced)
    cli_main(argv)


if __name__ == "__main__":
    main()
