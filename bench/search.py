"""Warm search latency on the seed index, query embedding included.

Each timed call is ``Corpus.search([query])``: embed the query with the bundled
model, search FAISS, group the top passages per source. Queries cycle through
English and Dutch claims so no single string is measured alone.

    python -m bench.search [--runs 2000]
"""

from __future__ import annotations

import argparse
import itertools

from bench.common import SEEDS, fresh_dir, percentiles, record, time_calls
from index.documents import iter_documents
from index.embedding import Embedder, load_embedder
from index.ingest import ingest
from index.store import open_store
from service.corpus import Corpus
from service.settings import Settings

TARGET_P50_MS = 5.0
QUERIES = [
    "1,000 troops moved to Romania",
    "Duizend militairen gaan naar Roemenië",
    "Crimea was annexed by Russia in 2014.",
    "Rutte offered Ukraine help against cyber attacks.",
    "De VS sturen 2.000 militairen naar Polen en Duitsland.",
    "Roughly 100,000 Russian soldiers are stationed at the border.",
    "Spain sent a frigate to the Black Sea.",
    "Achtduizend vijfhonderd Amerikaanse militairen staan paraat.",
]


def build_seed_index(embedder: Embedder) -> Corpus:
    index_dir = fresh_dir("seed-index")
    store = open_store(index_dir, model=embedder.model_id, dimension=embedder.dimension)
    ingest(store, embedder, iter_documents([SEEDS]))
    store.close()
    return Corpus(Settings(index_dir=index_dir), embedder=embedder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()

    corpus = build_seed_index(load_embedder())
    queries = itertools.cycle(QUERIES)
    samples = time_calls(lambda: corpus.search([next(queries)]), warmup=50, runs=args.runs)
    stats = {k: round(v * 1000, 3) for k, v in percentiles(samples).items()}
    record(
        "search",
        {
            "command": "python -m bench.search",
            "runs": args.runs,
            "latency_ms": stats,
            "passages": corpus.store().counts().passages,
            "target_p50_ms": TARGET_P50_MS,
            "meets_target": stats["p50"] <= TARGET_P50_MS,
        },
    )


if __name__ == "__main__":
    main()
