"""Run every benchmark, each in its own process: ``python -m bench [NAME ...]``.

``api`` drives the server with wrk (Debian's ``wrk``); without it on the PATH the default run skips
it, and ``load`` measures the same route with nothing outside the project.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

BENCHMARKS = ["ingest", "search", "check", "api", "load", "batch", "batch_memory"]


def main() -> int:
    names = sys.argv[1:] or [n for n in BENCHMARKS if n != "api" or shutil.which("wrk")]
    if "api" not in names and not sys.argv[1:]:
        print("skipping bench.api: it needs wrk (apt-get install wrk); bench.load measures the same route")
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(BENCHMARKS)}")
        return 2
    failed = []
    for name in names:
        print(f"== bench.{name}", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False).returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
