"""Checking many claims: rows in, one outcome per row out, in order, a chunk at a time.

Everything here is a generator over an iterable, so a caller (the CLI writing
a file, an HTTP route streaming a response) never holds more than one chunk.
Rows that cannot be checked (empty, too long, undecodable) become outcomes
with an error instead of stopping the run or disappearing.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from service.batch.reader import InputRow, RowProblem, TableError, is_free_text
from service.corpus import check_text
from service.errors import BatchTooLargeError, CrosscheckError, InvalidClaimError
from service.schemas import VerificationResult
from service.verify import Filters, Verifier

if TYPE_CHECKING:
    from service.batch.parallel import WorkerPool

log = logging.getLogger(__name__)

# Rows verified per call into the engine (which embeds 64 claims per encoder call),
# and the unit at which output is flushed and fsynced.
CHUNK = 256
VERDICTS = ("supported", "refuted", "conflicting", "not_enough_evidence")
Answer = VerificationResult | RowProblem  # what the engine gives one checkable claim


@dataclass(frozen=True)
class Columns:
    """Which columns hold the claim and (optionally) the id, as indexes into the header."""

    claim: int
    id: int | None = None
    reason: str = ""  # how the claim column was chosen, for the user


@dataclass(frozen=True)
class Outcome:
    """One row's answer: a result, or the problem that kept it from being checked."""

    row: InputRow
    id: str
    result: VerificationResult | None
    problem: RowProblem | None = None

    @property
    def error(self) -> str | None:
        return None if self.problem is None else str(self.problem)


def choose_columns(
    header: Sequence[str],
    sample: Sequence[Sequence[str]],
    column: str | None = None,
    id_column: str | None = None,
    *,
    options: tuple[str, str] = ("--column", "--id-column"),
) -> Columns:
    """The claim column: ``column`` if given, else one named ``claim``, else the only free-text column.

    Names match exactly, else ignoring case and surrounding spaces. Anything
    ambiguous or missing is an error that lists the columns, never a guess.
    ``options`` are what the caller calls the two choices, for the messages
    (the CLI's options, the HTTP route's query parameters).
    """
    listing = ", ".join(repr(h) for h in header)
    if column is not None:
        claim = _find(header, column, options[0])
        reason = f"column {header[claim]!r}"
    elif (named := _match(header, "claim")) is not None:
        claim, reason = named, f"column {header[named]!r}"
    else:
        texts = [
            i for i in range(len(header))
            if _share(sample, i, is_free_text) >= 0.5 and not (id_column and _same(header[i], id_column))
        ]  # fmt: skip
        if len(texts) != 1:
            found = (
                "no column holds sentences"
                if not texts
                else f"several columns hold sentences ({', '.join(repr(header[i]) for i in texts)})"
            )
            raise TableError(
                f"which column holds the claims? There is no column named 'claim' and {found}; "
                f"name it with {options[0]}. The columns are: {listing}"
            )
        claim, reason = texts[0], f"column {header[texts[0]]!r}, the only one that holds sentences"
    ident = _find(header, id_column, options[1]) if id_column is not None else None
    return Columns(claim, ident, reason)


