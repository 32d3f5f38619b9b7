"""The IVF probe of the 1M synthetic store on its own: threads, and the mapped codes' first touches.

A search at 1M spends most of its time in one ``IndexIVF.search`` (nprobe 32 of 2,048 lists,
k 1,024). This measures that call alone, at the verifier's k, in fresh processes (the codes
mapped as the store maps them, ``IO_FLAG_MMAP_IFC``), 200 queries a pass:

- ``threads``: one OpenMP thread, or two with each ``parallel_mode`` (0: over queries, which a
  single query cannot use; 1: over the probed lists; 2: both), two passes each;
- ``first_touch``: the first pass after opening against the next one, with the codes mapped as
  the store maps them and with the mapping populated first (``MADV_POPULATE_READ``), which makes
  the process's RSS hold every code page at once.

    python -m bench.scale                       # once: builds the stores in bench/out/scale/
    python -m bench.ivf_probe [--size 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from bench.common import OUT, REPO, record

SCALE = OUT / "scale"

WORKER = r"""
import ctypes, json, os, resource, statistics, sys, time
import faiss, numpy as np

path, mode = sys.argv[1], sys.argv[2]
index = faiss.read_index(path, faiss.IO_FLAG_MMAP_IFC)
out = {}
if mode == "populated":
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    started = time.perf_counter()
    for line in open("/proc/self/maps"):
        if line.rstrip().endswith(os.path.realpath(path)):
            low, high = (int(x, 16) for x in line.split()[0].split("-"))
            libc.madvise(low, high - low, 22)  # MADV_POPULATE_READ
    out["populate_s"] = time.perf_counter() - started
out["rss_mb"] = int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() / 1e6
rng = np.random.default_rng(7)
queries = rng.standard_normal((200, index.d)).astype(np.float32)
queries /= np.linalg.norm(queries, axis=1, keepdims=True)

def one_pass(threads, parallel_mode):
    faiss.omp_set_num_threads(threads)
    index.parallel_mode = parallel_mode
    params = faiss.SearchParametersIVF()
    params.nprobe = 32
    samples = []
    for query in queries:
        started = time.perf_counter()
        index.search(query[None, :], 1024, params=params)
        samples.append(time.perf_counter() - started)
    return round(statistics.median(samples) * 1000, 3)

if mode == "threads":
    one_pass(1, 0)  # the codes' pages mapped before the settings are compared
    for threads, parallel_mode in ((1, 0), (2, 0), (2, 1), (2, 2)):
        out[f"{threads}_threads_mode_{parallel_mode}_ms"] = [one_pass(threads, parallel_mode) for _ in range(2)]
else:
    out["first_pass_ms"] = one_pass(1, 0)
    out["second_pass_ms"] = one_pass(1, 0)
print(json.dumps(out))
"""


def run(path: str, mode: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, path, mode], capture_output=True, text=True, check=True, cwd=REPO
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000, help="synthetic store bench.scale built")
    args = parser.parse_args()
    found = sorted((SCALE / f"synthetic-{args.size}" / "segments").glob("[0-9]*.ivf"))
    if not found:
        sys.exit(f"no IVF segment in {SCALE / f'synthetic-{args.size}'}: run `python -m bench.scale` first")
    path = str(found[-1])
    results: dict[str, Any] = {"command": "python -m bench.ivf_probe " + " ".join(sys.argv[1:]), "segment": path}
    results["threads"] = run(path, "threads")
    results["first_touch"] = [{mode: run(path, mode) for mode in ("mapped", "populated")} for _ in range(2)]
    record("ivf_probe", results)


if __name__ == "__main__":
    main()
