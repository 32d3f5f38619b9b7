"""Turning files into documents: plain text, Markdown, HTML and JSON Lines.

Every loader returns the article body as ``Document.text``; sentence offsets
stored in the index point into that text, so a passage can always be cut back
out of its document. Metadata a file carries (a leading ``date YYYY-MM`` line,
Markdown front matter, HTML meta tags) moves into fields and out of the text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from index.errors import DocumentError
from index.language import detect_language

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".text"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
MANIFEST_NAME = "manifest.json"

_SOURCE_ID = re.compile(r"[^\x00-\x1f/\\\ud800-\udfff]{1,200}")
# Characters no text field may hold: NUL (binary data; C libraries cut strings there) and lone
# surrogates, which are not text at all (a JSON "\ud800", or bytes decoded with surrogateescape) and
# which nothing downstream can encode: the language detector, SQLite and the JSON answer all failed on them.
_UNUSABLE = re.compile("[\x00\ud800-\udfff]")
_PUBLISHED = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
# " date 2022-02 De Verenigde Staten ...": the scraper's date stamp before the body.
_DATE_LINE = re.compile(r"\A\s*date[ \t]+(\d{4}(?:-\d{2}(?:-\d{2})?)?)\b[ \t]*(?:\r?\n)?")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)

ErrorHandler = Callable[[DocumentError], None]


@dataclass(frozen=True)
class Document:
    """One article: the unit a source id names, replaced or deleted as a whole."""

    source_id: str
    text: str
    title: str | None = None
    url: str | None = None
    published: str | None = None
    language: str | None = None
    path: str | None = None

    def __post_init__(self) -> None:
        for name in ("source_id", "text", "title", "url"):
            value = getattr(self, name)
            problem = unusable_character(value) if isinstance(value, str) else None
            if problem:
                raise DocumentError(f"the document's {name} {problem}", field=name)
        if not isinstance(self.source_id, str) or not _SOURCE_ID.fullmatch(self.source_id):
            raise DocumentError(
                f"invalid source_id {self.source_id!r}: 1-200 characters, no slashes or control characters"
            )
        if not isinstance(self.text, str) or not self.text.strip():
            raise DocumentError(f"document {self.source_id!r} has no text")
        if self.published is not None:
            object.__setattr__(self, "published", normalize_published(self.published))

    @property
    def content_hash(self) -> str:
        """Identity of what is indexed: re-ingesting an unchanged document is a no-op."""
        payload = {k: v for k, v in asdict(self).items() if k != "path"}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def with_language(self) -> Document:
        """The document with its language filled in by detection when none was given."""
        if self.language:
            return self
        return replace(self, language=detect_language(self.text))


def unusable_character(text: str) -> str | None:
    """Why ``text`` cannot be analysed or stored, or None: the first NUL or lone surrogate, named and placed.

    Every front door refuses such text with this reason (the API with a 422 naming the field) rather than
    cleaning it, so what is checked or stored is always what was sent.
    """
    found = _UNUSABLE.search(text)
    if found is None:
        return None
    where = f"at character {found.start() + 1:,}"
    if found.group() == "\x00":
        return f"holds a NUL character {where} (binary data, or UTF-16 read as UTF-8?)"
    return (
        f"holds a lone surrogate U+{ord(found.group()):04X} {where}, which is not text "
        "(bytes that are not valid UTF-8, or a broken \\u escape)"
    )


def normalize_published(value: str) -> str:
    """ISO date at the precision given: ``2022``, ``2022-02`` or ``2022-02-03``.

    Full timestamps keep their date part; anything else is rejected rather than
    guessed, because dates decide which evidence counts.
    """
    match = _PUBLISHED.match(value.strip())
    if not match or (len(value.strip()) > 10 and value.strip()[10] not in "T "):
        raise DocumentError(f"published must be an ISO date like 2022-02-03 or 2022-02, got {value!r}")
    year, month, day = match.groups()
    if month and not 1 <= int(month) <= 12:
        raise DocumentError(f"published has an invalid month: {value!r}")
    if day and not 1 <= int(day) <= 31:
        raise DocumentError(f"published has an invalid day: {value!r}")
    return "-".join(part for part in (year, month, day) if part)


def split_date_line(text: str) -> tuple[str | None, str]:
    """Take a leading ``date YYYY-MM`` stamp off the body: it is metadata, not a sentence."""
    match = _DATE_LINE.match(text)
    if not match:
        return None, text
    return match.group(1), text[match.end() :]


def read_text_file(path: Path) -> str:
    """Decode a text file; UTF-8 (with or without BOM) first, else the detected encoding."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise DocumentError(f"{path}: not a text file (could not determine its encoding)")
    log.warning("%s is not UTF-8; decoded it as %s", path, best.encoding)
    return str(best)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            fields[key.strip().lower()] = value.strip().strip("'\"")
    return fields, text[match.end() :]


