"""An index of the generation format (crosscheck before segments) opens migrated."""

from __future__ import annotations

from pathlib import Path

from index.documents import Document
from index.sentences import split_sentences
from index.store import open_store
from index.store.legacy import CURRENT_FILE, CorpusIndex
from tests.index.store.conformance import EMBEDDER, POLAND, ROMANIA, grouped


def test_a_generation_index_opens_migrated(tmp_path: Path) -> None:
    path = tmp_path / "index"
    old = CorpusIndex.open_or_create(path, model=EMBEDDER.model_id, dimension=EMBEDDER.dimension)
    for document in (ROMANIA, POLAND, Document("gone", "Dit verdwijnt.")):
        sentences = split_sentences(document.text, document.language)
        old.add(document, sentences, EMBEDDER.encode([s.text for s in sentences]))
    old.delete("gone")
    expected = {
        source_id: [(p.text, p.char_start, p.char_end, p.position) for p in old.snapshot.source_passages(source_id)]
        for source_id in old.snapshot.sources
    }

    store = open_store(path, model=EMBEDDER.model_id)
    assert {s.source_id: s for s in store.sources()} == old.snapshot.sources
    for source_id, passages in expected.items():
        assert [(p.text, p.char_start, p.char_end, p.position) for p in store.source_passages(source_id)] == passages
        assert store.source_text(source_id) == old.snapshot.texts[source_id]
    assert grouped(store, "soldaten naar Roemenië", per_source=1)["ro"] == ["Duizend soldaten gaan naar Roemenië."]
    assert not (path / CURRENT_FILE).exists() and not list(path.glob("gen-*"))
    store.close()
    assert open_store(path, model=EMBEDDER.model_id).counts().sources == 2  # opens as it is now
