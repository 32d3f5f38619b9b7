from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from index.documents import Document, iter_documents, normalize_published, split_date_line
from index.errors import DocumentError
from index.sentences import split_sentences
from tests.conftest import SEEDS


def collect(paths: list[Path]) -> tuple[list[Document], list[str]]:
    errors: list[str] = []
    docs = list(iter_documents(paths, on_error=lambda e: errors.append(str(e))))
    return docs, errors


def test_seed_date_line_becomes_metadata_not_a_sentence() -> None:
    docs, errors = collect([SEEDS])
    assert not errors
    by_id = {d.source_id: d for d in docs}
    assert set(by_id) == {p.stem for p in SEEDS.glob("*.txt")}
    first = by_id["000_64af60602162f07a"]
    assert first.published == "2022-02"
    assert first.language == "nl"
    assert first.title
    assert not first.text.lstrip().startswith("date")
    assert split_sentences(first.text, "nl")[0].text.startswith("De Verenigde Staten sturen")
    # 002 has no date line: nothing invented
    assert by_id["002_31380c5700cbb35e"].published is None


def test_manifest_agrees_with_the_date_lines() -> None:
    manifest = json.loads((SEEDS / "manifest.json").read_text())["sources"]
    for path in SEEDS.glob("*.txt"):
        date, _ = split_date_line(path.read_text(encoding="utf-8"))
        assert manifest[path.stem]["published"] == date
        assert manifest[path.stem]["language"] == "nl"


def test_date_line_variants() -> None:
    assert split_date_line(" date 2022-02 De VS") == ("2022-02", "De VS")
    assert split_date_line("date 2022-02-03\nTekst") == ("2022-02-03", "Tekst")
    assert split_date_line("De date 2022-02 staat niet vooraan") == (None, "De date 2022-02 staat niet vooraan")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2022", "2022"), ("2022-02", "2022-02"), ("2022-02-03", "2022-02-03"), ("2022-02-03T10:00:00Z", "2022-02-03")],
)
def test_published_normalisation(value: str, expected: str) -> None:
    assert normalize_published(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "2022-13", "02-2022", "2022-02-03abc"])
def test_bad_published_is_rejected(value: str) -> None:
    with pytest.raises(DocumentError, match="published"):
        normalize_published(value)


def test_markdown_front_matter(tmp_path: Path) -> None:
    (tmp_path / "note.md").write_text(
        "---\ntitle: Troepen naar Roemenië\ndate: 2022-02-03\nlanguage: nl\n---\n# Kop\n\nDuizend soldaten gaan.\n",
        encoding="utf-8",
    )
    (doc,), errors = collect([tmp_path])
    assert not errors
    assert (doc.source_id, doc.title, doc.published, doc.language) == (
        "note",
        "Troepen naar Roemenië",
        "2022-02-03",
        "nl",
    )
    assert [s.text for s in split_sentences(doc.text, "nl")] == ["Kop", "Duizend soldaten gaan."]


def test_html_article_is_extracted_with_metadata(tmp_path: Path) -> None:
    paragraphs = "".join(
        f"<p>Paragraaf {i}: duizend soldaten die al in Duitsland zijn, worden naar Roemenië gestuurd "
        "volgens het Pentagon, dat dit dinsdag tijdens een persconferentie bevestigde.</p>"
        for i in range(6)
    )
    html = f"""<!doctype html><html lang="nl"><head><title>Troepen naar Roemenië</title>
    <meta property="article:published_time" content="2022-02-02T10:00:00Z"></head>
    <body><nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>
    <article><h1>Troepen naar Roemenië</h1>{paragraphs}</article>
    <footer>Cookie-instellingen · Privacy</footer></body></html>"""
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    (doc,), errors = collect([tmp_path / "page.html"])
    assert not errors
    assert doc.source_id == "page"
    assert doc.language == "nl"
    assert doc.published == "2022-02-02"
    assert "Roemenië gestuurd" in doc.text
    assert "Cookie" not in doc.text and "Sport" not in doc.text


