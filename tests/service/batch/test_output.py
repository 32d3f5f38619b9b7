"""Output rows (CSV for people, JSON Lines with the full contract) and reading them back for --resume."""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator

import pytest

from service.batch.core import Columns, Outcome, Summary, check_rows
from service.batch.output import (
    ADDED_COLUMNS,
    BatchRow,
    CsvOutput,
    JsonlOutput,
    OutputFormat,
    OutputMismatchError,
    format_for,
    unique_names,
)
from service.batch.reader import InputRow, RowProblem, Table, TableError
from service.errors import InvalidInputError
from service.schemas import PassageVerdict, SourceVerdict, VerificationResult
from service.verify import Verifier

HEADER = ("id", "claim", "notes")


def passage(text: str, stance: str, score: float, similarity: float = 0.5) -> PassageVerdict:
    return PassageVerdict(
        text=text, stance=stance, similarity=similarity, score=score, reasons=[], char_start=0, char_end=len(text),
        coverage=1.0,
    )  # fmt: skip


def source(source_id: str, stance: str, *passages: PassageVerdict) -> SourceVerdict:
    return SourceVerdict(source_id=source_id, stance=stance, score=0.9, passages=list(passages))


RESULT = VerificationResult(
    claim="1,000 troops moved to Romania",
    language="en",
    verdict="conflicting",
    confidence=0.9,
    summary="sources disagree: 2 support, 1 conflict",
    sources=[
        source("a", "supports", passage("weak support", "supports", 0.61), passage("neutral", "neutral", 0.2)),
        source("b", "supports", passage("=HYPERLINK(evil)", "supports", 0.93)),
        source("c", "conflicts", passage("2,000 troops moved to Romania", "conflicts", 0.88)),
        source("d", "neutral", passage("about something else", "neutral", 0.1)),
    ],
)


def outcome(
    number: int, values: tuple[str, ...], result: VerificationResult | None, error: str | None = None
) -> Outcome:
    problem = RowProblem(*error.split(": ", 1)) if error else None
    return Outcome(InputRow(number, number + 1, values), str(number), result, problem)


def test_csv_cells() -> None:
    out = CsvOutput(HEADER)
    row = outcome(7, ("x7", "1,000 troops moved to Romania", "n"), RESULT)
    cells = dict(zip(out.header, out.cells(row), strict=True))
    assert out.header == (*HEADER, *ADDED_COLUMNS)
    assert cells["row"] == "7" and cells["verdict"] == "conflicting" and cells["confidence"] == "0.900"
    assert cells["sources"] == "a:supports;b:supports;c:conflicts;d:neutral"
    # the strongest supporting passage over all sources, its text guarded against running as a formula
    assert (cells["best_support_source"], cells["best_support_score"]) == ("b", "0.930")
    assert cells["best_support_passage"] == "'=HYPERLINK(evil)"
    assert (cells["best_conflict_source"], cells["best_conflict_score"]) == ("c", "0.880")
    assert cells["best_conflict_passage"] == "2,000 troops moved to Romania"
    assert cells["error"] == ""


def test_csv_error_row_keeps_its_cells_and_says_why() -> None:
    out = CsvOutput(HEADER)
    cells = out.cells(outcome(3, ("x3", "", "n"), None, "empty claim"))
    assert cells == ["x3", "", "n", "3", *[""] * (len(ADDED_COLUMNS) - 2), "empty claim"]


def test_semicolon_files_get_decimal_commas() -> None:
    out = CsvOutput(HEADER, delimiter=";")
    cells = dict(zip(out.header, out.cells(outcome(1, ("1", "c", ""), RESULT)), strict=True))
    assert cells["confidence"] == "0,900" and cells["best_support_score"] == "0,930"
    line = out.render([outcome(1, ("1", "c", ""), RESULT)]).decode()
    assert '"a:supports;b:supports;c:conflicts;d:neutral"' in line  # quoted: it holds the delimiter


def test_added_columns_are_prefixed_when_the_input_has_them() -> None:
    out = CsvOutput(("claim", "Verdict", "error"))
    assert out.added[0] == "crosscheck_row" and "crosscheck_verdict" in out.header
    with pytest.raises(TableError, match="is it a batch output"):
        CsvOutput(("claim", "verdict", "crosscheck_verdict"))


@pytest.mark.parametrize(
    ("content", "bom"),
    [
        (codecs.BOM_UTF8 + b"claim\nx\n", True),
        ("claim\nBelgië\n".encode("cp1252"), True),
        (b"claim\nx\n", False),
    ],
)
def test_bom_when_the_input_came_from_excel(content: bytes, bom: bool) -> None:
    out = CsvOutput.like(Table(io.BytesIO(content)))
    assert out.preamble().startswith(codecs.BOM_UTF8) is bom
    assert out.preamble().endswith(b"claim," + ",".join(ADDED_COLUMNS).encode() + b"\r\n")


