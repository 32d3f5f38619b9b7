"""Whole batches for the HTTP API: every check that can fail runs before the first byte is sent.

A streaming response cannot change its status once it has started, so
:func:`verify_batch` and :meth:`CsvJob.open` raise domain errors eagerly (too
many claims, no claim column, undecodable header, unknown source filter) and
only then hand back generators that do the slow part.

Routes are one call each::

    rows = verify_batch(body.claims, verifier, max_claims=settings.batch_max_claims)
    return [row.model_dump() for row in rows]            # or stream them as NDJSON

    job = CsvJob.open(upload.file, verifier, max_rows=settings.batch_max_claims, column=column)
    return StreamingResponse(job.chunks(), media_type=job.media_type,
                             headers={"Content-Disposition": f'attachment; filename="{job.filename}"'})
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import BinaryIO

from service.batch.core import Columns, Summary, check_claims, check_rows, choose_columns, ensure_batch_size
from service.batch.output import BatchRow, CsvOutput
from service.batch.reader import Table
from service.verify import Filters, Verifier

# What the route calls the column choices, for error messages (the CLI says --column).
QUERY_PARAMETERS = ("the column parameter", "the id_column parameter")


def verify_batch(
    claims: Sequence[object],
    verifier: Verifier,
    *,
    max_claims: int,
    top_k: int | None = None,
    filters: Filters | None = None,
) -> Iterator[BatchRow]:
    """One :class:`BatchRow` per claim, in order (``row`` counts from 1; ``input`` is None).

    Raises ``BatchTooLargeError`` (413) above ``max_claims`` and
    ``UnknownSourceError`` for a filter naming no source, before any work.
    Empty, over-long or non-text claims are rows with an ``error``, not a failed request.
    """
    ensure_batch_size(len(claims), max_claims)
    _check_filters(verifier, filters)
    return (BatchRow.from_outcome(o) for o in check_claims(claims, verifier, top_k=top_k, filters=filters))


class CsvJob:
    """A CSV upload, read far enough to know it can be checked, ready to stream the result CSV."""

    media_type = "text/csv; charset=utf-8"

    def __init__(
        self,
        table: Table,
        columns: Columns,
        verifier: Verifier,
        top_k: int | None,
        filters: Filters | None,
        *,
        keep_formulas: bool = False,
    ) -> None:
        self.table, self.columns, self.verifier = table, columns, verifier
        self.top_k, self.filters = top_k, filters
        self.output = CsvOutput.like(table, keep_formulas=keep_formulas)
        self.summary = Summary()

    @property
    def encoding_doubt(self) -> str | None:
        """Why the detected encoding may be wrong, naming this route's own way to give it."""
        doubt = self.table.encoding.doubt
        return doubt.replace("--encoding", "the encoding parameter") if doubt else None

    @property
    def filename(self) -> str:
        stem = self.table.name.rsplit(".", 1)[0] if "." in self.table.name else self.table.name
        return f"{stem}.checked.csv"

    @classmethod
    def open(
        cls,
        stream: BinaryIO,
        verifier: Verifier,
        *,
        name: str = "upload.csv",
        column: str | None = None,
        id_column: str | None = None,
        max_rows: int | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        top_k: int | None = None,
        filters: Filters | None = None,
        keep_formulas: bool = False,
    ) -> CsvJob:
        """Detect encoding and dialect, choose the claim column, and count rows against ``max_rows``.

        Counting needs a seekable stream (FastAPI's ``UploadFile.file`` is one);
        it parses at most ``max_rows + 1`` rows and rewinds. Raises
        ``TableError`` (400/422), ``BatchTooLargeError`` (413) or ``UnknownSourceError``.
        """
        start = stream.tell() if max_rows is not None else 0
        table = Table(stream, name=name, encoding=encoding, delimiter=delimiter)
        columns = choose_columns(table.header, table.sample, column, id_column, options=QUERY_PARAMETERS)
        if max_rows is not None:
            ensure_batch_size(sum(1 for _ in islice(table.rows(), max_rows + 1)), max_rows)
            stream.seek(start)
            table = Table(stream, name=name, encoding=encoding, delimiter=delimiter)
        _check_filters(verifier, filters)
        return cls(table, columns, verifier, top_k, filters, keep_formulas=keep_formulas)

    def chunks(self) -> Iterator[bytes]:
        """The result CSV: the header, then one piece per chunk of rows as they are checked.

        ``self.summary`` counts rows by verdict and error as they go out.
        """
        self.summary.start()
        yield self.output.preamble()
        for block in check_rows(self.table.rows(), self.verifier, self.columns, top_k=self.top_k, filters=self.filters):
            for outcome in block:
                self.summary.add_outcome(outcome)
            yield self.output.render(block)
        self.summary.blank_lines = self.table.blank_lines
        self.summary.stop()


def _check_filters(verifier: Verifier, filters: Filters | None) -> None:
    if filters is not None:
        verifier.corpus.check_filters(filters)