def load_text(path: Path, meta: Mapping[str, Any] | None = None) -> Document:
    """A .txt or .md article; the file stem is the source id."""
    text = read_text_file(path)
    fields: dict[str, Any] = {}
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        front, text = _front_matter(text)
        fields.update({k: v for k, v in front.items() if k in {"title", "url", "published", "language"}})
        if "date" in front and "published" not in fields:
            fields["published"] = front["date"]
    date, text = split_date_line(text)
    if date and "published" not in fields:
        fields["published"] = date
    fields.update(meta or {})
    return _document(path, text, fields)


def load_html(path: Path, meta: Mapping[str, Any] | None = None) -> Document:
    """An HTML page: trafilatura extracts the article body and its metadata."""
    body, fields = parse_html(read_text_file(path), where=str(path))
    fields.update(meta or {})
    return _document(path, body, fields)


def parse_html(html: str, *, where: str = "the page") -> tuple[str, dict[str, Any]]:
    """The article body of an HTML page and the metadata it declares (title, url, published, language)."""
    import trafilatura

    problem = unusable_character(html)
    if problem:  # lxml would fail on it, or cut the page at a NUL
        raise DocumentError(f"{where}: the page {problem}", field="html")
    body = trafilatura.extract(
        html, output_format="txt", include_comments=False, include_tables=False, favor_precision=True
    )
    if not body or not body.strip():
        raise DocumentError(f"{where}: no article text found in the HTML")
    fields: dict[str, Any] = {}
    info = trafilatura.extract_metadata(html)
    if info is not None:
        fields = {"title": info.title, "url": info.url, "published": info.date}
        fields = {k: v for k, v in fields.items() if v}
    lang = re.search(r"<html[^>]*\blang=[\"']?([a-zA-Z]{2})", html[:5000])
    if lang:
        fields["language"] = lang.group(1).lower()
    return body, fields


def load_jsonl(path: Path, on_error: ErrorHandler) -> Iterator[Document]:
    """One document per line: ``text`` and ``source_id`` required, metadata optional."""
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                on_error(DocumentError(f"{where}: not valid JSON ({exc.msg})"))
                continue
            if not isinstance(record, dict):
                on_error(DocumentError(f"{where}: expected a JSON object"))
                continue
            missing = [key for key in ("text", "source_id") if not record.get(key)]
            if missing:
                on_error(DocumentError(f"{where}: missing {' and '.join(missing)}"))
                continue
            try:
                yield Document(
                    source_id=str(record["source_id"]),
                    text=str(record["text"]),
                    title=record.get("title"),
                    url=record.get("url"),
                    published=record.get("published"),
                    language=record.get("language"),
                    path=where,
                )
            except DocumentError as exc:
                on_error(DocumentError(f"{where}: {exc}"))


def _document(path: Path, text: str, fields: Mapping[str, Any]) -> Document:
    known = {"source_id", "title", "url", "published", "language"}
    kwargs = {k: v for k, v in fields.items() if k in known and v not in (None, "")}
    kwargs.setdefault("source_id", path.stem)
    try:
        return Document(text=text, path=str(path), **kwargs)
    except DocumentError as exc:
        raise DocumentError(f"{path}: {exc}") from None


def read_manifest(directory: Path) -> dict[str, dict[str, Any]]:
    """Per-source metadata kept beside the files: ``{"sources": {stem: {...}}}``."""
    path = directory / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        sources = data["sources"]
        if not isinstance(sources, dict):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DocumentError(f"{path}: expected {{'sources': {{stem: metadata}}}} ({exc})") from None
    return {str(k): dict(v) for k, v in sources.items()}


