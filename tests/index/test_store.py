from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from index.documents import Document
from index.errors import IndexCorruptError, IndexNotFoundError, ModelMismatchError, UnknownSourceError
from index.sentences import split_sentences
from index.store import CURRENT_FILE, CorpusIndex
from tests.conftest import REPO, FakeEmbedder

ROMANIA = Document("ro", "Duizend soldaten gaan naar Roemenië. De NAVO vreest een inval.", published="2022-02")
POLAND = Document("pl", "Tweeduizend militairen gaan naar Polen en Duitsland.", language="nl")


def add(index: CorpusIndex, embedder: FakeEmbedder, *docs: Document) -> list[str]:
    changes = []
    for doc in docs:
        sentences = split_sentences(doc.text, doc.language)
        changes.append(index.add(doc, sentences, embedder.encode([s.text for s in sentences])))
    return changes


def new_index(path: Path, embedder: FakeEmbedder) -> CorpusIndex:
    return CorpusIndex.open_or_create(path, model=embedder.model_id, dimension=embedder.dimension)


def query(index: CorpusIndex, embedder: FakeEmbedder, text: str, **kwargs: object) -> dict[str, list[str]]:
    (groups,) = index.snapshot.search(embedder.encode([text]), **kwargs)  # type: ignore[arg-type]
    return {g.source.source_id: [h.passage.text for h in g.hits] for g in groups}


