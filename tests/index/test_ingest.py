from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index.documents import Document, iter_documents
from index.ingest import ingest
from index.store import PassageStore, open_store
from tests.conftest import SEEDS, FakeEmbedder


def open_index(path: Path, embedder: FakeEmbedder) -> PassageStore:
    return open_store(path, model=embedder.model_id, dimension=embedder.dimension)


def test_seed_corpus_ingests_with_provenance(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    index = open_index(index_dir, fake_embedder)
    report = ingest(index, fake_embedder, iter_documents([SEEDS]))
    assert (report.added, report.failed, report.empty) == (5, 0, 0)
    store = open_store(index_dir)
    assert report.sentences == store.counts().passages > 100
    for source in store.sources():
        assert source.language == "nl"
        text = store.source_text(source.source_id)
        assert text is not None
        passages = store.source_passages(source.source_id)
        assert len(passages) == source.sentence_count
        for passage in passages:
            assert not passage.text.startswith("date")
            assert not any(junk in passage.text for junk in ("© AFP", "Volg dit onderwerp", "Volledig scherm"))
            assert text[passage.char_start : passage.char_end] == passage.text


def test_reingesting_unchanged_files_embeds_nothing(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    index = open_index(index_dir, fake_embedder)
    ingest(index, fake_embedder, iter_documents([SEEDS]))
    version = index.version
    calls = fake_embedder.calls
    report = ingest(index, fake_embedder, iter_documents([SEEDS]))
    assert (report.added, report.replaced, report.unchanged, report.sentences) == (0, 0, 5, 0)
    assert fake_embedder.calls == calls
    assert index.version == version


def test_changed_file_replaces_its_source(index_dir: Path, fake_embedder: FakeEmbedder, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    article = corpus / "a.txt"
    article.write_text("Duizend soldaten gaan naar Roemenië.", encoding="utf-8")
    index = open_index(index_dir, fake_embedder)
    ingest(index, fake_embedder, iter_documents([corpus]))
    article.write_text("Tweeduizend soldaten gaan naar Polen. Een tweede zin.", encoding="utf-8")
    report = ingest(index, fake_embedder, iter_documents([corpus]))
    assert report.replaced == 1
    assert [p.text for p in index.source_passages("a")] == [
        "Tweeduizend soldaten gaan naar Polen.",
        "Een tweede zin.",
    ]


def test_documents_without_sentences_are_reported(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    warnings: list[str] = []
    index = open_index(index_dir, fake_embedder)
    report = ingest(
        index, fake_embedder, [Document("furniture", "© AFP\n\nVolledig scherm")], on_warning=warnings.append
    )
    assert report.empty == 1 and report.added == 0
    assert warnings and "no sentences" in warnings[0]


def test_language_is_detected_when_not_given(index_dir: Path, fake_embedder: FakeEmbedder) -> None:
    index = open_index(index_dir, fake_embedder)
    docs = [
        Document("en", "A thousand US soldiers already in Germany are being moved to Romania, the Pentagon said."),
        Document("nl", "Duizend Amerikaanse soldaten die al in Duitsland zijn, worden naar Roemenië gestuurd."),
    ]
    ingest(index, fake_embedder, docs)
    assert {s.source_id: s.language for s in index.sources()} == {"en": "en", "nl": "nl"}
    # detection is part of the content hash, so the same documents are unchanged next time
    assert ingest(index, fake_embedder, docs).unchanged == 2


def test_checkpoints_commit_every_batch_without_losing_documents(
    index_dir: Path, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("index.ingest.EMBED_BATCH", 8)
    monkeypatch.setattr("index.ingest.CHECKPOINT_SENTENCES", 20)
    index = open_index(index_dir, fake_embedder)
    report = ingest(index, fake_embedder, iter_documents([SEEDS]))
    store = open_store(index_dir)
    assert report.added == 5 and {s.source_id for s in store.sources()} == {p.stem for p in SEEDS.glob("*.txt")}
    assert store.counts().passages == report.sentences
    assert store.version > 4  # several checkpoints were committed


def test_a_failing_document_source_stops_ingest_and_commits_nothing_partial(
    index_dir: Path, fake_embedder: FakeEmbedder
) -> None:
    def documents() -> Iterator[Document]:
        yield Document("a", "Duizend soldaten gaan naar Roemenië.")
        raise RuntimeError("feed broke")

    index = open_index(index_dir, fake_embedder)
    with pytest.raises(RuntimeError, match="feed broke"):
        ingest(index, fake_embedder, documents())
    assert index.counts().sources == 0
