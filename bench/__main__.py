"""Run every benchmark, each in its own process: ``python -m bench [NAME ...]``."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ["ingest", "search", "check", "api", "batch", "batch_memory"]


def main() -> int:
    names = sys.argv[1:] or BENCHMARKS
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
