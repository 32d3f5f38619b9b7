"""CPU per claim of the verdict engine: this checkout against another, at the same moment.

    python -m bench.engine_cpu /tmp/before [--rounds 4] [--passes 3]

Each side ingests the seeds into an index of its own, then checks the claims of
``eval/dev_claims.jsonl``, ``probe_claims.jsonl`` and ``extra_claims.jsonl`` once to warm up and
``--passes`` times more with ``time.process_time()`` around them, in its own process pinned to
one core (``taskset``), the cores swapped every round. Both run from source
(``CROSSCHECK_PURE_PYTHON=1``), so a compiled build on one side only does not decide the
figure. Prints each round's milliseconds of CPU per claim and the ratio this / other.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.common import REPO, fresh_dir

SETS = ("dev_claims", "probe_claims", "extra_claims")

# Run in the measured checkout (PYTHONPATH), so it imports that checkout's engine.
_WORKER = """
import json, sys, time
from pathlib import Path
from service.corpus import Corpus
from service.settings import Settings
from service.verify import Verifier
tree, index, passes = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
claims = [json.loads(line)["claim"] for name in sys.argv[4].split(",")
          for line in (tree / "eval" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
verifier = Verifier(Corpus(Settings(index_dir=index)))
list(verifier.verify_many(claims))
start = time.process_time()
for _ in range(passes):
    for claim in claims:
        verifier.verify(claim)
print(json.dumps({"ms_per_claim": 1000 * (time.process_time() - start) / (passes * len(claims))}))
"""


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "CROSSCHECK_PURE_PYTHON": "1", "OMP_NUM_THREADS": "1"}


def _ingest(tree: Path, index: Path) -> None:
    command = [sys.executable, "-c", "from service.cli import main; main()", "ingest", "seeds", "--quiet"]
    subprocess.run([*command, "--index-dir", str(index)], cwd=tree, env=_env(tree), check=True, capture_output=True)


def _start(tree: Path, index: Path, core: int, passes: int) -> subprocess.Popen[str]:
    command = [
        "taskset",
        "-c",
        str(core),
        sys.executable,
        "-c",
        _WORKER,
        str(tree),
        str(index),
        str(passes),
        ",".join(SETS),
    ]
    return subprocess.Popen(command, cwd=tree, env=_env(tree), stdout=subprocess.PIPE, text=True)


def _figure(run: subprocess.Popen[str]) -> float:
    output, _ = run.communicate()
    if run.returncode:
        raise SystemExit(f"a worker failed (exit {run.returncode})")
    value: float = json.loads(output.strip().splitlines()[-1])["ms_per_claim"]
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", type=Path, help="the checkout to compare with")
    parser.add_argument("--rounds", type=int, default=4, help="the cores swap every round")
    parser.add_argument("--passes", type=int, default=3, help="measured passes over the claims, per round")
    args = parser.parse_args()
    directory = fresh_dir("engine_cpu")
    trees = {"this": REPO, "other": args.other.resolve()}
    for side, tree in trees.items():
        _ingest(tree, directory / f"index-{side}")
    ratios = []
    for round_ in range(args.rounds):
        cores = {"this": round_ % 2, "other": 1 - round_ % 2}
        runs = {
            side: _start(tree, directory / f"index-{side}", cores[side], args.passes) for side, tree in trees.items()
        }
        this, other = _figure(runs["this"]), _figure(runs["other"])
        ratios.append(this / other)
        print(
            f"round {round_ + 1}: this {this:.2f} ms CPU/claim, other {other:.2f}, ratio {ratios[-1]:.2f}", flush=True
        )
    print(f"median ratio this / other: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
