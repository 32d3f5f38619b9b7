"""Batch output: the input's rows with verdicts added, as CSV for people or JSON Lines for programs.

Both formats are written a row at a time and carry the input row number, so
an interrupted run leaves a valid file that :meth:`OutputFormat.resume_point`
can read back: it checks every finished row against the input, drops a last
row cut off mid-write, and says where to continue.

CSV choices, for the people who open the file in a spreadsheet:

- the input's delimiter and quote character, so a semicolon file from Dutch or
  Belgian Excel opens in columns again;
- UTF-8 always, with a byte-order mark when the input had one or was in a
  legacy code page (both mean Excel), since Excel reads BOM-less UTF-8 as
  cp1252 and garbles "België";
- decimal commas in the score columns when the delimiter is a semicolon (the
  reason such files use semicolons), decimal points otherwise;
- every cell a spreadsheet would take for a formula (one starting with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return, other than a plain number)
  gets a leading ``'``, as OWASP's CSV-injection advice has it: the user's own
  cells, and the passages and ids quoted from the sources, whose authors could
  plant one. The spreadsheet shows the text and runs nothing.
  ``keep_formulas`` (``--keep-formulas``, ``CROSSCHECK_KEEP_FORMULAS``) writes
  cells exactly, for programs; JSON Lines output is always exact.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO, Literal

from pydantic import BaseModel, Field

from service.batch.core import Outcome, Summary
from service.batch.reader import InputRow, Table, TableError
from service.errors import InvalidInputError
from service.schemas import PassageVerdict, VerificationResult

Format = Literal["csv", "jsonl"]

ADDED_COLUMNS = (
    "row",
    "verdict",
    "confidence",
    "sources",
    "independent",
    "best_support_source",
    "best_support_score",
    "best_support_passage",
    "best_conflict_source",
    "best_conflict_score",
    "best_conflict_passage",
    "error",
)
ADDED_PREFIX = "crosscheck_"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# "-5", "+3.5", "-1.000,5": a sign and digits, which a spreadsheet reads as the number it is
_SIGNED_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")
_SURROGATE = re.compile("[\udc80-\udcff]")


class OutputMismatchError(InvalidInputError):
    """An existing output that is not a partial run over this input (``--resume`` refuses it)."""


class BatchRow(BaseModel):
    """One line of ``.jsonl`` batch output (and one item of the HTTP batch response)."""

    row: int = Field(description="Position of the row: data rows of the CSV counted from 1, header excluded")
    id: str = Field(description="The --id-column cell, else the row number")
    input: dict[str, str] | None = Field(
        default=None, description="The row's original cells by column name (CSV input only)"
    )
    result: VerificationResult | None = Field(description="The verification, as `crosscheck check --json` gives it")
    error: str | None = Field(description="Why the row was not checked: 'empty claim', 'claim too long: ...', ...")

    @classmethod
    def from_outcome(cls, outcome: Outcome, names: Sequence[str] | None = None) -> BatchRow:
        cells = dict(zip(names, outcome.row.values, strict=True)) if names is not None else None
        return cls(row=outcome.row.number, id=outcome.id, input=cells, result=outcome.result, error=outcome.error)


def unique_names(header: Sequence[str]) -> list[str]:
    """Column names usable as JSON keys: an empty name becomes ``column_N``, a repeated one ``name_2``."""
    used: set[str] = set()
    names = []
    for i, name in enumerate(header, start=1):
        base = name or f"column_{i}"
        candidate, k = base, 1
        while candidate in used:
            k += 1
            candidate = f"{base}_{k}"
        used.add(candidate)
        names.append(candidate)
    return names


def format_for(path: str | None, given: str | None) -> Format:
    """``--format`` if given, else from the output file's extension (CSV for stdout)."""
    if given is not None:
        return "jsonl" if given == "jsonl" else "csv"
    if path is None:
        return "csv"
    suffix = path.lower().rsplit(".", 1)[-1] if "." in path else ""
    if suffix in {"jsonl", "ndjson"}:
        return "jsonl"
    if suffix in {"csv", "tsv", "txt"}:
        return "csv"
    raise InvalidInputError(f"cannot tell the output format from {path!r}: name it .csv or .jsonl, or use --format")


class OutputFormat:
    """How outcomes become bytes, and how a file written that way is read back for ``--resume``."""

    name: Format

    def __init__(self, header: Sequence[str]) -> None:
        self.input_header = tuple(header)

    def preamble(self) -> bytes:
        """What goes before the first row (a BOM, a header line)."""
        return b""

    def render(self, outcomes: Sequence[Outcome]) -> bytes:
        raise NotImplementedError

    def resume_point(self, data: BinaryIO, rows: Iterator[InputRow], summary: Summary) -> int:
        """The byte offset after the last finished row of ``data``.

        Every finished row is checked against the next input row from ``rows``
        (consuming it) and counted into ``summary``; a last row cut off
        mid-write is not finished. Raises :class:`OutputMismatchError` when the
        file is not a partial run over this input. 0 means start afresh.
        """
        raise NotImplementedError