def _same(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _match(header: Sequence[str], name: str) -> int | None:
    exact = [i for i, h in enumerate(header) if h == name]
    loose = exact or [i for i, h in enumerate(header) if _same(h, name)]
    if len(loose) > 1:
        raise TableError(f"column name {name!r} appears {len(loose)} times in the header; rename one of them")
    return loose[0] if loose else None


def _find(header: Sequence[str], name: str, option: str) -> int:
    index = _match(header, name)
    if index is None:
        listing = ", ".join(repr(h) for h in header)
        raise TableError(f"no column {name!r} ({option}); the columns are: {listing}")
    return index


def _share(sample: Sequence[Sequence[str]], column: int, test: Callable[[str], bool]) -> float:
    values = [row[column] for row in sample if column < len(row) and row[column].strip()]
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def check_rows(
    rows: Iterable[InputRow],
    verifier: Verifier,
    columns: Columns,
    *,
    top_k: int | None = None,
    filters: Filters | None = None,
    chunk: int | None = None,
    pool: WorkerPool | None = None,
) -> Iterator[list[Outcome]]:
    """Outcomes for ``rows``, in order, one list per chunk of up to ``chunk`` rows (default ``CHUNK``).

    With a ``pool`` the chunks are checked in its worker processes, a few at a
    time, and still come back in input order.
    """
    limit = verifier.corpus.settings.max_claim_chars
    if pool is None:
        for block, problems, claims in _validated(rows, columns, limit, chunk or CHUNK):
            yield _outcomes(block, problems, verify_chunk(verifier, claims, top_k, filters), columns)
        return
    # a few chunks ahead per worker keeps every worker busy; the rest of the file stays unread
    pending: deque[tuple[list[InputRow], list[RowProblem | None], Future[list[Answer]]]] = deque()

    def first() -> list[Outcome]:
        block, problems, future = pending.popleft()
        answers: list[Answer] = pool.result(future)
        return _outcomes(block, problems, answers, columns)

    try:
        for block, problems, claims in _validated(rows, columns, limit, chunk or pool.chunk):
            pending.append((block, problems, pool.submit(claims, top_k, filters)))
            if len(pending) >= 2 * pool.workers:
                yield first()
        while pending:
            yield first()
    finally:
        for *_, future in pending:
            future.cancel()


def _validated(
    rows: Iterable[InputRow], columns: Columns, limit: int, chunk: int
) -> Iterator[tuple[list[InputRow], list[RowProblem | None], list[str]]]:
    """Rows a chunk at a time, with each row's problem (or None) and the checkable claims.

    Claims are validated with the engine's own rule (``check_text``), so only
    checkable ones reach the engine.
    """
    iterator = iter(rows)
    while block := list(islice(iterator, chunk)):
        problems: list[RowProblem | None] = []
        claims: list[str] = []
        for row in block:
            problem = row.problem
            if problem is None:
                try:
                    claims.append(check_text(row.values[columns.claim], max_chars=limit))
                except InvalidClaimError as exc:
                    problem = claim_problem(row.values[columns.claim], limit, exc)
            problems.append(problem)
        yield block, problems, claims


def _outcomes(
    block: Sequence[InputRow], problems: Sequence[RowProblem | None], answers: Iterable[Answer], columns: Columns
) -> list[Outcome]:
    """One outcome per row: its problem, or the next answer of the checked claims."""
    remaining = iter(answers)
    outcomes = []
    for row, problem in zip(block, problems, strict=True):
        answer = problem or next(remaining)
        ident = row.values[columns.id].strip() if columns.id is not None else str(row.number)
        if isinstance(answer, RowProblem):
            outcomes.append(Outcome(row, ident, None, answer))
        else:
            outcomes.append(Outcome(row, ident, answer))
    return outcomes


def check_claims(
    claims: Iterable[object],
    verifier: Verifier,
    *,
    top_k: int | None = None,
    filters: Filters | None = None,
    chunk: int | None = None,
) -> Iterator[Outcome]:
    """Outcomes for plain claims (an API request's JSON list), numbered from 1 in order.

    A non-text item becomes an ``invalid claim`` outcome rather than failing the whole batch.
    """

    def rows() -> Iterator[InputRow]:
        for number, claim in enumerate(claims, start=1):
            if isinstance(claim, str):
                yield InputRow(number, number, (claim,))
            else:
                problem = RowProblem("invalid claim", f"the claim must be text, got {type(claim).__name__}")
                yield InputRow(number, number, ("",), problem)

    for block in check_rows(rows(), verifier, Columns(0), top_k=top_k, filters=filters, chunk=chunk):
        yield from block


def ensure_batch_size(count: int, limit: int) -> None:
    """Refuse a request with more than ``limit`` claims (``CROSSCHECK_BATCH_MAX_CLAIMS``)."""
    if count > limit:
        raise BatchTooLargeError(
            f"{count:,} claims in one request; the limit is {limit:,} (CROSSCHECK_BATCH_MAX_CLAIMS). "
            "Split the batch, or use `crosscheck batch` for whole files."
        )


def claim_problem(text: str, limit: int, error: InvalidClaimError) -> RowProblem:
    """The kind of claim ``check_text`` refused, for the summary's counts."""
    stripped = text.strip()
    if not stripped:
        return RowProblem("empty claim")
    if len(stripped) > limit:
        return RowProblem("claim too long", f"{len(stripped):,} characters, the limit is {limit:,}")
    return RowProblem("invalid claim", str(error))


def verify_chunk(
    verifier: Verifier, claims: Sequence[str], top_k: int | None, filters: Filters | None
) -> Sequence[Answer]:
    """Results for validated claims, in order; if the engine fails on the chunk, claim by claim."""
    if not claims:
        return []
    try:
        return [VerificationResult.from_core(v) for v in verifier.verify_many(claims, top_k=top_k, filters=filters)]
    except InvalidClaimError:
        pass  # the engine refused a claim the batch let through: find which
    except CrosscheckError:
        raise  # no index, another model, an unknown source: nothing in this run can succeed
    except Exception:
        log.warning("the engine failed on a chunk of %d claims; retrying them one by one", len(claims))
    return _verify_each(verifier, claims, top_k, filters)


def _verify_each(verifier: Verifier, claims: Sequence[str], top_k: int | None, filters: Filters | None) -> list[Answer]:
    """One claim at a time, so a claim the engine cannot handle costs only its own row."""
    limit = verifier.corpus.settings.max_claim_chars
    out: list[Answer] = []
    for claim in claims:
        try:
            out.append(VerificationResult.from_core(verifier.verify(claim, top_k=top_k, filters=filters)))
        except InvalidClaimError as exc:
            out.append(claim_problem(claim, limit, exc))
        except CrosscheckError:
            raise
        except Exception as exc:
            log.debug("engine error on %r", claim, exc_info=True)
            out.append(RowProblem("engine error", f"{type(exc).__name__}: {exc}"))
    failed = [o for o in out if isinstance(o, RowProblem) and o.kind == "engine error"]
    if len(claims) > 1 and len(failed) == len(claims):
        raise CrosscheckError(f"the engine failed on every claim of a chunk ({failed[0].detail}); stopping")
    return out


@dataclass
class Summary:
    """Rows by verdict and by error kind; what a run ends with."""

    verdicts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    resumed: int = 0  # rows found finished in the output before this run
    blank_lines: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    started: float = field(default_factory=time.perf_counter, repr=False)

    @property
    def rows(self) -> int:
        return sum(self.verdicts.values()) + sum(self.errors.values())

    @property
    def checked_now(self) -> int:
        return self.rows - self.resumed

    def add(self, verdict: str | None, error: str | None) -> None:
        if error is not None:
            self.errors[error.split(":", 1)[0]] += 1
        elif verdict is not None:
            self.verdicts[verdict] += 1

    def add_outcome(self, outcome: Outcome) -> None:
        self.add(outcome.result.verdict if outcome.result else None, outcome.error)

    def start(self) -> None:
        """Start the clock: the rate counts checking, not loading the model."""
        self.started = time.perf_counter()

    def stop(self) -> None:
        self.seconds = time.perf_counter() - self.started

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "verdicts": {v: self.verdicts.get(v, 0) for v in VERDICTS},
            "errors": dict(sorted(self.errors.items())),
            "resumed": self.resumed,
            "blank_lines_skipped": self.blank_lines,
            "seconds": round(self.seconds, 2),
            "rows_per_second": round(self.checked_now / self.seconds, 1) if self.seconds else None,
            "interrupted": self.interrupted,
        }

    def lines(self) -> list[str]:
        now = self.checked_now
        head = f"{self.rows:,} rows"
        if self.resumed:
            head += f": {self.resumed:,} from the earlier run, {now:,} now"
        if now and self.seconds > 0:
            rate = now / self.seconds
            head += f" in {self.seconds:,.1f} s ({rate:,.{1 if rate < 10 else 0}f} rows/s)"
        out = [head + (", interrupted" if self.interrupted else "")]
        for verdict in VERDICTS:
            out.append(f"  {verdict:<22}{self.verdicts.get(verdict, 0):>10,}")
        out.append(f"  {'errors':<22}{sum(self.errors.values()):>10,}")
        for kind, count in sorted(self.errors.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"    {kind:<20}{count:>10,}")
        if self.blank_lines:
            out.append(f"  ({self.blank_lines:,} blank line{'s' if self.blank_lines != 1 else ''} skipped)")
        return out
