"""The passage stores side by side through the store interface: FAISS + SQLite and Milvus.

For each backend and corpus size: build a store of 30-sentence documents with stored random
unit vectors (512-d, as the bundled model's; store costs do not depend on what the vectors
mean), then time opening it, adding and deleting one document, and a search with the
verifier's settings (3 passages per source, 20 sources). Milvus is milvus-lite in
bench/out/ unless ``--milvus-uri`` names a server.

    python -m bench.stores [--passages 3000 15000] [--backends faiss milvus] [--milvus-uri URI]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.common import fresh_dir, percentiles, record
from index.documents import Document
from index.sentences import Sentence
from index.store import PassageStore, Upsert, open_store

DIMENSION = 512
SENTENCES = 30
MODEL = "bench-random-512"
SEARCHES = 30


def documents(count: int, rng: np.random.Generator, prefix: str = "doc") -> Iterator[Upsert]:
    for number in range(count):
        words = [f"Zin {i} van {prefix} {number} over de NAVO." for i in range(SENTENCES)]
        text = " ".join(words)
        sentences, start = [], 0
        for position, sentence in enumerate(words):
            sentences.append(Sentence(sentence, start, start + len(sentence), 0, position))
            start += len(sentence) + 1
        document = Document(f"{prefix}{number:07d}", text, published=f"20{10 + number % 15}-0{1 + number % 9}")
        yield document, sentences, unit(rng, SENTENCES)


def unit(rng: np.random.Generator, rows: int) -> NDArray[np.float32]:
    vectors = rng.standard_normal((rows, DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def opener(backend: str, where: Path, uri: str | None, collection: str) -> Any:
    def open_it(dimension: int | None = None) -> PassageStore:
        if backend == "milvus":
            from index.store.milvus import open_milvus_store

            return open_milvus_store(where, model=MODEL, dimension=dimension, uri=uri, collection=collection)
        return open_store(where, model=MODEL, dimension=dimension, backend=backend)

    return open_it


def measure(backend: str, passages: int, uri: str | None) -> dict[str, Any]:
    rng = np.random.default_rng(passages)
    where = fresh_dir(f"stores-{backend}-{passages}")
    open_it = opener(backend, where, uri, f"bench_{passages}")
    store = open_it(DIMENSION)
    started = time.perf_counter()
    batch: list[Upsert] = []
    for item in documents(passages // SENTENCES, rng):
        batch.append(item)
        if len(batch) == 100:
            store.upsert_many(batch)
            batch = []
    if batch:
        store.upsert_many(batch)
    build = time.perf_counter() - started
    store.close()

    started = time.perf_counter()
    store = open_it()
    opened = time.perf_counter() - started
    rss = rss_mb()
    add, delete = [], []
    for item in documents(5, rng, prefix="extra"):
        started = time.perf_counter()
        store.upsert(*item)
        add.append(time.perf_counter() - started)
        started = time.perf_counter()
        store.delete(item[0].source_id)
        delete.append(time.perf_counter() - started)
    queries = unit(rng, SEARCHES + 3)
    for query in queries[:3]:  # warm-up
        store.search(query[None, :], per_source=3, max_sources=20)
    searches = []
    for query in queries[3:]:
        started = time.perf_counter()
        store.search(query[None, :], per_source=3, max_sources=20)
        searches.append(time.perf_counter() - started)
    counts = store.counts()
    store.close()
    return {
        "backend": backend if backend != "milvus" else ("milvus-lite" if uri is None else f"milvus {uri}"),
        "passages": counts.passages,
        "sources": counts.sources,
        "build_s": round(build, 2),
        "build_passages_per_s": round(counts.passages / build),
        "open_s": round(opened, 3),
        "rss_after_open_mb": round(rss),
        "add_one_document_s_p50": round(float(np.median(add)), 4),
        "delete_one_document_s_p50": round(float(np.median(delete)), 4),
        "search_ms": {k: round(v * 1000, 1) for k, v in percentiles(searches).items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, nargs="+", default=[3000, 15000])
    parser.add_argument("--backends", nargs="+", default=["faiss", "milvus"], choices=["faiss", "milvus"])
    parser.add_argument("--milvus-uri", help="a Milvus server (default: milvus-lite under bench/out/)")
    parser.add_argument("--one", nargs=2, metavar=("BACKEND", "PASSAGES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # a child: one store per process, so that RSS is that store's alone
        print(json.dumps(measure(args.one[0], int(args.one[1]), args.milvus_uri)))
        return
    runs = []
    for passages in args.passages:
        for backend in args.backends:
            command = [sys.executable, "-m", "bench.stores", "--one", backend, str(passages)]
            if args.milvus_uri:
                command += ["--milvus-uri", args.milvus_uri]
            child = subprocess.run(command, capture_output=True, text=True, check=True)
            runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
    for run in runs:  # one line each, for the eye; the JSON has everything
        print(
            f"{run['backend']:>12} {run['passages']:>7} passages: open {run['open_s']:.3f} s, "
            f"add {run['add_one_document_s_p50']:.3f} s, delete {run['delete_one_document_s_p50']:.3f} s, "
            f"search p50 {run['search_ms']['p50']:.1f} ms, RSS {run['rss_after_open_mb']} MB"
        )
    record("stores", {"dimension": DIMENSION, "sentences_per_document": SENTENCES, "runs": runs})


if __name__ == "__main__":
    main()
