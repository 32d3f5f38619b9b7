"""The calls the HTTP batch routes make: errors before streaming, then rows in order."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from service.batch import CsvJob, TableError, verify_batch
from service.errors import BatchTooLargeError, UnknownSourceError
from service.verify import Filters, Verifier
from tests.service.batch.conftest import WriteFile

CSV = "id;claim\r\n1;Duizend militairen gaan naar Roemenië\r\n2;\r\n3;Rusland ontkent de plannen\r\n"


def test_verify_batch_rows_in_order_with_errors_in_place(verifier: Verifier) -> None:
    rows = list(verify_batch(["Duizend militairen naar Roemenië", "", 5], verifier, max_claims=3))
    assert [r.row for r in rows] == [1, 2, 3] and [r.id for r in rows] == ["1", "2", "3"]
    assert rows[0].result is not None and rows[0].error is None and rows[0].input is None
    assert [r.error for r in rows[1:]] == ["empty claim", "invalid claim: the claim must be text, got int"]
    assert set(rows[0].model_dump()) == {"row", "id", "input", "result", "error"}


def test_verify_batch_refuses_before_any_work(verifier: Verifier) -> None:
    with pytest.raises(BatchTooLargeError, match="4 claims in one request; the limit is 3"):
        verify_batch(["a"] * 4, verifier, max_claims=3)  # raised by the call, not on iteration
    with pytest.raises(UnknownSourceError):
        verify_batch(["a"], verifier, max_claims=3, filters=Filters.of(["no-such-source"]))


def test_csv_job_streams_the_same_bytes_as_the_cli(
    verifier: Verifier, run_batch: Callable[..., tuple[int, str, str]], write: WriteFile, tmp_path: Path
) -> None:
    job = CsvJob.open(io.BytesIO(CSV.encode()), verifier, name="desk.csv", max_rows=3)
    chunks = list(job.chunks())
    assert len(chunks) == 2  # the header at once, then the rows as they are checked
    out = tmp_path / "cli.csv"
    assert run_batch(write("desk.csv", CSV), "-o", out)[0] == 0
    assert b"".join(chunks) == out.read_bytes()
    assert job.filename == "desk.checked.csv" and job.media_type.startswith("text/csv")
    assert job.summary.rows == 3 and job.summary.errors == {"empty claim": 1}


def test_csv_job_refuses_before_streaming(verifier: Verifier) -> None:
    with pytest.raises(BatchTooLargeError, match="3 claims in one request; the limit is 2"):
        CsvJob.open(io.BytesIO(CSV.encode()), verifier, max_rows=2)
    with pytest.raises(TableError, match="no column 'bewering'"):
        CsvJob.open(io.BytesIO(CSV.encode()), verifier, column="bewering")
    with pytest.raises(TableError, match="empty"):
        CsvJob.open(io.BytesIO(b""), verifier)
    with pytest.raises(UnknownSourceError):
        CsvJob.open(io.BytesIO(CSV.encode()), verifier, filters=Filters.of(["no-such-source"]))


def test_csv_job_counts_rows_without_losing_its_place(verifier: Verifier) -> None:
    stream = io.BytesIO(b"ignored prefix" + CSV.encode())
    stream.seek(len(b"ignored prefix"))  # an upload handed over mid-stream still rewinds to where it was
    job = CsvJob.open(stream, verifier, max_rows=10)
    assert job.table.header == ("id", "claim")
    assert b"".join(job.chunks()).count(b"\r\n") == 4