def test_jsonl_line_carries_the_full_contract() -> None:
    out = JsonlOutput(("id", "", "claim", "claim"))
    line = out.line(outcome(4, ("x4", "", "1,000 troops moved to Romania", "dup"), RESULT))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    data = json.loads(line)
    assert data["row"] == 4 and data["id"] == "4" and data["error"] is None
    assert data["input"] == {"id": "x4", "column_2": "", "claim": "1,000 troops moved to Romania", "claim_2": "dup"}
    assert data["result"] == RESULT.model_dump(mode="json")
    assert BatchRow.model_validate(data).result == RESULT
    error = json.loads(out.line(outcome(5, ("x5", "", "", ""), None, "empty claim")))
    assert error["result"] is None and error["error"] == "empty claim"


def test_unique_names() -> None:
    assert unique_names(["a", "", "a", "a_2", "a"]) == ["a", "column_2", "a_2", "a_2_2", "a_3"]


def test_format_for() -> None:
    assert format_for("out.JSONL", None) == "jsonl" and format_for("x.ndjson", None) == "jsonl"
    assert format_for("out.csv", None) == "csv" and format_for("out.tsv", None) == "csv"
    assert format_for(None, None) == "csv" and format_for("out.data", "jsonl") == "jsonl"
    with pytest.raises(InvalidInputError, match="--format"):
        format_for("out.xlsx", None)


# -- reading an interrupted output back ------------------------------------------------------------

ROWS_CSV = (
    "id;claim;notes\r\n"
    "1;Duizend militairen gaan naar Roemenië;\r\n"
    '2;"Een bewering\r\nover twee regels; met ""quotes""";ë\r\n'
    "3;;leeg\r\n"
    "4;Rusland ontkent de plannen voor een inval;x\r\n"
    "5;2.000 militairen naar Polen en Duitsland;\r\n"
)


@pytest.fixture
def finished(verifier: Verifier) -> list[Outcome]:
    table = Table(io.BytesIO(ROWS_CSV.encode()))
    return [o for block in check_rows(table.rows(), verifier, Columns(1)) for o in block]


INPUT_ROWS = list(Table(io.BytesIO(ROWS_CSV.encode())).rows())


def input_rows() -> Iterator[InputRow]:
    return iter(INPUT_ROWS)


def formats() -> list[OutputFormat]:
    header = ("id", "claim", "notes")
    return [CsvOutput(header, delimiter=";", bom=True), CsvOutput(header), JsonlOutput(header)]


@pytest.mark.parametrize("out", formats(), ids=["csv-semicolon-bom", "csv", "jsonl"])
def test_resume_point_after_a_cut_at_any_byte(out: OutputFormat, finished: list[Outcome]) -> None:
    """A kill can cut the file anywhere: the scan keeps exactly the rows written in full."""
    preamble = out.preamble()
    ends, data = [], preamble
    for item in finished:
        data += out.render([item])
        ends.append(len(data))
    # every byte for CSV; JSON lines are long, so every byte near a line end and every 13th in between
    near = {end + d for end in (len(preamble), *ends) for d in range(-3, 4)}
    cuts = [c for c in range(len(data) + 1) if isinstance(out, CsvOutput) or c in near or c % 13 == 0]
    for cut in cuts:
        rows = input_rows()
        summary = Summary()
        point = out.resume_point(io.BytesIO(data[:cut]), rows, summary)
        done = sum(1 for end in ends if end <= cut)
        expected = ends[done - 1] if done else (len(preamble) if cut >= len(preamble) and preamble else 0)
        assert point == expected, f"cut at {cut}"
        assert summary.rows == done
        next_row = next(rows, None)
        assert (next_row.number if next_row else None) == (done + 1 if done < len(finished) else None)
    summary = Summary()
    out.resume_point(io.BytesIO(data), input_rows(), summary)
    assert summary.verdicts.total() == 4 and summary.errors == {"empty claim": 1}


def test_resume_refuses_another_header(finished: list[Outcome]) -> None:
    data = CsvOutput(("id", "claim", "other")).preamble()
    with pytest.raises(OutputMismatchError, match="other columns"):
        CsvOutput(HEADER).resume_point(io.BytesIO(data), input_rows(), Summary())
    jsonl = JsonlOutput(("id", "claim", "other")).render(finished[:1])
    with pytest.raises(OutputMismatchError, match="other columns"):
        JsonlOutput(HEADER).resume_point(io.BytesIO(jsonl), input_rows(), Summary())


@pytest.mark.parametrize("out", formats(), ids=["csv-semicolon-bom", "csv", "jsonl"])
def test_resume_refuses_rows_that_are_not_the_inputs(out: OutputFormat, finished: list[Outcome]) -> None:
    data = out.preamble() + out.render(finished)
    changed = data.replace(b"Rusland ontkent", b"Rusland beaamt")
    with pytest.raises(OutputMismatchError, match="row 4 differs from the input's: column 2"):
        out.resume_point(io.BytesIO(changed), input_rows(), Summary())
    shorter = iter(INPUT_ROWS[:3])
    with pytest.raises(OutputMismatchError, match="more rows than the input"):
        out.resume_point(io.BytesIO(data), shorter, Summary())


