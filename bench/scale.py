"""The store at archive size: writes, open, memory and search at 10k and 1M passages; recall on real text.

Store figures use stored synthetic vectors (random unit vectors, 512-d, 30-sentence
documents), which cost the store what real ones do. Recall needs real embeddings:
sentences of the seeds and the extra corpus, varied (numbers, places, weekdays) so no
two are alike, embedded once with the bundled model and cached in ``bench/out/scale/``.

    python -m bench.scale                       # 10k and 1M synthetic, 100k real
    python -m bench.scale --sizes 10000 --real 20000   # a quick run

Figures: adding / deleting one 30-sentence document (seconds and bytes written, median
of ``--rounds``, the stores taking turns), opening the index and RSS after opening (in a fresh process), search p50
at the verifier's settings, recall@10 and recall of the passages the verifier reads
(per source) against exact search, and warm ``check`` p50 at the real index vs the seeds (after one
untimed pass over the claims on each index).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.common import OUT, REPO, SEEDS, record
from index.documents import Document, iter_documents
from index.sentences import Sentence, split_sentences
from index.store import PassageStore, open_store

DIMENSION = 512
PER_DOCUMENT = 30
SCALE = OUT / "scale"
PER_SOURCE, MAX_SOURCES = 8, 20  # what the verifier asks for (service.verify)
CANDIDATES = 1024  # passages ranked before grouping per source, exact or not (index/store/faiss/store.py)
PLACES = [
    "Roemenië", "Polen", "Duitsland", "Litouwen", "Estland", "Letland", "Bulgarije", "Slowakije", "Hongarije",
    "Romania", "Poland", "Germany", "Lithuania", "Estonia", "Latvia", "Bulgaria", "Slovakia", "Hungary",
]  # fmt: skip
DAYS = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "Monday", "Tuesday", "Wednesday", "Friday"]
_NUMBER = re.compile(r"\b\d[\d.,]*\b")
_PLACE = re.compile("|".join(PLACES))
_DAY = re.compile("|".join(DAYS))


# -- corpora ------------------------------------------------------------------------------


def base_sentences() -> list[str]:
    paths = [SEEDS, REPO / "eval" / "extra_corpus"]
    found = []
    for document in iter_documents([p for p in paths if p.exists()]):
        document = document.with_language()
        found += [s.text for s in split_sentences(document.text, document.language)]
    return sorted(set(found))


def varied(sentences: list[str], count: int, seed: int) -> list[str]:
    """``count`` sentences: the base ones with their numbers, places and weekdays varied."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        text = rng.choice(sentences)
        text = _NUMBER.sub(lambda _: f"{rng.randint(2, 99_000):,}".replace(",", rng.choice([",", "."])), text)
        text = _PLACE.sub(lambda _: rng.choice(PLACES), text)
        text = _DAY.sub(lambda _: rng.choice(DAYS), text)
        out.append(text)
    return out