class CsvOutput(OutputFormat):
    name: Format = "csv"

    def __init__(
        self,
        header: Sequence[str],
        *,
        delimiter: str = ",",
        quotechar: str = '"',
        bom: bool = False,
        keep_formulas: bool = False,
    ) -> None:
        super().__init__(header)
        self.keep_formulas = keep_formulas
        self.delimiter, self.quotechar, self.bom = delimiter, quotechar, bom
        self.decimal_comma = delimiter == ";"
        taken = {h.casefold() for h in header}
        prefix = ADDED_PREFIX if taken & set(ADDED_COLUMNS) else ""
        self.added = tuple(prefix + name for name in ADDED_COLUMNS)
        if taken & {name.casefold() for name in self.added}:
            clash = ", ".join(sorted(taken & {a.casefold() for a in self.added}))
            raise TableError(f"the input already has the columns crosscheck adds ({clash}): is it a batch output?")
        self.header = (*self.input_header, *self.added)
        self._buffer = io.StringIO()
        self._writer = csv.writer(
            self._buffer, delimiter=delimiter, quotechar=quotechar, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL
        )

    @classmethod
    def like(cls, table: Table, *, keep_formulas: bool = False) -> CsvOutput:
        """Output in the input's dialect; a BOM when the input had one or was in a legacy code page."""
        bom = table.encoding.bom or not table.encoding.is_utf8
        return cls(
            table.header, delimiter=table.delimiter, quotechar=table.quotechar, bom=bom, keep_formulas=keep_formulas
        )

    def preamble(self) -> bytes:
        return (codecs.BOM_UTF8 if self.bom else b"") + self._encode([self.shown(self.header)])

    def render(self, outcomes: Sequence[Outcome]) -> bytes:
        return self._encode([self.cells(o) for o in outcomes])

    def cells(self, outcome: Outcome) -> list[str]:
        added = [str(outcome.row.number)]
        result = outcome.result
        if result is None:
            added += [""] * (len(ADDED_COLUMNS) - 2)
        else:
            added += [result.verdict, self._number(result.confidence), _sources_cell(result), _independent(result)]
            for stance in ("supports", "conflicts"):
                best = best_passage(result, stance)
                if best is None:
                    added += ["", "", ""]
                else:
                    source, passage = best
                    added += [source, self._number(passage.score), passage.text]
        added.append(" ".join((outcome.error or "").split()))
        return self.shown([*outcome.row.values, *added])

    def shown(self, cells: Sequence[str]) -> list[str]:
        """The cells as written: formulas neutralised unless ``keep_formulas``."""
        return list(cells) if self.keep_formulas else [neutralise_formula(cell) for cell in cells]

    def resume_point(self, data: BinaryIO, rows: Iterator[InputRow], summary: Summary) -> int:
        start = len(codecs.BOM_UTF8) if data.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8 else 0
        data.seek(start)
        lines = _Lines(data, start)
        reader = csv.reader(lines, delimiter=self.delimiter, quotechar=self.quotechar, strict=True)
        width, n_input = len(self.header), len(self.input_header)
        records = _records(reader, lines, data)
        header = next(records, None)
        if header is None:
            return 0  # empty, or killed while writing the header
        if tuple(header) != tuple(self.shown(self.header)):
            raise OutputMismatchError(
                f"it has other columns than crosscheck writes for this input (found {_brief(header)}, "
                f"expected {_brief(self.header)})"
            )
        good = lines.offset
        for record in records:
            if len(record) != width:
                raise OutputMismatchError(f"row {summary.rows + 1} has {len(record)} cells, expected {width}")
            row = next(rows, None)
            if row is None:
                raise OutputMismatchError("it has more rows than the input")
            number, values = record[n_input], tuple(record[:n_input])
            _same_row(row, number, values, self.shown(row.values))
            summary.add(record[n_input + 1] or None, record[-1] or None)
            good = lines.offset
        return good

    def _encode(self, rows: Sequence[Sequence[str]]) -> bytes:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerows(rows)
        return self._buffer.getvalue().encode("utf-8", errors="replace")

    def _number(self, value: float) -> str:
        text = f"{value:.3f}"
        return text.replace(".", ",") if self.decimal_comma else text


