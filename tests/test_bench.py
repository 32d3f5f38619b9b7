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