def test_add_search_and_reload(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    index = new_index(index_dir, fake_embedder)
    assert add(index, fake_embedder, ROMANIA, POLAND) == ["added", "added"]
    hits = query(index, fake_embedder, "soldaten naar Roemenië", per_source=1)
    assert hits["ro"] == ["Duizend soldaten gaan naar Roemenië."]
    reloaded = CorpusIndex.open(index_dir, model=fake_embedder.model_id)
    assert reloaded.snapshot.sources.keys() == {"ro", "pl"}
    assert query(reloaded, fake_embedder, "soldaten naar Roemenië", per_source=1) == hits
    source = reloaded.snapshot.sources["ro"]
    assert (source.published, source.sentence_count) == ("2022-02", 2)
    for passage in reloaded.snapshot.source_passages("ro"):
        assert reloaded.snapshot.texts["ro"][passage.char_start : passage.char_end] == passage.text


def test_replace_and_delete_without_rebuild(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    index = new_index(index_dir, fake_embedder)
    add(index, fake_embedder, ROMANIA, POLAND)
    updated = Document("ro", "Vijfhonderd soldaten gaan naar Bulgarije.")
    assert add(index, fake_embedder, updated) == ["replaced"]
    passages = [p.text for p in CorpusIndex.open(index_dir).snapshot.source_passages("ro")]
    assert passages == ["Vijfhonderd soldaten gaan naar Bulgarije."]
    assert index.snapshot.vectors.size == 2  # the old sentences' vectors are gone

    assert index.delete("pl") is True
    assert index.delete("pl") is False
    reloaded = CorpusIndex.open(index_dir)
    assert set(reloaded.snapshot.sources) == {"ro"}
    assert "pl" not in query(reloaded, fake_embedder, "militairen Polen")


def test_ingesting_the_same_document_twice_changes_nothing(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    index = new_index(index_dir, fake_embedder)
    add(index, fake_embedder, ROMANIA)
    before = (index_dir / CURRENT_FILE).read_text()
    assert add(index, fake_embedder, ROMANIA) == ["unchanged"]
    assert (index_dir / CURRENT_FILE).read_text() == before


def test_per_source_results_include_sources_ranked_low_globally(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    index = new_index(index_dir, fake_embedder)
    crowded = Document("crowded", "\n".join(f"Soldaten naar Roemenië, bericht {i}." for i in range(30)))
    lonely = Document("lonely", "Een enkel bericht over soldaten.")
    add(index, fake_embedder, crowded, lonely)
    hits = query(index, fake_embedder, "soldaten naar Roemenië", per_source=2)
    assert set(hits) == {"crowded", "lonely"}
    assert len(hits["crowded"]) == 2


def test_search_restricted_to_sources(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    index = new_index(index_dir, fake_embedder)
    add(index, fake_embedder, ROMANIA, POLAND)
    assert set(query(index, fake_embedder, "soldaten", source_ids=["pl"])) == {"pl"}
    with pytest.raises(UnknownSourceError, match="nope"):
        query(index, fake_embedder, "soldaten", source_ids=["nope"])


def test_model_mismatch_names_both_models(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    add(new_index(index_dir, fake_embedder), fake_embedder, ROMANIA)
    with pytest.raises(ModelMismatchError) as excinfo:
        CorpusIndex.open(index_dir, model="use-multilingual-v3")
    assert "fake-hashing-64" in str(excinfo.value) and "use-multilingual-v3" in str(excinfo.value)
    with pytest.raises(ModelMismatchError, match=r"dimensions|-d"):
        CorpusIndex.open_or_create(index_dir, model="fake-hashing-64", dimension=32)


def test_missing_and_corrupt_indexes_fail_clearly(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    with pytest.raises(IndexNotFoundError, match="crosscheck ingest"):
        CorpusIndex.open(index_dir)
    add(new_index(index_dir, fake_embedder), fake_embedder, ROMANIA)
    (index_dir / CURRENT_FILE).write_text("gen-999999\n")
    with pytest.raises(IndexCorruptError, match="gen-999999"):
        CorpusIndex.open(index_dir)


def test_truncated_vectors_file_is_reported(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    add(new_index(index_dir, fake_embedder), fake_embedder, ROMANIA)
    live = index_dir / (index_dir / CURRENT_FILE).read_text().strip()
    vectors = live / "vectors.faiss"
    vectors.write_bytes(vectors.read_bytes()[:100])
    with pytest.raises(IndexCorruptError, match="cannot load"):
        CorpusIndex.open(index_dir)


def test_other_processes_see_new_generations(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    writer = new_index(index_dir, fake_embedder)
    add(writer, fake_embedder, ROMANIA)
    reader = CorpusIndex.open(index_dir)
    assert reader.refresh() is False
    add(writer, fake_embedder, POLAND)
    assert reader.refresh() is True
    assert set(reader.snapshot.sources) == {"ro", "pl"}


def test_a_stale_writer_does_not_lose_another_writers_document(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    first = new_index(index_dir, fake_embedder)
    add(first, fake_embedder, ROMANIA)
    second = CorpusIndex.open(index_dir)
    add(first, fake_embedder, POLAND)
    add(second, fake_embedder, Document("third", "Een derde bron over de NAVO."))
    assert set(CorpusIndex.open(index_dir).snapshot.sources) == {"ro", "pl", "third"}


def test_readers_see_whole_generations_during_writes(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    index = new_index(index_dir, fake_embedder)
    add(index, fake_embedder, ROMANIA)
    vector = fake_embedder.encode(["soldaten"])
    stop = threading.Event()
    problems: list[str] = []

    def read() -> None:
        while not stop.is_set():
            snapshot = index.snapshot
            (groups,) = snapshot.search(vector, per_source=5)
            if snapshot.vectors.size != len(snapshot.passages):
                problems.append("vector count differs from passage count")
            for group in groups:
                if group.source.source_id not in snapshot.sources:
                    problems.append(f"hit in unknown source {group.source.source_id}")
                if len(group.hits) != min(5, group.source.sentence_count):
                    problems.append(f"{group.source.source_id}: partial source")

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    for i in range(15):
        add(index, fake_embedder, Document(f"doc{i}", f"Soldaten bericht {i}. Nog een zin {i}. Derde zin."))
        if i % 3 == 0:
            index.delete(f"doc{i}")
    stop.set()
    for thread in readers:
        thread.join()
    assert problems == []


CRASHING_WRITER = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {repo!r})
    import index.store.legacy as store
    from index.documents import Document
    from index.sentences import split_sentences
    from tests.conftest import FakeEmbedder

    stage = sys.argv[1]
    calls = {{"fsync_dir": 0}}

    def hang():
        print("STAGE-REACHED", flush=True)
        time.sleep(60)

    original_save = store.FaissBackend.save
    def save(self, path):
        original_save(self, path)
        if stage == "vectors":
            hang()
    store.FaissBackend.save = save

    original_meta = store._write_metadata
    def write_metadata(path, snapshot):
        original_meta(path, snapshot)
        if stage == "metadata":
            hang()
    store._write_metadata = write_metadata

    original_fsync_dir = store._fsync_dir
    def fsync_dir(path):
        original_fsync_dir(path)
        calls["fsync_dir"] += 1
        # 1: staging synced, 2: generation renamed into place, 3: CURRENT swapped
        if stage == "renamed" and calls["fsync_dir"] == 2:
            hang()
        if stage == "swapped" and calls["fsync_dir"] == 3:
            hang()
    store._fsync_dir = fsync_dir

    embedder = FakeEmbedder()
    index = store.CorpusIndex.open({path!r})
    doc = Document("new", "Vijfhonderd soldaten naar Bulgarije. Een tweede zin.")
    sentences = split_sentences(doc.text, "nl")
    index.add(doc, sentences, embedder.encode([s.text for s in sentences]))
    print("SAVED", flush=True)
    """
)


@pytest.mark.parametrize(
    ("stage", "survives"),
    [("vectors", False), ("metadata", False), ("renamed", False), ("swapped", True)],
)
def test_killed_during_save_leaves_a_loadable_index(
    index_dir: Path, fake_embedder: FakeEmbedder, tmp_path: Path, stage: str, survives: bool
) -> None:
    add(new_index(index_dir, fake_embedder), fake_embedder, ROMANIA)
    script = tmp_path / "writer.py"
    script.write_text(CRASHING_WRITER.format(repo=str(REPO), path=str(index_dir)))
    child = subprocess.Popen(
        [sys.executable, str(script), stage], stdout=subprocess.PIPE, text=True, cwd=REPO, env=dict(os.environ)
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "STAGE-REACHED"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)

    after_crash = CorpusIndex.open(index_dir)
    expected = {"ro", "new"} if survives else {"ro"}
    assert set(after_crash.snapshot.sources) == expected
    assert after_crash.snapshot.vectors.size == len(after_crash.snapshot.passages)

    # the next write succeeds and clears what the crash left behind
    add(after_crash, fake_embedder, POLAND)
    assert set(CorpusIndex.open(index_dir).snapshot.sources) == expected | {"pl"}
    assert not list(index_dir.glob(".tmp-*"))
    assert len(list(index_dir.glob("gen-*"))) <= 2


def test_neighbors_follow_reading_order(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    index = new_index(index_dir, fake_embedder)
    add(index, fake_embedder, Document("d", "Een. Twee. Drie. Vier."))
    passages = index.snapshot.source_passages("d")
    assert [p.text for p in index.snapshot.neighbors(passages[1])] == ["Een.", "Twee.", "Drie."]
    assert [p.text for p in index.snapshot.neighbors(passages[0])] == ["Een.", "Twee."]


def test_vectors_are_stored_normalised_and_ids_are_stable(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    index = new_index(index_dir, fake_embedder)
    add(index, fake_embedder, ROMANIA, POLAND)
    ids_before = {p.id for p in index.snapshot.source_passages("pl")}
    index.delete("ro")
    assert {p.id for p in CorpusIndex.open(index_dir).snapshot.source_passages("pl")} == ids_before
    scores, _ = index.snapshot.vectors.search(
        fake_embedder.encode(["Tweeduizend militairen gaan naar Polen en Duitsland."]), 1
    )
    assert np.isclose(scores[0][0], 1.0, atol=1e-5)


def test_large_searches_keep_every_openmp_thread_after_small_ones() -> None:
    """Small searches set OpenMP to one thread; the count large ones restore must be read before that."""
    script = """
import faiss, numpy as np
from index.store import legacy as store
default = faiss.omp_get_max_threads()
backend = store.FaissBackend(4)
backend.add(np.arange(4, dtype=np.int64), np.eye(4, dtype=np.float32))
backend.search(np.eye(1, 4, dtype=np.float32), 1)  # small: one thread
assert faiss.omp_get_max_threads() == 1
store._SERIAL_SEARCH_WORK = 0  # every search is large from here on
backend.search(np.eye(1, 4, dtype=np.float32), 1)
print(faiss.omp_get_max_threads(), default)
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=False)
    assert run.returncode == 0, run.stderr
    restored, default = run.stdout.split()
    assert restored == default
