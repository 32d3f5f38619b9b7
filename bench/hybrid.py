"""Retrieval recall that hybrid search gains: dense only against dense + FTS5 bm25 fused (RRF).

For each claim of a labelled file (``eval/README.md``'s formats) the claim is embedded with
the configured model and searched twice in the same store, once without its text (dense
only) and once with it (fused); the store, the vectors and the grouping are the same, so
the difference is fusion alone. The gold documents of a claim are:

- claims over a corpus (``eval/dev_claims.jsonl``): the sources it labels (``supports`` and
  ``conflicts``), searched over the seed index (``--index-dir``, built from the seeds if missing);
- claims with their own evidence (the public dev sets): its own ``documents``, searched over
  one index of every document of the file (the cache ``crosscheck eval`` builds).

Printed per file: recall@k, the fraction of a claim's gold documents among the first k
sources the search returns, averaged over the claims that have gold documents indexed, for
k in ``--k``; the search is the verifier's (8 passages per source, sources ranked by their
best passage). Two searches are reported:

- ``pooled``: no filter, so the claim's documents compete with every other claim's (the
  retrieval question fusion is meant to answer);
- ``own filter``: restricted to the claim's own documents, as ``crosscheck eval`` checks
  the public sets. Every source returned is then gold, so recall@k is only min(k, n)/n; it
  is printed to show that fusion does not lose a document under the filter, not as a gain.

    python -m bench.hybrid FILE... [--index-dir DIR] [--k 1 5 10 20]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.store import PassageStore, SearchFilters
from service.corpus import Corpus
from service.evaluation import ClaimSet, evidence_corpus, evidence_index_dir, load_claim_set
from service.settings import settings_with
from service.verify import CANDIDATES_PER_SOURCE

DEFAULT_K = (1, 5, 10, 20)


def corpus_for(claim_set: ClaimSet, index_dir: Path | None) -> Corpus:
    if claim_set.own_evidence:
        model = settings_with().model
        target = index_dir or evidence_index_dir(claim_set, model)
        return evidence_corpus(claim_set, settings_with(index_dir=target), disposable=index_dir is None)
    corpus = Corpus(settings_with(index_dir=index_dir))
    corpus.store(bootstrap=True)
    return corpus


def recall_at(returned: Sequence[str], gold: frozenset[str], ks: Sequence[int]) -> list[float]:
    return [len(gold & set(returned[:k])) / len(gold) for k in ks]


def measure(claim_set: ClaimSet, corpus: Corpus, ks: Sequence[int]) -> dict[str, tuple[int, list[float]]]:
    """(claims, mean recall@k) per search kind: dense/fused, pooled/own filter."""
    store: PassageStore = corpus.store()
    indexed = {s.source_id for s in store.sources()}
    claims = []
    for c in claim_set.claims:
        gold = (c.evidence if c.evidence is not None else frozenset(c.supports) | frozenset(c.conflicts)) & indexed
        if gold:
            claims.append((c.claim, frozenset(gold)))
    vectors = corpus.embed([text for text, _ in claims])
    depth = max(ks)
    sums: dict[str, np.ndarray] = {}
    for (text, gold), vector in zip(claims, vectors, strict=True):
        searches: dict[str, tuple[SearchFilters | None, bool]] = {"pooled": (None, False)}
        if claim_set.own_evidence:
            searches["own filter"] = (SearchFilters(source_ids=gold), True)
        for name, (filters, _) in searches.items():
            for kind, texts in (("dense", None), ("fused", [text])):
                (groups,) = store.search(
                    vector[None, :], per_source=CANDIDATES_PER_SOURCE, max_sources=depth, filters=filters, texts=texts
                )
                key = f"{name} {kind}"
                row = np.asarray(recall_at([g.source.source_id for g in groups], gold, ks))
                sums[key] = sums.get(key, np.zeros(len(ks))) + row
    return {key: (len(claims), (total / max(len(claims), 1)).tolist()) for key, total in sums.items()}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--index-dir", type=Path, help="index of a corpus-claims file (default CROSSCHECK_INDEX_DIR)")
    parser.add_argument("--k", type=int, nargs="+", default=list(DEFAULT_K))
    args = parser.parse_args(argv)
    ks = sorted(set(args.k))
    for path in args.files:
        claim_set = load_claim_set(path)
        corpus = corpus_for(claim_set, None if claim_set.own_evidence else args.index_dir)
        store = corpus.store()
        if not getattr(store, "lexical", False):
            raise SystemExit(f"the store of {path} has no lexical index (CROSSCHECK_HYBRID=false or a dense backend)")
        counts = store.counts()
        figures = measure(claim_set, corpus, ks)
        print(f"{path.name}: {counts.sources:,} documents, {counts.passages:,} passages")
        print(f"  {'search':<18} {'claims':>6}  " + "  ".join(f"{'R@' + str(k):>6}" for k in ks))
        for key, (n, recalls) in figures.items():
            print(f"  {key:<18} {n:>6}  " + "  ".join(f"{r:>6.3f}" for r in recalls))


if __name__ == "__main__":
    main()
