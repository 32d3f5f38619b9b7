"""Checking whole spreadsheets of claims: ``crosscheck batch`` and the HTTP batch routes.

reader  CSV bytes -> encoding, dialect, header, rows (streamed; bad rows flagged, never dropped)
core    rows -> claim column -> verification in chunks -> one outcome per row, in order; summary
output  outcomes -> CSV (the input's columns + verdicts) or JSON Lines (the full result contract); resume
jobs    the same for the HTTP API, with every failure raised before streaming starts
cli     the ``crosscheck batch`` command
"""

from __future__ import annotations

from service.batch.core import Columns, Outcome, Summary, check_claims, check_rows, choose_columns, ensure_batch_size
from service.batch.jobs import CsvJob, verify_batch
from service.batch.output import BatchRow, CsvOutput, JsonlOutput, OutputMismatchError
from service.batch.reader import InputRow, RowProblem, Table, TableError

__all__ = [
    "BatchRow",
    "Columns",
    "CsvJob",
    "CsvOutput",
    "InputRow",
    "JsonlOutput",
    "Outcome",
    "OutputMismatchError",
    "RowProblem",
    "Summary",
    "Table",
    "TableError",
    "check_claims",
    "check_rows",
    "choose_columns",
    "ensure_batch_size",
    "verify_batch",
]