def test_jsonl_records_and_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"source_id": "a", "text": "Duizend soldaten gaan naar Roemenië.", "published": "2022-02"}),
        "{not json",
        json.dumps({"source_id": "b"}),
        json.dumps(["not", "an", "object"]),
        "",
        json.dumps({"source_id": "c", "text": "Tweeduizend militairen.", "title": "C", "url": "https://x.test/c"}),
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines), encoding="utf-8")
    docs, errors = collect([tmp_path / "feed.jsonl"])
    assert [d.source_id for d in docs] == ["a", "c"]
    assert docs[1].url == "https://x.test/c"
    assert len(errors) == 3
    assert all("feed.jsonl:" in e for e in errors)
    assert any(":2:" in e and "JSON" in e for e in errors)
    assert any(":3:" in e and "missing text" in e for e in errors)


def test_unknown_and_unreadable_files_are_named_and_the_rest_ingested(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Duizend soldaten gaan naar Roemenië.", encoding="utf-8")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4 binary")
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    nested = tmp_path / "more"
    nested.mkdir()
    (nested / "legacy.txt").write_bytes("Militairen naar Roemenië, zegt de woordvoerder van België.".encode("cp1252"))
    docs, errors = collect([tmp_path, tmp_path / "missing.txt"])
    assert sorted(d.source_id for d in docs) == ["good", "legacy"]
    legacy = next(d for d in docs if d.source_id == "legacy")
    assert "België" in legacy.text  # decoded from cp1252, not mangled
    assert any("scan.pdf" in e and "unsupported file type" in e for e in errors)
    assert any("empty.txt" in e and "no text" in e for e in errors)
    assert any("missing.txt" in e and "no such file" in e for e in errors)


def test_a_named_pipe_or_other_non_regular_file_is_skipped_not_read(tmp_path: Path) -> None:
    """Opening a FIFO waits for a writer forever: one named .txt hung `crosscheck ingest`. It is named and skipped,
    given by itself or met while walking a directory, and the files beside it load."""
    (tmp_path / "good.txt").write_text("Duizend soldaten gaan naar Roemenië.", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "gone.md")
    outcome: list[tuple[list[Document], list[str]]] = []
    # in a thread with a deadline: on the old code the read blocked and the test would hang with it
    reader = threading.Thread(target=lambda: outcome.append(collect([tmp_path, tmp_path / "pipe.txt"])), daemon=True)
    reader.start()
    reader.join(timeout=30)
    if reader.is_alive():
        with (tmp_path / "pipe.txt").open("w"):  # let the blocked open return so the thread can end
            pass
        pytest.fail("reading a directory with a named pipe in it blocked")
    docs, errors = outcome[0]
    assert [d.source_id for d in docs] == ["good"]
    assert sum("pipe.txt: not a regular file (a named pipe); skipped" in e for e in errors) == 2
    assert any("dangling.md: not a regular file (a broken link)" in e for e in errors)


def test_a_broken_manifest_is_reported_once_and_files_still_load(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{broken", encoding="utf-8")
    for name in ("a", "b"):
        (tmp_path / f"{name}.txt").write_text("Duizend soldaten gaan naar Roemenië.", encoding="utf-8")
    docs, errors = collect([tmp_path])
    assert [d.source_id for d in docs] == ["a", "b"]
    assert len(errors) == 1 and "manifest.json" in errors[0]


def test_invalid_source_ids_are_refused() -> None:
    with pytest.raises(DocumentError, match="source_id"):
        Document(source_id="a/b", text="x")
    with pytest.raises(DocumentError, match="no text"):
        Document(source_id="a", text="  ")


def test_content_hash_ignores_the_path_but_not_the_text() -> None:
    a = Document("s", "Tekst een.", path="/x/s.txt")
    assert a.content_hash == Document("s", "Tekst een.", path="/y/s.txt").content_hash
    assert a.content_hash != Document("s", "Tekst twee.").content_hash
    assert a.content_hash != Document("s", "Tekst een.", published="2022").content_hash
