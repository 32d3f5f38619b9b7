"""The embedded FAISS + SQLite store against the conformance suite, and what only it does."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.documents import Document
from index.errors import IndexCorruptError, IndexNotFoundError, ModelMismatchError
from index.store import PassageStore, StoreUnavailableError, open_store
from index.store.faiss import store as faiss_store
from index.store.faiss.store import MERGE_FACTOR
from tests.conftest import REPO
from tests.index.store.conformance import (
    EMBEDDER,
    POLAND,
    ROMANIA,
    UNDATED,
    OpenStore,
    StoreConformance,
    grouped,
    put,
)


@pytest.fixture
def open_test_store(tmp_path: Path) -> OpenStore:
    def opener() -> PassageStore:
        return open_store(tmp_path / "index", model=EMBEDDER.model_id, dimension=EMBEDDER.dimension, backend="faiss")

    return opener


class TestFaissStore(StoreConformance):
    pass


def test_missing_store_is_not_created_without_a_dimension(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="crosscheck ingest"):
        open_store(tmp_path / "none", backend="faiss")


def test_another_model_is_refused(open_test_store: OpenStore, tmp_path: Path) -> None:
    open_test_store().close()
    with pytest.raises(ModelMismatchError, match=EMBEDDER.model_id):
        open_store(tmp_path / "index", model="another-model", backend="faiss")


def test_unknown_backend_names_the_choices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSCHECK_STORE", "cassandra")
    with pytest.raises(StoreUnavailableError, match="faiss, milvus"):
        open_store(tmp_path)


# -- crash safety ------------------------------------------------------------------------

WRITER = """
import sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
from index.documents import Document
from index.sentences import split_sentences
from index.store import open_store
from index.store.faiss import store as faiss_store
from tests.conftest import FakeEmbedder

def pause():
    print("PAUSED", flush=True)
    time.sleep(60)

faiss_store.before_commit = pause
embedder = FakeEmbedder()
store = open_store(Path({path!r}), model=embedder.model_id)
if {delete!r}:
    store.delete("ro")
else:
    doc = Document("new", "Vijfhonderd soldaten naar Bulgarije. Een tweede zin.")
    sentences = split_sentences(doc.text, "nl")
    store.upsert(doc, sentences, embedder.encode([s.text for s in sentences]))
"""


@pytest.mark.parametrize("delete", [False, True])
def test_killed_inside_the_commit_leaves_the_old_state(
    open_test_store: OpenStore, tmp_path: Path, delete: bool
) -> None:
    """The kill lands after the segment files and rows are written, before the commit."""
    store = open_test_store()
    put(store, ROMANIA, POLAND)
    before = {s.source_id: [p.text for p in store.source_passages(s.source_id)] for s in store.sources()}
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(repo=str(REPO), path=str(tmp_path / "index"), delete=delete))
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert child.stdout is not None and child.stdout.readline().strip() == "PAUSED"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    reopened = open_test_store()
    assert {s.source_id: [p.text for p in reopened.source_passages(s.source_id)] for s in reopened.sources()} == before
    assert set(grouped(reopened, "soldaten naar Bulgarije")) == {"ro", "pl"}
    put(reopened, UNDATED)  # the next writer goes on, and sweeps what the killed one left
    segments = tmp_path / "index" / "segments"
    committed = {s.number for s in reopened.view().segments}  # type: ignore[attr-defined]
    on_disk = {int(p.name.split(".")[0]) for p in segments.iterdir() if p.name[0].isdigit()}
    assert on_disk == committed


def test_a_missing_row_is_named_with_the_way_out(open_test_store: OpenStore, tmp_path: Path) -> None:
    store = open_test_store()
    put(store, ROMANIA, POLAND)
    store.close()
    conn = sqlite3.connect(tmp_path / "index" / "store.sqlite")
    with conn:
        conn.execute("DELETE FROM passages WHERE id = (SELECT min(id) FROM passages)")
    conn.close()
    with pytest.raises(IndexCorruptError, match=r"damaged: 3 passage rows .* where 4 .*crosscheck doctor"):
        open_test_store()


def test_a_missing_segment_file_is_named(open_test_store: OpenStore, tmp_path: Path) -> None:
    store = open_test_store()
    put(store, ROMANIA)
    store.close()
    next((tmp_path / "index" / "segments").glob("*.vec.npy")).unlink()
    with pytest.raises(IndexCorruptError, match=r"vector segment 1 .* is damaged .*crosscheck doctor"):
        open_test_store()


def test_a_write_failing_before_its_commit_changes_nothing(
    open_test_store: OpenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its files are removed, its rows rolled back; the next write then merges the tier as due."""
    store = open_test_store()
    documents = [Document(f"d{i}", f"Zin een van {i}. Zin twee van {i}.") for i in range(MERGE_FACTOR - 1)]
    put(store, *documents)
    segments = len(store.view().segments)  # type: ignore[attr-defined]

    def fail() -> None:
        raise OSError("disk full")

    monkeypatch.setattr(faiss_store, "before_commit", fail)
    with pytest.raises(OSError, match="disk full"):
        put(store, Document("last", "De laatste zin."))
    monkeypatch.setattr(faiss_store, "before_commit", None)
    assert len(store.view().segments) == segments  # type: ignore[attr-defined]
    assert store.counts().sources == MERGE_FACTOR - 1
    put(store, Document("last", "De laatste zin."))
    assert len(store.view().segments) == 1  # type: ignore[attr-defined]  # the tier merged into one
    assert store.counts().passages == 2 * (MERGE_FACTOR - 1) + 1


