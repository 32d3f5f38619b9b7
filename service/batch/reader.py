"""Reading the CSV files people actually export: any common delimiter, encoding or quoting, one row at a time.

A :class:`Table` is opened from a byte stream (a file, stdin, an HTTP upload).
Only a bounded sample is read up front, to choose the encoding and the dialect
and to look at the first rows; after that rows are parsed as they are needed,
so memory does not depend on the length of the file.

Decoding uses ``errors="surrogateescape"``. The whole stream goes through one
``TextIOWrapper``, so characters split across read chunks and quoted cells
spanning several lines need no care, and a byte that is not valid in the
chosen encoding becomes a lone surrogate (U+DC80-U+DCFF) instead of stopping
the read. The csv parser passes surrogates through like any character; each
parsed row is then checked for them, and such a row is reported as
undecodable while the rest of the file goes on. Splitting bytes into lines
ourselves and decoding each would break quoted multi-line cells, and
``errors="replace"`` would make a stray byte indistinguishable from a real
U+FFFD in the text.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from service.errors import InvalidInputError

SAMPLE_BYTES = 64 * 1024
# clevercsv's consistency measure grows with the sample: 32K characters take ~0.1 s.
DIALECT_SAMPLE_CHARS = 32 * 1024
SAMPLE_ROWS = 200
DELIMITERS = (",", ";", "\t", "|")
# A cell larger than this is a broken file (an unterminated quote swallowing the
# rest of it), not a claim: Excel itself stops at 32,767 characters per cell.
MAX_CELL_CHARS = 1 << 20

# Byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SURROGATES = re.compile("[\udc80-\udcff]+")
_UNPARSABLE = re.compile("[\x00\udc80-\udcff]")
_WORD = re.compile(r"[^\W\d_]{2,}")


class TableError(InvalidInputError):
    """A CSV file that cannot be read at all (no header, unknown encoding, ...)."""


@dataclass(frozen=True)
class RowProblem:
    """Why a row cannot be checked; ``kind`` is what the summary counts."""

    kind: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}" if self.detail else self.kind


@dataclass(frozen=True)
class InputRow:
    """One data row. ``number`` counts data rows from 1 (the header and blank lines are not
    counted); ``line`` is the file line it starts on. ``values`` has one cell per header column."""

    number: int
    line: int
    values: tuple[str, ...]
    problem: RowProblem | None = None


@dataclass(frozen=True)
class Encoding:
    codec: str  # a Python codec name
    bom: bool = False
    detected: bool = True  # False when the user named it
    doubt: str | None = None  # why detection may be wrong, naming --encoding; None when it is clear

    @property
    def label(self) -> str:
        name = codecs.lookup(self.codec).name
        return "utf-8" if name == "utf-8-sig" else name

    @property
    def is_utf8(self) -> bool:
        return self.label == "utf-8"


class Table:
    """A CSV file being read: its encoding, dialect and header; :meth:`rows` streams the rest once."""

    def __init__(
        self,
        stream: BinaryIO,
        *,
        name: str = "input",
        encoding: str | None = None,
        delimiter: str | None = None,
        total_bytes: int | None = None,
    ) -> None:
        """Detect the encoding and dialect on a sample and read the header.

        ``encoding`` and ``delimiter`` override detection (``--encoding``, ``--delimiter``).
        ``total_bytes`` (the file size, when known) only feeds progress reporting.
        """
        self.name = name
        self.total_bytes = total_bytes
        self.blank_lines = 0
        sample = _read_sample(stream)
        self.encoding = _named_encoding(encoding, sample) if encoding else detect_encoding(sample)
        text = _decode_sample(sample, self.encoding)
        whole = len(sample) < SAMPLE_BYTES
        self.delimiter, self.quotechar = _dialect(text, delimiter, whole=whole)

        self._replay = _Replay(sample, stream)
        wrapper = io.TextIOWrapper(
            io.BufferedReader(self._replay, buffer_size=SAMPLE_BYTES),
            encoding=self.encoding.codec,
            errors="surrogateescape",
            newline="",
        )
        # progress is what the parser has consumed, not what was read ahead of it
        self._chars = 0
        self._record_lines: list[str] = []  # the lines the parser took for the record it is reading
        self._bytes_per_char = len(sample) / len(text) if text else 1.0
        csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL_CHARS))
        self._reader = csv.reader(
            self._counted(wrapper), delimiter=self.delimiter, quotechar=self.quotechar, strict=False
        )
        self.header = self._read_header()
        self.sample = _sample_rows(text, self.delimiter, self.quotechar, len(self.header), whole=whole)
        self._started = False

    @property
    def bytes_read(self) -> int:
        """Bytes taken from the stream so far, read-ahead included."""
        return self._replay.count

    @property
    def bytes_parsed(self) -> int:
        """About how many bytes of the file the rows handed out so far took: progress for an ETA."""
        done = round(self._chars * self._bytes_per_char)
        return min(done, self.total_bytes) if self.total_bytes is not None else done

    def _counted(self, lines: Iterator[str]) -> Iterator[str]:
        for line in lines:
            self._chars += len(line)
            self._record_lines.append(line)
            yield line

    def rows(self) -> Iterator[InputRow]:
        """The data rows in file order; a row that cannot be read carries a :class:`RowProblem`."""
        if self._started:
            raise RuntimeError("a Table's rows can be read once")
        self._started = True
        width = len(self.header)
        number, line = 0, self._reader.line_num
        while True:
            start = line + 1
            self._record_lines.clear()
            try:
                fields = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:  # the reader goes on at the next line
                number, line = number + 1, self._reader.line_num
                oversized = self._oversized(number, start) if "field limit" in str(exc) else None
                if oversized is not None:
                    yield oversized
                    continue
                problem = RowProblem("malformed row", f"{exc} (an unterminated quote swallowing the lines after it?)")
                yield InputRow(number, start, ("",) * width, problem)
                continue
            line = self._reader.line_num
            if not fields:  # a blank line is not a row
                self.blank_lines += 1
                continue
            number += 1
            yield self._row(number, start, fields)

    def _oversized(self, number: int, line: int) -> InputRow | None:
        """A row the parser refused for a cell over MAX_CELL_CHARS, parsed again from the lines it took
        (already in memory) so that it keeps its id and its other cells; None if that fails too."""
        text = "".join(self._record_lines)
        limit = csv.field_size_limit(len(text) + 1)  # process-wide, so put back at once
        try:
            records = list(
                csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter, quotechar=self.quotechar)
            )
        except csv.Error:
            return None
        finally:
            csv.field_size_limit(limit)
        if len(records) != 1:
            return None
        (fields,) = records
        big = next(i for i, cell in enumerate(fields) if len(cell) > MAX_CELL_CHARS)
        column = repr(self.header[big]) if big < len(self.header) else f"{big + 1} (beyond the header)"
        row = self._row(number, line, fields)
        problem = RowProblem(
            "cell too large",
            f"column {column} holds {len(fields[big]):,} characters, over the {MAX_CELL_CHARS:,} a cell may have "
            "(Excel stops at 32,767)",
        )
        return InputRow(row.number, row.line, row.values, problem)

    def _read_header(self) -> tuple[str, ...]:
        for fields in self._reader:
            if any(f.strip() for f in fields):
                if any(_SURROGATES.search(f) for f in fields):
                    raise TableError(
                        f"the header of {self.name} is not valid {self.encoding.label}; "
                        "name the file's encoding with --encoding (cp1252, latin-1, ...)"
                    )
                # strip a BOM repeated inside the file, as concatenated exports have
                return tuple(f.strip().lstrip("\ufeff") for f in fields)
        raise TableError(f"{self.name} is empty: expected a header row with column names, then one row per claim")

    def _row(self, number: int, line: int, fields: Sequence[str]) -> InputRow:
        width = len(self.header)
        problem = None
        bad = next((i for i, f in enumerate(fields) if _SURROGATES.search(f)), None)
        if bad is not None:
            column = repr(self.header[bad]) if bad < width else f"{bad + 1} (beyond the header)"
            found = _SURROGATES.search(fields[bad])
            shown = " ".join(f"0x{ord(ch) - 0xDC00:02X}" for ch in found.group()[:4]) if found else ""
            hint = "; if the file is not UTF-8, name its encoding with --encoding" if self.encoding.is_utf8 else ""
            problem = RowProblem(
                "undecodable bytes",
                f"column {column} holds bytes that are not valid {self.encoding.label} ({shown}){hint}",
            )
            fields = [_SURROGATES.sub("\ufffd", f) for f in fields]
        if len(fields) > width:
            extra = fields[width:]
            if problem is None and any(cell.strip() for cell in extra):
                problem = RowProblem(
                    "malformed row",
                    f"{len(fields)} cells but the header has {width} (a {self.delimiter!r} inside an unquoted "
                    f"cell?); the cells beyond the header: {' | '.join(extra)}",
                )
            fields = fields[:width]
        return InputRow(number, line, (*fields, *("",) * (width - len(fields))), problem)


def detect_encoding(sample: bytes) -> Encoding:
    """The encoding of a file from its first bytes, and whether that is a guess (``Encoding.doubt``).

    A byte-order mark decides. Otherwise UTF-8 wins whenever the sample reads
    as UTF-8 (ASCII included), or nearly so: when valid multi-byte characters
    are at least as many as the invalid bytes, those bytes become row errors
    instead of every accented letter becoming mojibake.

    Then the code pages spreadsheets actually write are tried first: cp1252
    (Windows Excel in Western Europe), latin-1 and mac-roman (Excel for Mac),
    each read scored by how its non-ASCII characters sit in the words around
    them (see :func:`_oddness`). Only when none reads like Western European
    text is charset-normalizer asked, which knows every code page but, on a few
    accented names, picks look-alikes such as hp-roman8 or cp1006. When two
    readings are about as plausible and differ, or none is clean, the
    encoding carries a doubt that names ``--encoding``.
    """
    for bom, codec in _BOMS:
        if sample.startswith(bom):
            return Encoding(codec, bom=True)
    # final=False: a character cut at the end of the sample is not an error
    text = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape").decode(sample, final=False)
    invalid = sum(len(m.group()) for m in _SURROGATES.finditer(text))
    # a valid multi-byte sequence is rare by chance in legacy text: each one is evidence of UTF-8
    valid = sum(1 for ch in text if ch > "\x7f") - invalid
    if valid >= invalid:
        return Encoding("utf-8")

    readings = []  # (oddness, order, codec, text): the least odd first, in the order of preference on a tie
    for order, codec in enumerate(_WESTERN):
        try:
            decoded = sample.decode(codec)
        except UnicodeDecodeError:  # cp1252 leaves five bytes undefined
            continue
        readings.append((_oddness(decoded), order, codec, decoded))
    readings.sort()
    odd, _, codec, decoded = readings[0]
    if odd > _CLEAN or _foreign_script(decoded):
        # charset-normalizer's own choice first when two read equally well
        others = sorted((_oddness(t, any_script=True), i, c) for i, (c, t) in enumerate(_other_readings(sample)))
        if others and others[0][0] <= odd:
            other_odd, _, other = others[0]
            doubt = _doubt(other, "no encoding tried reads it cleanly") if other_odd > _CLEAN else None
            return Encoding(other, doubt=doubt)
    rivals = [c for o, _, c, t in readings[1:] if o - odd <= _MARGIN and t != decoded]
    if odd > _CLEAN:
        return Encoding(codec, doubt=_doubt(codec, "some accented characters read oddly in every encoding tried"))
    if rivals:
        return Encoding(codec, doubt=_doubt(codec, f"{_label(rivals[0])} reads it about as well"))
    return Encoding(codec)


# Code pages spreadsheets write, in order of preference when they read a sample equally well.
_WESTERN = ("cp1252", "latin-1", "mac_roman")
_CLEAN = 0.1  # share of odd non-ASCII characters under which a reading is taken without doubt
_MARGIN = 0.05
# Text with more non-ASCII letters than this share of its letters is not in a Western European
# language (even German has under one in ten): it is Greek, Cyrillic, ... in some other code page.
_FOREIGN_SHARE = 0.3
# Punctuation and symbols of Western European text that stand between words, not inside them.
_WORD_PUNCTUATION = frozenset("«»‹›“”„‚‘…–—•·°§€£¥¢©®™±×÷¿¡\xa0")


def _oddness(text: str, *, any_script: bool = False) -> float:
    """Share of the non-ASCII characters that sit oddly: a symbol or an uppercase letter inside a
    lowercase word ("RoemeniŠ", "prŽsident"), a control character, or a letter that is none of
    Western Europe's (unless ``any_script``). Right readings of accented names score 0; look-alike code
    pages rarely do."""
    count = odd = 0
    for i, ch in enumerate(text):
        if ch < "\x80":
            continue
        count += 1
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        category = unicodedata.category(ch)
        if category.startswith("C"):
            odd += 1
        elif category.startswith("L"):
            inside = before.isalpha()
            if ch.isupper() and inside and before.islower():
                odd += 1  # prŽsident
            elif not any_script and not _latin(ch):
                odd += 1
        elif ch == "’" and before.isalpha() and after.isalpha():
            continue  # l’État, don’t
        elif ch not in _WORD_PUNCTUATION or (before.isalpha() and after.isalpha()):
            odd += 1  # Roemeni³ (cp1250's ł read as cp1252), or a quote inside a word
    return odd / count if count else 0.0


def _latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN")


def _foreign_script(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    beyond = sum(1 for ch in letters if ch > "\x7f")
    return bool(letters) and beyond / len(letters) > _FOREIGN_SHARE


def _other_readings(sample: bytes) -> list[tuple[str, str]]:
    """(codec, text) for charset-normalizer's best guess over every code page, and for cp1250 (Central
    European Excel), which it often takes for cp1252 on a few names."""
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    readings = [(best.encoding, str(best))] if best is not None else []
    with contextlib.suppress(UnicodeDecodeError):
        readings.append(("cp1250", sample.decode("cp1250")))
    return readings


def _label(codec: str) -> str:
    return codecs.lookup(codec).name


def _doubt(codec: str, why: str) -> str:
    return (
        f"not sure it is {_label(codec)}: {why}. If names or accents look wrong in the output, "
        "name the file's encoding with --encoding (cp1252, mac-roman, latin-1, ...)"
    )


def is_free_text(value: str) -> bool:
    """A cell that reads like a sentence: three words or more (not a date, number, name or URL)."""
    return "://" not in value and len(_WORD.findall(value)) >= 3


def _named_encoding(name: str, sample: bytes) -> Encoding:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise TableError(f"unknown encoding {name!r} (try utf-8, cp1252 or latin-1)") from None
    if codec == "utf-8" and sample.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8-sig", bom=True, detected=False)
    return Encoding(codec, detected=False)


def _decode_sample(sample: bytes, encoding: Encoding) -> str:
    decoder = codecs.getincrementaldecoder(encoding.codec)(errors="surrogateescape")
    try:
        return decoder.decode(sample, final=False)
    except UnicodeDecodeError as exc:  # UTF-16 and UTF-32 cannot escape every bad byte
        raise TableError(f"the file is not valid {encoding.label}: {exc.reason} at byte {exc.start}") from None


def _complete_lines(text: str, *, whole: bool) -> str:
    """The sample up to its last line break: a row cut by the sample's end says nothing reliable."""
    if whole:
        return text
    cut = max(text.rfind("\n"), text.rfind("\r"))
    return text[: cut + 1] if cut > 0 else text