class JsonlOutput(OutputFormat):
    """One :class:`BatchRow` per line, UTF-8, the full result contract in ``result``."""

    name: Format = "jsonl"

    def __init__(self, header: Sequence[str]) -> None:
        super().__init__(header)
        self.names = unique_names(header)

    def render(self, outcomes: Sequence[Outcome]) -> bytes:
        return b"".join(self.line(o) for o in outcomes)

    def line(self, outcome: Outcome) -> bytes:
        return BatchRow.from_outcome(outcome, self.names).model_dump_json().encode() + b"\n"

    def resume_point(self, data: BinaryIO, rows: Iterator[InputRow], summary: Summary) -> int:
        good = 0
        for raw in data:
            if not raw.endswith(b"\n"):
                break  # the last line, cut off mid-write
            try:
                item = json.loads(raw)
                number, cells = item["row"], item["input"]
                verdict = (item["result"] or {}).get("verdict")
                error = item["error"]
            except (ValueError, KeyError, TypeError, AttributeError):
                raise OutputMismatchError(f"line {summary.rows + 1} is not a crosscheck batch row") from None
            if not isinstance(cells, dict) or list(cells) != self.names:
                raise OutputMismatchError(
                    f"its rows have other columns than this input (found {_brief(list(cells or ()))}, "
                    f"expected {_brief(self.names)})"
                )
            row = next(rows, None)
            if row is None:
                raise OutputMismatchError("it has more rows than the input")
            _same_row(row, str(number), tuple(cells.values()))
            summary.add(verdict, error)
            good += len(raw)
        return good


def best_passage(result: VerificationResult, stance: str) -> tuple[str, PassageVerdict] | None:
    """The strongest passage with this stance over all sources: (source id, passage)."""
    found = [(s.source_id, p) for s in result.sources for p in s.passages if p.stance == stance]
    return max(found, key=lambda sp: (sp[1].score, sp[1].similarity)) if found else None


def _sources_cell(result: VerificationResult) -> str:
    """``id:stance`` per source, ``;`` between sources; a third field names the sources it shares reporting
    with (story families), ``/`` between relations, so ``id:stance`` still splits as before."""
    return ";".join(
        f"{s.source_id}:{s.stance}" + (f":{r}" if (r := s.related_text(" / ")) else "") for s in result.sources
    )


def _independent(result: VerificationResult) -> str:
    """How many of the supporting and conflicting sources are independent: "2 of 3 supporting, 0 of 0 conflicting"."""
    supporting = sum(1 for s in result.sources if s.stance == "supports")
    conflicting = sum(1 for s in result.sources if s.stance == "conflicts")
    return (
        f"{result.independent_support} of {supporting} supporting, "
        f"{result.independent_conflict} of {conflicting} conflicting"
    )


def neutralise_formula(cell: str) -> str:
    """A cell a spreadsheet would evaluate, made text with a leading ``'`` (OWASP); anything else as it is."""
    if cell.startswith(_FORMULA_START) and not _SIGNED_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _brief(names: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _same_row(row: InputRow, number: str, values: tuple[Any, ...], expected: Sequence[str] | None = None) -> None:
    """The output's row is this input row: its number, and its cells as written (``expected``, else as read)."""
    wanted = tuple(expected) if expected is not None else row.values
    if number != str(row.number):
        raise OutputMismatchError(f"its row {number} stands where row {row.number} of the input should be")
    if values != wanted:
        column = next((i for i, (a, b) in enumerate(zip(values, wanted, strict=False)) if a != b), 0)
        theirs = values[column] if column < len(values) else ""
        raise OutputMismatchError(
            f"its row {row.number} differs from the input's: column {column + 1} holds {_cut(theirs)!r}, "
            f"the input {_cut(row.values[column])!r}"
        )


def _cut(text: object, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Lines:
    """Decoded lines of a binary file, with the byte offset of the end of the last line handed out."""

    def __init__(self, data: BinaryIO, offset: int) -> None:
        self._data = data
        self.offset = offset
        self.complete = True  # did the last line end with a newline?

    def __iter__(self) -> Iterator[str]:
        for raw in self._data:
            self.offset += len(raw)
            self.complete = raw.endswith(b"\n")
            # a character cut off mid-write decodes to surrogates: the row is then unfinished
            yield raw.decode("utf-8", errors="surrogateescape")


def _records(reader: Iterator[list[str]], lines: _Lines, data: BinaryIO) -> Iterator[list[str]]:
    """Finished records. An unfinished one (no newline yet, cut inside quotes or inside a character)
    may only be the file's last, cut off by a kill mid-write; anywhere else the file is damaged."""
    while True:
        try:
            record = next(reader)
            finished = lines.complete and not any(_SURROGATE.search(cell) for cell in record)
        except StopIteration:
            return
        except csv.Error:  # strict parsing: a quote out of place, or the end of the file inside a quoted cell
            finished = False
        if not finished:
            if data.read(1):
                raise OutputMismatchError(f"it is damaged near byte {lines.offset} (not just cut off at the end)")
            return
        yield record