@pytest.mark.parametrize("damage", ["row", "segment", "source", "fts"])
def test_doctor_names_the_damage_and_repairs_it(open_test_store: OpenStore, tmp_path: Path, damage: str) -> None:
    from index.store.faiss.doctor import diagnose, repair

    path = tmp_path / "index"
    store = open_test_store()
    put(store, ROMANIA, POLAND, UNDATED)
    expected = {s.source_id: [p.text for p in store.source_passages(s.source_id)] for s in store.sources()}
    store.close()
    assert diagnose(path).healthy
    conn = sqlite3.connect(path / "store.sqlite")
    with conn:
        if damage == "row":
            conn.execute("DELETE FROM passages WHERE id = (SELECT min(id) FROM passages)")
        elif damage == "source":
            conn.execute("DELETE FROM sources WHERE source_id = 'pl'")
        elif damage == "fts":
            conn.execute("INSERT INTO passages_fts (passages_fts, rowid, text) VALUES ('delete', 1, 'x')")
    conn.close()
    if damage == "segment":
        next((path / "segments").glob("*.vec.npy")).write_bytes(b"garbage")
    found = diagnose(path)
    assert not found.healthy and found.problems
    done = repair(path, lambda texts: EMBEDDER.encode(list(texts)))
    assert done and not [d for d in done if d.startswith("NOT")], done
    assert diagnose(path).healthy
    repaired = open_test_store()
    if damage == "source":  # its text went with its row: the passages are removed, the rest kept
        del expected["pl"]
    assert {
        s.source_id: [p.text for p in repaired.source_passages(s.source_id)] for s in repaired.sources()
    } == expected
    assert grouped(repaired, "soldaten naar Roemenië")["ro"][0] == "Duizend soldaten gaan naar Roemenië."


# -- IVF segments beside small flat ones -------------------------------------------------


def test_a_store_with_an_ivf_segment_and_small_flat_ones_returns_exact_cosines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After compaction into IVF, writes leave small flat segments (some all dead); a search over
    them returns exact cosines, leaves deleted passages out, keeps filters, and finds a passage
    of any segment by its own vector."""
    from index.sentences import Sentence
    from index.store import SearchFilters

    monkeypatch.setattr(faiss_store, "EXACT_MAX", 500)
    dimension, per_document = 16, 10
    rng = np.random.default_rng(3)
    store = open_store(tmp_path / "ivf", model="fake", dimension=dimension, backend="faiss")
    vectors: dict[str, np.ndarray] = {}

    def item(name: str) -> tuple[Document, list[Sentence], np.ndarray]:
        found = rng.standard_normal((per_document, dimension)).astype(np.float32)
        found /= np.linalg.norm(found, axis=1, keepdims=True)
        vectors[name] = found
        text = " ".join(f"Zin {i} van {name}." for i in range(per_document))
        sentences, offset = [], 0
        for i in range(per_document):
            sentence = f"Zin {i} van {name}."
            sentences.append(Sentence(sentence, offset, offset + len(sentence), 0, i))
            offset += len(sentence) + 1
        return Document(name, text, published=f"{2015 + len(vectors) % 5}-01", language="nl"), sentences, found

    store.upsert_many([item(f"d{i:03d}") for i in range(200)])
    store.compact(force=True)
    assert any(s.ivf is not None for s in store.view().segments)  # type: ignore[attr-defined]
    for name in ("late0", "late1", "late2"):
        store.upsert_many([item(name)])
    store.delete("late1")  # a flat segment with every row dead
    store.delete("d007")  # tombstones in the IVF segment
    del vectors["late1"], vectors["d007"]
    segments = store.view().segments  # type: ignore[attr-defined]
    assert sum(s.ivf is None for s in segments) == 3
    texts = {p.id: (s.source_id, p.position) for s in store.sources() for p in store.source_passages(s.source_id)}

    for name, position in (("late0", 3), ("late2", 0), ("d100", 5), ("d199", 9)):
        query = vectors[name][position]
        (groups,) = store.search(query[None, :], per_source=8, max_sources=20)
        assert groups[0].source.source_id == name and groups[0].hits[0].similarity == pytest.approx(1.0, abs=1e-5)
        for group in groups:
            assert group.source.source_id not in ("late1", "d007")
            for hit in group.hits:
                source_id, at = texts[hit.passage.id]
                assert source_id == group.source.source_id
                assert hit.similarity == pytest.approx(float(vectors[source_id][at] @ query), abs=1e-5)
            similarities = [h.similarity for h in group.hits]
            assert similarities == sorted(similarities, reverse=True)
        (only,) = store.search(
            query[None, :], per_source=8, filters=SearchFilters(source_ids=frozenset({"late2", "d050"}))
        )
        assert {g.source.source_id for g in only} == {"late2", "d050"}
        (dated,) = store.search(query[None, :], per_source=8, filters=SearchFilters(published_after="2018"))
        assert dated and all((g.source.published or "") >= "2018" for g in dated)  # masks over every segment
    store.close()