def test_resume_refuses_damage_in_the_middle(finished: list[Outcome]) -> None:
    """Only the last row can be cut off by a kill; a broken row with rows after it is damage."""
    out = CsvOutput(HEADER, delimiter=";")
    data = out.preamble() + out.render(finished)
    assert "ë;2;".encode() in data
    damaged = data.replace("ë;2;".encode(), b"\xff;2;", 1)  # an invalid byte in row 2
    with pytest.raises(OutputMismatchError, match="damaged near byte"):
        out.resume_point(io.BytesIO(damaged), input_rows(), Summary())
    assert b";x;4;" in data
    quote = data.replace(b";x;4;", b';"x"y;4;', 1)  # a quote out of place in row 4
    with pytest.raises(OutputMismatchError, match="damaged near byte"):
        out.resume_point(io.BytesIO(quote), input_rows(), Summary())
    jsonl = JsonlOutput(HEADER)
    data = jsonl.render(finished)
    first, rest = data.split(b"\n", 1)
    with pytest.raises(OutputMismatchError, match="line 1 is not a crosscheck batch row"):
        jsonl.resume_point(io.BytesIO(first[:20] + b"\n" + rest), input_rows(), Summary())


def test_csv_output_is_valid_csv_with_one_record_per_row(finished: list[Outcome]) -> None:
    out = CsvOutput(HEADER, delimiter=";")
    text = (out.preamble() + out.render(finished)).decode("utf-8")
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=";", strict=True))
    assert records[0] == list(out.header)
    assert [r[:3] for r in records[1:]] == [list(o.row.values) for o in finished]
    assert records[2][1] == 'Een bewering\r\nover twee regels; met "quotes"'


FORMULAS = ("=1+1", "+HYPERLINK(x)", "-2+3", "@SUM(A1)", "\t=cmd", "\r=cmd", "=cmd|' /C calc'!A0")


@pytest.mark.parametrize("cell", FORMULAS)
def test_cells_a_spreadsheet_would_run_become_text(cell: str) -> None:
    """OWASP's CSV-injection advice: the user's own cells, the added ones and the header alike get a leading '."""
    out = CsvOutput(("id", "claim", cell))
    evil = VerificationResult(
        **{**RESULT.model_dump(), "sources": [source(cell, "supports", passage(cell, "supports", 0.9))]}
    )
    cells = dict(zip(out.header, out.cells(outcome(1, (cell, "claim", cell), evil)), strict=True))
    assert cells["id"] == "'" + cell and cells[cell] == "'" + cell
    assert cells["best_support_passage"] == "'" + cell and cells["best_support_source"] == "'" + cell
    assert cells["sources"] == "'" + cell + ":supports"
    assert out.preamble().decode().split(",")[2].strip('"') == "'" + cell
    # for programs: exact cells on request, and JSON Lines always exact
    kept = CsvOutput(("id", "claim", "notes"), keep_formulas=True)
    assert kept.cells(outcome(1, (cell, "claim", cell), evil))[:3] == [cell, "claim", cell]
    line = json.loads(JsonlOutput(HEADER).line(outcome(1, (cell, "claim", cell), evil)))
    assert line["input"]["id"] == cell and line["result"]["sources"][0]["passages"][0]["text"] == cell


@pytest.mark.parametrize("cell", ["-5", "+3.5", "-1.000,5", "2022-02-03", "a=b", "", "'=already"])
def test_numbers_and_plain_text_are_left_alone(cell: str) -> None:
    assert CsvOutput(HEADER).cells(outcome(1, (cell, "c", ""), None, "empty claim"))[0] == cell


def test_resume_reads_back_neutralised_cells() -> None:
    """--resume compares the finished rows with the input as they were written: with the leading '."""
    out = CsvOutput(HEADER)
    rows = [InputRow(1, 2, ("=x", "claim one", "@y")), InputRow(2, 3, ("2", "claim two", ""))]
    data = out.preamble() + out.render([Outcome(rows[0], "1", None, RowProblem("empty claim"))])
    summary = Summary()
    assert out.resume_point(io.BytesIO(data), iter(rows), summary) == len(data)
    assert summary.rows == 1


def test_csv_sources_show_who_copies_whom_and_how_many_are_independent() -> None:
    copied = RESULT.model_copy(
        update={
            "independent_support": 1,
            "independent_conflict": 1,
            "sources": [
                RESULT.sources[0].model_copy(update={"family": "a", "copied_by": ["b"]}),
                RESULT.sources[1].model_copy(update={"family": "a", "copies": ["a"], "shares_text_with": ["x"]}),
                *RESULT.sources[2:],
            ],
        }
    )
    out = CsvOutput(HEADER)
    cells = dict(zip(out.header, out.cells(outcome(7, ("x7", "claim", "n"), copied)), strict=True))
    assert cells["sources"] == "a:supports:copied by b;b:supports:copies a / shares text with x;c:conflicts;d:neutral"
    assert cells["independent"] == "1 of 2 supporting, 1 of 1 conflicting"
