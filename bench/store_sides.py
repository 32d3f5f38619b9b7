"""This checkout's store against another checkout's, alternating, on the stores ``bench.scale`` built.

Timings on this machine drift by up to 2x within minutes, so a store change is judged by running
both versions in turn, in fresh processes, on the same files: each round runs the other checkout,
then this one. Figures per side and round: opening the 1M synthetic store, the first searches
after opening and the p50 of 200 searches at the verifier's settings; and ``check`` p50 at the 100k
real-embedded index against the seed index (hybrid retrieval as the environment sets it). With
``--writes``, also adding and then deleting one 30-sentence document (median of 7, as
``bench.scale`` measures it) at the 10k and the 1M synthetic store, and their ratios.

    python -m bench.scale                      # once: builds the stores in bench/out/scale/
    git worktree add /tmp/before <commit>
    python -m bench.store_sides /tmp/before [--rounds 2] [--size 1000000] [--real 100000] [--writes]

The worker below runs with the side's checkout first on ``sys.path`` and imports only the
project's own packages, so it measures that checkout's code.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import OUT, REPO, record

SCALE = OUT / "scale"

WORKER = r"""
import json, statistics, sys, time, warnings
from pathlib import Path
warnings.simplefilter("ignore")
import numpy as np
from index.store import open_store

synthetic, real, seeds, claims_file = (Path(p) for p in sys.argv[1:5])
out = {}
rng = np.random.default_rng(7)
queries = rng.standard_normal((200, 512)).astype(np.float32)
queries /= np.linalg.norm(queries, axis=1, keepdims=True)
started = time.perf_counter()
store = open_store(synthetic)
store.counts()
out["open_s"] = time.perf_counter() - started
samples = []
for query in queries:
    started = time.perf_counter()
    store.search(query[None, :], per_source=8, max_sources=20)
    samples.append(time.perf_counter() - started)
out["first_searches_ms"] = [round(s * 1000, 1) for s in samples[:3]]
out["search_p50_ms"] = statistics.median(samples[5:]) * 1000
store.close()

from index.embedding import load_embedder
from service.corpus import Corpus
from service.settings import Settings
from service.verify import Verifier

claims = [json.loads(line)["claim"] for line in claims_file.open(encoding="utf-8")]
embedder = load_embedder()
for name, directory in (("real", real), ("seeds", seeds)):
    verifier = Verifier(Corpus(Settings(index_dir=directory), embedder=embedder))
    verifier.warm_up()
    times = []
    for claim in claims * 3:
        started = time.perf_counter()
        verifier.verify(claim)
        times.append(time.perf_counter() - started)
    out[f"check_{name}_p50_ms"] = statistics.median(times) * 1000
out["check_ratio"] = out["check_real_p50_ms"] / out["check_seeds_p50_ms"]

if len(sys.argv) > 5:  # --writes: the stores of both sizes, smaller first
    from index.documents import Document
    from index.sentences import Sentence

    for name, path in (("small", Path(sys.argv[5])), ("large", synthetic)):
        store = open_store(path)
        adds, deletes = [], []
        for n in range(7):
            texts = [f"Bericht {n}-{i}: {100 + i} soldaten gaan naar Polen." for i in range(30)]
            sentences, offset = [], 0
            for position, text in enumerate(texts):
                sentences.append(Sentence(text, offset, offset + len(text), 0, position))
                offset += len(text) + 1
            vectors = rng.standard_normal((30, 512)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            document = Document(f"sides-{n}", " ".join(texts), published="2020-03", language="nl")
            started = time.perf_counter()
            store.upsert(document, sentences, vectors)
            adds.append(time.perf_counter() - started)
            started = time.perf_counter()
            store.delete(document.source_id)
            deletes.append(time.perf_counter() - started)
        out[f"add_{name}_ms"] = statistics.median(adds) * 1000
        out[f"delete_{name}_ms"] = statistics.median(deletes) * 1000
        store.close()
    out["add_ratio"] = out["add_large_ms"] / out["add_small_ms"]
    out["delete_ratio"] = out["delete_large_ms"] / out["delete_small_ms"]
print(json.dumps(out))
"""


def run_side(tree: Path, size: int, real: int, writes_at: int | None = None) -> dict[str, Any]:
    """One measurement of ``tree``'s code in a fresh process (writes also at ``writes_at`` passages)."""
    args = [str(SCALE / f"synthetic-{size}"), str(SCALE / f"real-{real}"), str(SCALE / "seed-index")]
    args.append(str(REPO / "eval" / "dev_claims.jsonl"))
    if writes_at is not None:
        args.append(str(SCALE / f"synthetic-{writes_at}"))
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", WORKER, *args], capture_output=True, text=True, cwd=tree, env=env)
    if done.returncode:
        sys.exit(f"the worker on {tree} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", type=Path, help="the other checkout (e.g. a worktree of main)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--size", type=int, default=1_000_000, help="synthetic store bench.scale built")
    parser.add_argument("--real", type=int, default=100_000, help="real-embedded store bench.scale built")
    parser.add_argument("--writes", action="store_true", help="also add/delete one document at 10k and --size")
    args = parser.parse_args()
    writes_at = 10_000 if args.writes else None
    needed_stores = [SCALE / f"synthetic-{args.size}", SCALE / f"real-{args.real}", SCALE / "seed-index"]
    for needed in needed_stores + ([SCALE / f"synthetic-{writes_at}"] if writes_at else []):
        if not needed.exists():
            sys.exit(f"{needed} is missing: run `python -m bench.scale` first")
    sides = {"other": args.other.resolve(), "this": REPO}
    results: dict[str, Any] = {"command": "python -m bench.store_sides " + " ".join(sys.argv[1:]), "rounds": []}
    for number in range(args.rounds):
        row = {side: run_side(tree, args.size, args.real, writes_at) for side, tree in sides.items()}
        results["rounds"].append(row)
        print(json.dumps({"round": number + 1, **row}), flush=True)
    record("store_sides", results)


if __name__ == "__main__":
    main()
