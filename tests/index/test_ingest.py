from __future__ import annotations

import json
import operator
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from numpy.typing import NDArray

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


def _article_lines(count: int) -> str:
    return "\n".join(
        json.dumps({"source_id": f"art{i:02d}", "text": f"Zin een over {i}. Zin twee over {i}. Zin drie over {i}."})
        for i in range(count)
    )


def test_iter_documents_hints_how_many_documents_to_expect(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "a.txt").write_text("Duizend soldaten gaan naar Roemenië.", encoding="utf-8")
    (corpus / "sub" / "b.md").write_text("Tweeduizend militairen.", encoding="utf-8")
    (corpus / "feed.jsonl").write_text(_article_lines(3) + "\n\n", encoding="utf-8")
    (corpus / "notes.pdf").write_bytes(b"%PDF")
    stream = iter_documents([corpus, tmp_path / "missing"], on_error=lambda error: None)
    assert operator.length_hint(stream) == 5
    next(stream)
    assert operator.length_hint(stream) == 4
    assert len(list(stream)) == 4


class _Bar:
    """Stands in for tqdm: records the total (an ETA needs it) and the count reached."""

    made: ClassVar[list[_Bar]] = []

    def __init__(self, *, total: int | None, disable: bool, **_: Any) -> None:
        self.total, self.n, self.postfix = total, 0, ""
        _Bar.made.append(self)

    def update(self, n: int) -> None:
        self.n += n

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfix = text

    def close(self) -> None:
        pass


def test_progress_counts_documents_against_the_expected_number(
    index_dir: Path, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("index.ingest.tqdm", _Bar)
    _Bar.made.clear()
    index = open_index(index_dir, fake_embedder)
    ingest(index, fake_embedder, iter_documents([SEEDS]), progress=True)
    ingest(index, fake_embedder, iter_documents([SEEDS]), progress=True)  # all unchanged: done work too
    first, second = _Bar.made
    assert (first.total, first.n) == (5, 5) and "sentences/s" in first.postfix
    assert (second.total, second.n) == (5, 5)


def test_an_interrupted_ingest_resumes_without_redoing_committed_documents(
    index_dir: Path, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("index.ingest.EMBED_BATCH", 4)
    monkeypatch.setattr("index.ingest.CHECKPOINT_SENTENCES", 10)
    feed = tmp_path / "feed.jsonl"
    feed.write_text(_article_lines(12), encoding="utf-8")

    class Interrupted(FakeEmbedder):
        def encode(self, texts: Sequence[str], *, batch_size: int = 256, progress: bool = False) -> NDArray[Any]:
            if self.calls == 4:
                raise KeyboardInterrupt
            return super().encode(texts, batch_size=batch_size, progress=progress)

    index = open_index(index_dir, fake_embedder)
    with pytest.raises(KeyboardInterrupt):
        ingest(index, Interrupted(), iter_documents([feed]))
    committed = {s.source_id for s in open_store(index_dir).sources()}
    assert 0 < len(committed) < 12

    report = ingest(open_index(index_dir, fake_embedder), fake_embedder, iter_documents([feed]))
    assert report.unchanged == len(committed) and report.added == 12 - len(committed)
    assert report.sentences == 3 * (12 - len(committed))  # only the documents not yet committed were embedded
    assert open_store(index_dir).counts().passages == 36