def _dialect(text: str, delimiter: str | None, *, whole: bool) -> tuple[str, str]:
    """(delimiter, quote character): as given, or detected by clevercsv on the sample."""
    if delimiter is not None:
        delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter.lower(), delimiter)
        if len(delimiter) != 1 or delimiter in '"\r\n':
            raise TableError(f"the delimiter must be one character, got {delimiter!r}")
        return delimiter, '"'
    short = len(text) > DIALECT_SAMPLE_CHARS
    text = _complete_lines(text[:DIALECT_SAMPLE_CHARS], whole=whole and not short)
    if not text.strip():
        return ",", '"'
    from clevercsv import Detector

    # clevercsv cannot take the surrogates standing for undecodable bytes, nor a NUL (its C parser stops
    # there); neither is ever a delimiter
    found = Detector().detect(_UNPARSABLE.sub("\ufffd", text), delimiters=list(DELIMITERS))
    # one column: no delimiter to find
    delim = found.delimiter if found is not None and found.delimiter else ","
    # no quotes in the sample does not mean none later on; Excel always quotes with '"'
    quote = found.quotechar if found is not None and found.quotechar else '"'
    return delim, quote


def _read_sample(stream: BinaryIO) -> bytes:
    chunks, size = [], 0
    while size < SAMPLE_BYTES:
        chunk = stream.read(SAMPLE_BYTES - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _sample_rows(text: str, delimiter: str, quote: str, width: int, *, whole: bool) -> list[tuple[str, ...]]:
    """The first data rows of the sample, to choose the claim column from."""
    reader = csv.reader(
        io.StringIO(_complete_lines(text, whole=whole), newline=""), delimiter=delimiter, quotechar=quote
    )
    rows: list[tuple[str, ...]] = []
    try:
        header_seen = False
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            if header_seen:
                rows.append((*fields[:width], *("",) * (width - len(fields))))
            header_seen = True
            if len(rows) >= SAMPLE_ROWS:
                break
    except csv.Error:
        pass
    return rows


class _Replay(io.RawIOBase):
    """The sample already read, then the rest of the stream; counts the bytes handed on."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        if self._head.nbytes:
            n = min(len(view), self._head.nbytes)
            view[:n] = self._head[:n]
            self._head = self._head[n:]
        else:
            data = self._rest.read(len(view))
            n = len(data)
            view[:n] = data
        self.count += n
        return n
