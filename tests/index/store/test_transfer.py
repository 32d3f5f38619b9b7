"""Moving a corpus between stores without embedding it again (index.store.transfer, crosscheck migrate)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

import tests.index.store.milvus_extra  # noqa: F401  (first: skips without the extra)
from index.documents import Document
from index.store import PassageStore, SourceRecord, StoreUnavailableError, open_store
from index.store.transfer import VectorExport, read_back, transfer
from tests.index.store.conformance import EMBEDDER, POLAND, ROMANIA, UNDATED, encode, put

pytestmark = pytest.mark.milvus

LONG = Document("long", "Een lange zin over de NAVO en Roemenië. " * 2000, published="2021", title="Lang")


def lite(path: Path) -> PassageStore:
    return open_store(path, model=EMBEDDER.model_id, dimension=EMBEDDER.dimension, backend="milvus", uri=str(path))


def snapshot(store: PassageStore) -> dict[str, Any]:
    """Everything a reader can see, with passage ids (which each store assigns itself) left out."""
    query = encode("soldaten naar Roemenië")
    return {
        "sources": store.sources(),
        "texts": {s.source_id: store.source_text(s.source_id) for s in store.sources()},
        "passages": {
            s.source_id: [
                (p.text, p.char_start, p.char_end, p.paragraph, p.position) for p in store.source_passages(s.source_id)
            ]
            for s in store.sources()
        },
        "search": [
            (g.source.source_id, [(h.passage.text, round(h.similarity, 5)) for h in g.hits])
            for g in store.search(query, per_source=2)[0]
        ],
        "counts": store.counts(),
    }


def test_a_move_keeps_every_source_passage_and_vector_and_resumes(tmp_path: Path) -> None:
    source, target = lite(tmp_path / "from.db"), lite(tmp_path / "to.db")
    try:
        put(source, ROMANIA, POLAND, UNDATED, LONG)
        report = transfer(source, target)
        assert (report.copied, report.unchanged) == (4, 0)
        assert report.passages == source.counts().passages
        assert snapshot(target) == snapshot(source)
        (passage,) = target.source_passages("ro")[:1]
        assert isinstance(target, VectorExport) and isinstance(source, VectorExport)
        moved = target.passage_vectors([passage.id])[0]
        assert moved == pytest.approx(encode(passage.text)[0], abs=1e-6)  # the stored vector, not a new one
        source.delete("pl")
        put(source, Document("ro", "Vijfhonderd soldaten gaan naar Bulgarije.", published="2022-03"))
        again = transfer(source, target)
        assert (again.copied, again.unchanged) == (1, 2)  # only the replaced source; a move adds, never deletes
        assert target.source_text("ro") == "Vijfhonderd soldaten gaan naar Bulgarije."
    finally:
        source.close()
        target.close()


def test_a_store_that_cannot_hand_out_vectors_is_refused_with_the_way_out() -> None:
    record = SourceRecord("ro", None, None, None, None, None, "hash", 3)
    with pytest.raises(StoreUnavailableError, match="re-ingest"):
        read_back(SimpleNamespace(), record)


def test_faiss_store_moves_to_milvus_lite(tmp_path: Path) -> None:
    source = open_store(tmp_path / "index", model=EMBEDDER.model_id, dimension=EMBEDDER.dimension, backend="faiss")
    target = lite(tmp_path / "milvus.db")
    try:
        if not isinstance(source, VectorExport):
            pytest.skip("the FAISS store does not hand out its vectors yet (passage_vectors): docs/scaling.md")
        put(source, ROMANIA, POLAND, UNDATED)
        transfer(source, target)
        assert snapshot(target) == snapshot(source)
    finally:
        source.close()
        target.close()


def test_crosscheck_migrate_copies_the_configured_store(
    tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.cli import cli

    monkeypatch.setenv("CROSSCHECK_STORE", "milvus")
    monkeypatch.setenv("CROSSCHECK_MILVUS_URI", str(tmp_path / "from.db"))
    monkeypatch.setenv("CROSSCHECK_MODEL", EMBEDDER.model_id)
    source = lite(tmp_path / "from.db")
    try:
        put(source, ROMANIA, POLAND)
        runner = CliRunner()
        refused = runner.invoke(cli, ["migrate", "--to", "milvus"])
        assert refused.exit_code == 2 and "--to-uri" in refused.output
        moved = runner.invoke(cli, ["migrate", "--to", "milvus", "--to-uri", str(tmp_path / "to.db"), "-q"])
        assert moved.exit_code == 0, moved.output
        assert "2 sources copied" in moved.output and "CROSSCHECK_STORE=milvus" in moved.output
        target = lite(tmp_path / "to.db")
        try:
            assert snapshot(target) == snapshot(source)
        finally:
            target.close()
    finally:
        source.close()