def real_corpus(count: int) -> tuple[list[str], NDArray[np.float32]]:
    """Varied real sentences and their embeddings by the bundled model (cached on disk)."""
    SCALE.mkdir(parents=True, exist_ok=True)
    texts_path, vectors_path = SCALE / f"real-{count}.jsonl", SCALE / f"real-{count}.npy"
    if texts_path.exists() and vectors_path.exists():
        texts = [json.loads(line) for line in texts_path.open(encoding="utf-8")]
        return texts, np.load(vectors_path)
    from index.embedding import load_embedder

    texts = varied(base_sentences(), count, seed=1)
    embedder = load_embedder()
    started = time.perf_counter()
    vectors = np.concatenate(
        [embedder.encode(texts[i : i + 4096], batch_size=512) for i in range(0, count, 4096)]
    ).astype(np.float32)
    print(f"embedded {count:,} sentences in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    np.save(vectors_path, vectors)
    texts_path.write_text("".join(json.dumps(t) + "\n" for t in texts), encoding="utf-8")
    return texts, vectors


def synthetic(count: int, seed: int) -> NDArray[np.float32]:
    vectors = np.random.default_rng(seed).standard_normal((count, DIMENSION), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def documents(texts: list[str], vectors: NDArray[np.float32], prefix: str) -> Iterator[Any]:
    for start in range(0, len(texts), PER_DOCUMENT):
        chunk = texts[start : start + PER_DOCUMENT]
        text, sentences, offset = "", [], 0
        for position, sentence in enumerate(chunk):
            sentences.append(Sentence(sentence, offset, offset + len(sentence), 0, position))
            offset += len(sentence) + 1
        text = " ".join(chunk)
        year = 2015 + (start // PER_DOCUMENT) % 10
        document = Document(f"{prefix}{start // PER_DOCUMENT:07d}", text, published=f"{year}-03", language="nl")
        yield document, sentences, vectors[start : start + len(chunk)]


def build(path: Path, texts: list[str], vectors: NDArray[np.float32], model: str) -> PassageStore:
    """A store of ``len(vectors)`` passages in 30-sentence documents, compacted as ingest leaves it."""
    marker = path / "built.json"
    if marker.exists() and json.loads(marker.read_text())["passages"] == len(vectors):
        return open_store(path, model=model)
    shutil.rmtree(path, ignore_errors=True)
    store = open_store(path, model=model, dimension=vectors.shape[1])
    started = time.perf_counter()
    pending: list[Any] = []
    for item in documents(texts, vectors, "doc"):
        pending.append(item)
        if len(pending) == 1000:
            store.upsert_many(pending)
            pending = []
    if pending:
        store.upsert_many(pending)
    store.compact(force=True)
    seconds = time.perf_counter() - started
    marker.write_text(json.dumps({"passages": len(vectors), "seconds": round(seconds, 1)}))
    print(f"built {len(vectors):,} passages in {seconds:.0f}s", file=sys.stderr)
    return store


# -- measurements ---------------------------------------------------------------------------


def written_bytes() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return 0


def write_once(store: PassageStore, n: int, seed: int) -> tuple[float, int, float, int]:
    """Seconds and bytes written to add one 30-sentence document, then to delete it."""
    rng = np.random.default_rng(seed + n)
    texts = [f"Bericht {n}-{i}: {rng.integers(100, 9000)} soldaten gaan naar Polen." for i in range(PER_DOCUMENT)]
    ((document, sentences, vectors),) = documents(texts, synthetic(PER_DOCUMENT, seed + n), f"probe{seed}-{n}-")
    before, started = written_bytes(), time.perf_counter()
    store.upsert(document, sentences, vectors)
    add_s, add_bytes = time.perf_counter() - started, written_bytes() - before
    before, started = written_bytes(), time.perf_counter()
    store.delete(document.source_id)
    return add_s, add_bytes, time.perf_counter() - started, written_bytes() - before


def measure_writes(stores: dict[int, PassageStore], rounds: int) -> dict[int, dict[str, float]]:
    """Median add and delete of one document on each store, the stores taking turns.

    A write is a few milliseconds, most of it SQLite's commit and its sync, so a disk that slows
    for a minute would weigh on whichever store was measured then: taking turns (in an order
    that alternates) puts both stores under the same conditions, and the ratio compares the stores.
    """
    samples: dict[int, list[tuple[float, int, float, int]]] = {size: [] for size in stores}
    order = list(stores)
    for n in range(rounds):
        for size in order if n % 2 == 0 else order[::-1]:
            samples[size].append(write_once(stores[size], n, seed=size))
    figures = {}
    for size, rows in samples.items():
        adds, add_bytes, deletes, delete_bytes = zip(*rows, strict=True)
        figures[size] = {
            "add_s": statistics.median(adds),
            "add_max_s": max(adds),
            "add_mb": statistics.median(add_bytes) / 1e6,
            "delete_s": statistics.median(deletes),
            "delete_max_s": max(deletes),
            "delete_mb": statistics.median(delete_bytes) / 1e6,
        }
    return figures


def measure_search(store: PassageStore, queries: NDArray[np.float32]) -> float:
    samples = []
    for query in queries:
        started = time.perf_counter()
        store.search(query[None, :], per_source=PER_SOURCE, max_sources=MAX_SOURCES)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples[5:]) * 1000


def probe_open(path: Path) -> dict[str, float]:
    """Open the store in a fresh process: seconds (imports excluded) and RSS after opening (MB)."""
    code = (
        "import sys, time, resource, json; sys.path.insert(0, REPO); import faiss, numpy;"
        "from index.store import open_store; started = time.perf_counter();"
        "s = open_store(PATH); s.counts(); t = time.perf_counter() - started;"
        "rss = int(open('/proc/self/statm').read().split()[1]) * resource.getpagesize();"
        "print(json.dumps({'open_s': t, 'rss_mb': rss / 1e6}))"
    )
    code = code.replace("REPO", repr(str(REPO))).replace("PATH", repr(str(path)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def read_set_recall(
    scores: NDArray[np.float32], source_of: NDArray[np.int64], groups: list[tuple[int, list[float]]]
) -> float:
    """Recall of the passages the verifier reads, with ties counted at both cuts.

    ``scores`` are the exact scores of every passage; ``groups`` what the store returned: per
    source (in its order) the exact scores of its passages. The verifier reads up to 8
    passages of each of the best 20 sources among the best 1,024 passages. In a corpus that
    repeats sentences both cuts fall in ties, and which tied passage or source gets in is a
    tie-break, not a miss:

    - at the passage cut, only passages scoring above the 1,024th score are required; those
      tied with it fill the slots left by tie-break (often more tie than fit), so one the store
      returns counts as read and one it leaves out is not wanted;
    - at the source cut, a source whose best ties with the 20th source's is eligible for a tied
      slot; a tied slot the store left empty wants what the best tied source would have given.

    Each source is judged against its own best (up to 8) passages above the passage cut; a
    source outside the eligible ones finds nothing.
    """
    eps = 1e-5
    cut = float(np.partition(scores, -CANDIDATES)[-CANDIDATES]) if len(scores) > CANDIDATES else -np.inf
    count = int(source_of.max()) + 1
    best = np.full(count, -np.inf, dtype=np.float64)
    np.maximum.at(best, source_of, scores)
    ranked = np.argsort(-best, kind="stable")
    ranked = ranked[best[ranked] >= cut - eps][:MAX_SOURCES]
    tie = float(best[ranked[-1]]) if len(ranked) == MAX_SOURCES else -np.inf

    def required(source: int) -> tuple[int, float]:
        """How many of ``source``'s passages the verifier reads whatever the tie-breaks (up to 8
        above the passage cut), and the lowest score among them."""
        own = np.sort(scores[(source_of == source) & (scores > cut + eps)])[::-1][:PER_SOURCE]
        return len(own), float(own[-1]) if len(own) else np.inf

    def credit(source: int, got: list[float]) -> tuple[int, int]:
        """(found, wanted) for a source the store returned with passages scoring ``got``."""
        n, floor = required(source)
        found = min(n, sum(score >= floor - eps for score in got))
        tied = sum(abs(score - cut) <= eps for score in got)  # read by tie-break: counted, not required
        optional = min(PER_SOURCE - n, tied) if n < PER_SOURCE else 0
        return found + optional, n + optional

    above = {int(s) for s in ranked if best[s] > tie + eps}
    tied_sources = [int(s) for s in np.flatnonzero(np.abs(best - tie) <= eps)] if np.isfinite(tie) else []
    slots = len(ranked) - len(above)
    wanted = sum(required(s)[0] for s in above)
    found, filled = 0, 0
    for source, got in groups:
        if source in above or (source in tied_sources and filled < slots):
            if source not in above:
                filled += 1
            got_found, got_wanted = credit(source, got)
            found += got_found
            wanted += got_wanted - (required(source)[0] if source in above else 0)
    if filled < slots:  # tied slots the store left empty: the best of the tied sources not returned
        returned = {source for source, _ in groups}
        rest = sorted((required(s)[0] for s in tied_sources if s not in returned), reverse=True)
        wanted += sum(rest[: slots - filled])
    return min(1.0, found / wanted) if wanted else 1.0


def interim_read_recall(
    scores: NDArray[np.float32], source_of: NDArray[np.int64], groups: list[tuple[int, list[float]]]
) -> float:
    """The read-set recall as bench.scale measured it from 2026-12-07 03:07 until the fix after it
    (kept to compare): as :func:`read_set_recall`, but every passage tied with the 1,024th score
    was required, though only some of them fit in the 1,024, so exact search itself scored below 1."""
    eps = 1e-5
    cut = float(np.partition(scores, -CANDIDATES)[-CANDIDATES]) if len(scores) > CANDIDATES else -np.inf
    count = int(source_of.max()) + 1
    best = np.full(count, -np.inf, dtype=np.float64)
    np.maximum.at(best, source_of, scores)
    ranked = np.argsort(-best, kind="stable")
    ranked = ranked[best[ranked] >= cut - eps][:MAX_SOURCES]
    tie = float(best[ranked[-1]]) if len(ranked) == MAX_SOURCES else -np.inf

    def reads(source: int) -> tuple[int, float]:
        own = np.sort(scores[(source_of == source) & (scores >= cut - eps)])[::-1][:PER_SOURCE]
        return len(own), float(own[-1]) if len(own) else np.inf

    above = {int(s) for s in ranked if best[s] > tie + eps}
    tied = [int(s) for s in np.flatnonzero(np.abs(best - tie) <= eps)] if np.isfinite(tie) else []
    slots = len(ranked) - len(above)
    wanted = sum(reads(s)[0] for s in above)
    found, filled = 0, 0
    for source, got in groups:
        if source in above or (source in tied and filled < slots):
            if source not in above:
                filled += 1
                wanted += reads(source)[0]
            n, floor = reads(source)
            found += min(n, sum(score >= floor - eps for score in got))
    if filled < slots:
        returned = {source for source, _ in groups}
        rest = sorted((reads(s)[0] for s in tied if s not in returned), reverse=True)
        wanted += sum(rest[: slots - filled])
    return min(1.0, found / wanted) if wanted else 1.0


def exact_groups(
    scores: NDArray[np.float32], source_of: NDArray[np.int64], *, newest_first: bool
) -> list[tuple[int, list[float]]]:
    """What an exact search returns at the verifier's settings, ties broken newest or oldest first:
    the metric's control (any tie-break of exact search must score 1)."""
    rows = np.arange(len(scores))
    order = np.lexsort((-rows if newest_first else rows, -scores))[:CANDIDATES]
    picked: dict[int, list[float]] = {}
    for row in order.tolist():
        source = int(source_of[row])
        if source not in picked:
            if len(picked) >= MAX_SOURCES:
                continue
            picked[source] = []
        if len(picked[source]) < PER_SOURCE:
            picked[source].append(float(scores[row]))
    return list(picked.items())


def legacy_read_recall(
    scores: NDArray[np.float32], source_of: NDArray[np.int64], groups: list[tuple[int, list[float]]]
) -> float:
    """The read-set recall as measured until 2026-12-07 (kept to compare): the reference's tied
    sources are taken in row order, so a store that breaks the tie another way (newest first)
    is credited only for the passages of the replacing source that reach the weakest reference
    source's best score."""
    eps = 1e-5
    order = np.argsort(-scores, kind="stable")
    picked: dict[int, list[float]] = {}
    for row in order[:CANDIDATES].tolist():
        source = int(source_of[row])
        if source not in picked:
            if len(picked) >= MAX_SOURCES:
                continue
            picked[source] = []
        if len(picked[source]) < PER_SOURCE:
            picked[source].append(float(scores[row]))
    floors = {source: min(found) for source, found in picked.items()}
    cut = float(np.sort(scores)[-CANDIDATES])
    wanted = sum(
        min(PER_SOURCE, int(((source_of == s) & (scores >= max(f, cut) - eps)).sum())) for s, f in floors.items()
    )
    weakest_source = min(max(scores[source_of == s]) for s in floors)
    found = 0
    for source, got in groups:
        floor = floors.get(source, weakest_source if max(got) >= weakest_source - eps else np.inf)
        found += sum(score >= floor - eps for score in got)
    return min(1.0, found / wanted)


def measure_recall(store: PassageStore, vectors: NDArray[np.float32], queries: NDArray[np.float32]) -> dict[str, float]:
    """Recall of the store's search (IVF above the exact threshold) against brute force.

    The varied corpus holds repeated sentences, so many passages tie; a passage found counts when
    its exact score reaches the score exact search cut at (ties count, as either is as good)."""
    source_of = np.arange(len(vectors)) // PER_DOCUMENT
    eps = 1e-5
    at10, read_recall, interim, legacy, control = [], [], [], [], []
    for query in queries:
        scores = vectors @ query
        tenth = float(np.sort(scores)[-10])
        (wide,) = store.search(query[None, :], per_source=10, max_sources=10)
        best = sorted(((h.similarity, h.passage.id - 1) for g in wide for h in g.hits), reverse=True)[:10]
        at10.append(sum(scores[row] >= tenth - eps for _, row in best) / 10)
        (found,) = store.search(query[None, :], per_source=PER_SOURCE, max_sources=MAX_SOURCES)
        groups = [
            (int(source_of[g.hits[0].passage.id - 1]), [float(scores[h.passage.id - 1]) for h in g.hits]) for g in found
        ]
        read_recall.append(read_set_recall(scores, source_of, groups))
        interim.append(interim_read_recall(scores, source_of, groups))
        legacy.append(legacy_read_recall(scores, source_of, groups))
        for newest_first in (True, False):
            control.append(
                read_set_recall(scores, source_of, exact_groups(scores, source_of, newest_first=newest_first))
            )
    return {
        "recall_at_10": float(np.mean(at10)),
        "recall_read": float(np.mean(read_recall)),
        "recall_read_interim": float(np.mean(interim)),
        "recall_read_legacy": float(np.mean(legacy)),
        "recall_read_of_exact_search": float(np.min(control)),  # the metric's control: must be 1
    }


def check_p50(index_dir: Path, claims: list[str], embedder: Any) -> float:
    from service.corpus import Corpus
    from service.settings import Settings
    from service.verify import Verifier

    verifier = Verifier(Corpus(Settings(index_dir=index_dir), embedder=embedder))
    verifier.warm_up()
    # one untimed pass first, on both indexes alike: a serving process has its index's pages and
    # its passages' word vectors warm; the first pass of a fresh process would time loading them
    list(verifier.verify_many(claims))  # a generator: consumed, or the pass never runs
    samples = []
    for claim in claims * 3:
        started = time.perf_counter()
        verifier.verify(claim)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


# -- the run --------------------------------------------------------------------------------


def store_figures(sizes: list[int], rounds: int) -> dict[int, dict[str, float]]:
    """Each synthetic store built (or reused), its writes measured against the others', then its
    search in turn, and its opening in a fresh process."""
    stores = {}
    for size in sizes:
        vectors = synthetic(size, seed=size)
        texts = [f"Zin {i}: {i % 9000} soldaten gaan naar {PLACES[i % len(PLACES)]}." for i in range(size)]
        stores[size] = build(SCALE / f"synthetic-{size}", texts, vectors, model="synthetic-512")
        del vectors, texts
    figures = {size: {"passages": float(store.counts().passages)} for size, store in stores.items()}
    for size, written in measure_writes(stores, rounds).items():
        figures[size] |= written
    for size, store in stores.items():
        figures[size]["search_p50_ms"] = measure_search(store, synthetic(200, seed=7))
        store.close()
        figures[size] |= probe_open(SCALE / f"synthetic-{size}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,1000000", help="synthetic store sizes, comma-separated")
    parser.add_argument("--real", type=int, default=100_000, help="real-embedded passages for recall and check")
    parser.add_argument("--rounds", type=int, default=25, help="documents added and deleted per store")
    parser.add_argument("--skip-check", action="store_true", help="leave out check p50 (loads the engine)")
    args = parser.parse_args()
    results: dict[str, Any] = {"command": "python -m bench.scale " + " ".join(sys.argv[1:])}
    sizes = [int(s) for s in args.sizes.split(",") if s]
    for size, figures in store_figures(sizes, args.rounds).items():
        results[f"synthetic_{size}"] = figures
        print(json.dumps({f"synthetic_{size}": figures}), flush=True)
    if len(sizes) >= 2:
        small, large = results[f"synthetic_{sizes[0]}"], results[f"synthetic_{sizes[-1]}"]
        results["add_ratio"] = large["add_s"] / small["add_s"]
        results["delete_ratio"] = large["delete_s"] / small["delete_s"]
    if args.real:
        texts, vectors = real_corpus(args.real)
        from index.embedding import load_embedder

        embedder = load_embedder()
        store = build(SCALE / f"real-{args.real}", texts, vectors, model=embedder.model_id)
        claims = [json.loads(line)["claim"] for line in (REPO / "eval" / "dev_claims.jsonl").open(encoding="utf-8")]
        queries = np.concatenate(
            [embedder.encode(claims), embedder.encode(varied(base_sentences(), 200, seed=99))]
        ).astype(np.float32)
        real: dict[str, Any] = {"passages": store.counts().passages}
        real |= measure_recall(store, vectors, queries)
        real["search_p50_ms"] = measure_search(store, queries)
        store.close()
        if not args.skip_check:
            seed_dir = SCALE / "seed-index"
            shutil.rmtree(seed_dir, ignore_errors=True)
            from index.ingest import ingest

            seed_store = open_store(seed_dir, model=embedder.model_id, dimension=embedder.dimension)
            ingest(seed_store, embedder, iter_documents([SEEDS]))
            seed_store.close()
            real["check_p50_ms"] = check_p50(SCALE / f"real-{args.real}", claims, embedder)
            real["seed_check_p50_ms"] = check_p50(seed_dir, claims, embedder)
            real["check_ratio"] = real["check_p50_ms"] / real["seed_check_p50_ms"]
        results[f"real_{args.real}"] = real
        print(json.dumps({f"real_{args.real}": real}), flush=True)
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    record("scale", results)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