def _walk(path: Path, exclude: frozenset[Path] = frozenset()) -> Iterator[Path]:
    if path.is_dir():
        if path.resolve() in exclude:
            return
        for child in sorted(path.iterdir()):
            if child.name.startswith(".") or child.name == MANIFEST_NAME:
                continue
            yield from _walk(child, exclude)
    else:
        yield path


class DocumentStream(Iterator[Document]):
    """What :func:`iter_documents` returns: its documents, read one at a time, and through
    ``operator.length_hint`` how many to expect, so ingest's progress bar can show an ETA.

    The hint is counted on first ask by walking the paths again (a file is one document; a
    JSON Lines file, its non-blank lines, read line by line), which costs far less than the
    embedding it estimates, and keeps memory flat however large the corpus.
    """

    def __init__(
        self, paths: Iterable[str | Path], on_error: ErrorHandler | None, exclude: Iterable[str | Path]
    ) -> None:
        self._paths = [Path(p) for p in paths]
        self._skipped = frozenset(Path(p).resolve() for p in exclude)
        self._documents = _documents(self._paths, on_error or _raise, self._skipped)
        self._yielded = 0
        self._expected: int | None = None

    def __iter__(self) -> DocumentStream:
        return self

    def __next__(self) -> Document:
        document = next(self._documents)
        self._yielded += 1
        return document

    def __length_hint__(self) -> int:
        """Documents still to come (an estimate: unreadable files and bad lines count)."""
        if self._expected is None:
            self._expected = sum(
                _expected_documents(path) for root in self._paths for path in _walk(root, self._skipped)
            )
        return max(self._expected - self._yielded, 0)


def _expected_documents(path: Path) -> int:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES or not path.is_file():
        return 0
    if suffix not in JSONL_SUFFIXES:
        return 1
    try:
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    except OSError:
        return 0


def iter_documents(
    paths: Iterable[str | Path], on_error: ErrorHandler | None = None, *, exclude: Iterable[str | Path] = ()
) -> DocumentStream:
    """Documents from files and directories (walked recursively, in name order).

    A file that cannot be read is reported to ``on_error`` and skipped, so one
    bad file never stops the rest of a corpus from being ingested. Directories in
    ``exclude`` are not walked (the index itself, when it lives inside the corpus).
    """
    return DocumentStream(paths, on_error, exclude)


def _documents(paths: Iterable[Path], report: ErrorHandler, skipped: frozenset[Path]) -> Iterator[Document]:
    manifests: dict[Path, dict[str, dict[str, Any]]] = {}
    for root in paths:
        if not root.exists():
            report(DocumentError(f"{root}: no such file or directory"))
            continue
        for path in _walk(root, skipped):
            suffix = path.suffix.lower()
            if suffix not in SUPPORTED_SUFFIXES:
                report(
                    DocumentError(
                        f"{path}: unsupported file type {suffix or '(none)'!r}; "
                        f"supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}"
                    )
                )
                continue
            if not path.is_file():  # a FIFO or device would block the read forever, or never end
                report(DocumentError(f"{path}: not a regular file ({_kind(path)}); skipped"))
                continue
            if path.parent not in manifests:
                try:
                    manifests[path.parent] = read_manifest(path.parent)
                except DocumentError as exc:
                    report(exc)
                    manifests[path.parent] = {}
            meta = manifests[path.parent].get(path.stem)
            try:
                if suffix in JSONL_SUFFIXES:
                    yield from load_jsonl(path, report)
                elif suffix in HTML_SUFFIXES:
                    yield load_html(path, meta)
                else:
                    yield load_text(path, meta)
            except DocumentError as exc:
                report(exc)
            except (OSError, UnicodeError) as exc:
                report(DocumentError(f"{path}: cannot read ({exc.__class__.__name__}: {exc})"))


def _kind(path: Path) -> str:
    """What a path that is not a regular file is, for the message that names it."""
    for test, kind in (
        (path.is_fifo, "a named pipe"),
        (path.is_socket, "a socket"),
        (path.is_char_device, "a character device"),
        (path.is_block_device, "a block device"),
    ):
        if test():
            return kind
    return "a broken link" if path.is_symlink() else "not a file"


def _raise(error: DocumentError) -> None:
    raise error
