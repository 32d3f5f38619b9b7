"""``kill -9`` during ingest, 20 times at random moments: the index always opens whole and answers."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.store import open_store
from service.corpus import Corpus
from service.settings import Settings
from service.verify import Verifier
from tests.conftest import REPO, FakeEmbedder

DOCUMENTS = 400  # 12,000 passages before the kills
SENTENCES = 30
KILLS = 20

INGEST = """
import sys
sys.path.insert(0, {repo!r})
from pathlib import Path
import index.ingest
from index.documents import Document, iter_documents
from index.ingest import ingest
from index.sentences import split_sentences
from index.store import open_store
from tests.conftest import FakeEmbedder

index.ingest.CHECKPOINT_SENTENCES = 1_500  # many commits, so kills land in every phase of one
embedder = FakeEmbedder()
store = open_store(Path({index!r}), model=embedder.model_id, dimension=embedder.dimension)
warm = Document("warm", "Duizend soldaten gaan naar Polen. Een tweede zin.").with_language()
split_sentences(warm.text, warm.language)  # load the language and sentence models before the kills start
print("OPEN", flush=True)
ingest(store, embedder, iter_documents([Path({corpus!r})]))
print("DONE", flush=True)
"""


PLACES = ["Roemenië", "Polen", "Duitsland", "Litouwen", "Estland", "Letland", "Bulgarije", "Slowakije"]


def write_document(directory: Path, n: int, rng: random.Random, history: dict[str, set[str]]) -> None:
    sentences = [
        f"Bericht {n}: {rng.randint(100, 9_000)} soldaten gaan naar {rng.choice(PLACES)} in week {i}."
        for i in range(SENTENCES)
    ]
    text = " ".join(sentences)
    (directory / f"doc{n:04d}.txt").write_text(text, encoding="utf-8")
    history.setdefault(f"doc{n:04d}", set()).add(text)


def run(script: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert child.stdout is not None and child.stdout.readline().strip() == "OPEN"
    return child


@pytest.mark.slow
def test_ingest_killed_at_random_moments_leaves_a_whole_index(tmp_path: Path) -> None:
    """Into an index of 12,000 passages, each round replaces 100 documents and adds 20, and is killed
    at a random moment: every source is then whole, in its old version or its new one."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    stems = {f"doc{n:04d}": {"language": "nl"} for n in range(DOCUMENTS + 20 * KILLS)}
    (corpus / "manifest.json").write_text(json.dumps({"sources": stems}))  # no detection: kills land in work
    rng = random.Random(20)
    history: dict[str, set[str]] = {}
    for n in range(DOCUMENTS):
        write_document(corpus, n, rng, history)
    script = tmp_path / "ingest.py"
    script.write_text(INGEST.format(repo=str(REPO), index=str(index), corpus=str(corpus)))
    assert run(script).wait(timeout=300) == 0
    embedder = FakeEmbedder()
    committed: set[str] = set(history)
    documents = DOCUMENTS
    for _ in range(KILLS):
        for n in rng.sample(range(documents), 100):
            write_document(corpus, n, rng, history)
        for n in range(documents, documents + 20):
            write_document(corpus, n, rng, history)
        documents += 20
        child = run(script)
        time.sleep(rng.uniform(0.0, 2.5))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)

        store = open_store(index, model=embedder.model_id)
        sources = {s.source_id: s for s in store.sources()}
        assert committed <= sources.keys()  # the old state or a newer one, never less
        committed = set(sources)
        assert store.counts().passages == SENTENCES * len(sources) >= 10_000
        for source_id in rng.sample(sorted(sources), 40):
            text = store.source_text(source_id)
            assert text in history[source_id]
            passages = store.source_passages(source_id)
            assert len(passages) == sources[source_id].sentence_count == SENTENCES
            assert [text[p.char_start : p.char_end] for p in passages] == [p.text for p in passages]
        (groups,) = store.search(embedder.encode(["soldaten gaan naar Polen"]), per_source=1)
        assert groups and all(g.source.source_id in sources for g in groups)
        store.close()

    assert run(script).wait(timeout=300) == 0
    store = open_store(index, model=embedder.model_id)
    assert store.counts().sources == documents
    for source_id in rng.sample(sorted(history), 40):
        assert store.source_text(source_id) == (corpus / f"{source_id}.txt").read_text(encoding="utf-8")
    verifier = Verifier(Corpus(Settings(index_dir=index), embedder=embedder))
    result = verifier.verify("Duizend soldaten gaan naar Polen.")
    assert result.sources and result.verdict in {"supported", "refuted", "conflicting", "not_enough_evidence"}
