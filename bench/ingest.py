"""Ingest throughput: the seed articles replicated to at least 50,000 sentences.

End to end: files on disk -> loader -> language detection -> sentence splitting
-> embeddings -> FAISS + SQLite generation written and fsynced. Model loading is
reported separately (it is paid once per process, not per sentence).

    python -m bench.ingest [--sentences 50000]
"""

from __future__ import annotations

import argparse
import time

from bench.common import OUT, SEEDS, fresh_dir, record
from index.documents import iter_documents
from index.embedding import load_embedder
from index.ingest import ingest
from index.sentences import split_sentences
from index.store import open_store

TARGET = 700.0


def build_corpus(target_sentences: int) -> tuple[int, int]:
    """Write replicas of the seed files (each its own source) until the target is reached."""
    corpus = fresh_dir("ingest-corpus")
    seeds = [(p, p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    per_round = sum(len(split_sentences(doc.text, "nl")) for doc in iter_documents([SEEDS]))
    rounds = -(-target_sentences // per_round)
    for r in range(rounds):
        for path, text in seeds:
            (corpus / f"{path.stem}-r{r:04d}.txt").write_text(text, encoding="utf-8")
    return rounds * len(seeds), rounds * per_round


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=50_000)
    args = parser.parse_args()

    files, expected = build_corpus(args.sentences)
    started = time.perf_counter()
    embedder = load_embedder()
    embedder.encode(["warm-up"])
    load_seconds = time.perf_counter() - started

    index_dir = fresh_dir("ingest-index")
    store = open_store(index_dir, model=embedder.model_id, dimension=embedder.dimension)
    report = ingest(store, embedder, iter_documents([OUT / "ingest-corpus"]))
    rate = report.sentences / report.seconds
    record(
        "ingest",
        {
            "command": "python -m bench.ingest",
            "files": files,
            "sentences": report.sentences,
            "seconds": round(report.seconds, 2),
            "sentences_per_second": round(rate, 1),
            "model_load_seconds": round(load_seconds, 2),
            "target_sentences_per_second": TARGET,
            "meets_target": rate >= TARGET,
        },
    )
    assert report.sentences == expected, (report.sentences, expected)


if __name__ == "__main__":
    main()
