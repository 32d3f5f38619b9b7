"""``crosscheck batch``: check every claim in a CSV file, streaming, resumable.

Rows are written as their chunk finishes (flushed, and fsynced on files), so
an interrupted run -- Ctrl-C, SIGTERM, or SIGKILL -- leaves a valid file
holding every finished row; ``--resume`` checks that file against the input
and carries on after its last finished row.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import IO, Any, BinaryIO

import click

from index.embedding import shared_cpu_environment
from service.batch.core import Columns, Summary, check_rows, choose_columns
from service.batch.output import CsvOutput, JsonlOutput, OutputFormat, OutputMismatchError, format_for
from service.batch.parallel import WorkerPool
from service.batch.reader import Table
from service.corpus import Corpus
from service.errors import CrosscheckError
from service.settings import Settings, settings_with
from service.verify import Filters, Verifier

# service.cli adds this command to its group, so nothing here may import service.cli: the two
# options every corpus command takes and the two helpers below follow its index_options and note.
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM


def note(message: str) -> None:
    """Status for people: stderr, so stdout stays clean for the CSV or the --json summary."""
    click.echo(message, err=True)


@click.command()
@click.argument(
    "input_path", metavar="IN.csv", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Result file, .csv or .jsonl (default: CSV on stdout).",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Output format (default: from -o's name).")
@click.option(
    "--column", metavar="NAME", help="Column holding the claims (default: 'claim', else the only text column)."
)
@click.option("--id-column", metavar="NAME", help="Column identifying each row in JSON output (default: row number).")
@click.option(
    "--index-dir", type=click.Path(file_okay=False, path_type=Path), help="Index directory (env CROSSCHECK_INDEX_DIR)."
)
@click.option(
    "--model", metavar="NAME", help="Embedding model (env CROSSCHECK_MODEL; default: the bundled use-multilingual-v3)."
)
@click.option(
    "--top-k", type=click.IntRange(1, 50), help="Passages kept per source in JSON output (env CROSSCHECK_TOP_K)."
)
@click.option("--source", "sources", multiple=True, metavar="ID", help="Only these sources (repeatable).")
@click.option("--published-after", metavar="DATE", help="Only sources published on or after DATE (2022-02).")
@click.option("--published-before", metavar="DATE", help="Only sources published on or before DATE.")
@click.option("--encoding", metavar="NAME", help="Input encoding, when detection gets it wrong (cp1252, latin-1, ...).")
@click.option("--delimiter", metavar="CHAR", help="Input delimiter, when detection gets it wrong (',', ';', tab).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Engine processes, each with its own model, ~0.4 GB apiece (env CROSSCHECK_WORKERS; default 1). "
    "One per core roughly multiplies the rate.",
)
@click.option(
    "--keep-formulas",
    is_flag=True,
    default=None,
    help="CSV output: write cells that start with = + - @ exactly (for programs; env CROSSCHECK_KEEP_FORMULAS). "
    "By default they get a leading ' so a spreadsheet shows them as text and runs nothing.",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run: keep the finished rows of -o.")
@click.option("--force", is_flag=True, help="Overwrite -o if it exists.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, notes or summary on stderr.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout (needs -o).")
def batch(
    input_path: Path,
    output: Path | None,
    fmt: str | None,
    column: str | None,
    id_column: str | None,
    index_dir: Path | None,
    model: str | None,
    top_k: int | None,
    sources: tuple[str, ...],
    published_after: str | None,
    published_before: str | None,
    encoding: str | None,
    delimiter: str | None,
    workers: int | None,
    keep_formulas: bool | None,
    resume: bool,
    force: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Check every claim in a CSV file; the same rows come back with verdicts and evidence.

    Reads comma, semicolon (Dutch and Belgian Excel) or tab separated files, in
    UTF-8 (with or without BOM) or a legacy encoding such as cp1252, which is
    detected and reported. The claims are in the column named by --column, else
    the column named 'claim', else the only column that holds sentences.

    CSV output keeps every input row, in order, with its own columns, and adds
    row, verdict, confidence, sources (stance per source), the best supporting
    and conflicting passage with source and score, and error. A row that cannot
    be checked (empty or over-long claim, undecodable bytes) has an error and
    no verdict. .jsonl output has one line per row with the full result, as
    `crosscheck check --json` prints it. A summary ends the run.

    Interrupted (Ctrl-C, or killed), the output holds every finished row;
    run the same command with --resume to go on from there.

    \b
    Examples:
      crosscheck batch claims.csv -o checked.csv
      crosscheck batch claims.csv -o checked.jsonl --id-column id
      crosscheck batch export.csv --column Bewering -o checked.csv --resume
    """
    fmt_name = format_for(str(output) if output else None, fmt)
    _check_paths(input_path, output, resume=resume, force=force, as_json=as_json)
    say = (lambda message: None) if quiet else note
    settings = settings_with(
        index_dir=index_dir, model=model, top_k=top_k, workers=workers, keep_formulas=keep_formulas
    )
    filters = Filters.of(sources or None, published_after, published_before)

    with _open_input(input_path) as (stream, size):
        name = "stdin" if str(input_path) == "-" else str(input_path)
        table = Table(stream, name=name, encoding=encoding, delimiter=delimiter, total_bytes=size)
        if not table.encoding.is_utf8:
            how = "detected" if table.encoding.detected else "as given"
            say(f"note: {name} is not UTF-8; reading it as {table.encoding.label} ({how})")
        if table.encoding.doubt:
            note(f"warning: {table.encoding.doubt}")
        columns = choose_columns(table.header, table.sample, column, id_column)
        say(f"checking the claims in {columns.reason}")
        out_format: OutputFormat = (
            CsvOutput.like(table, keep_formulas=settings.keep_formulas)
            if fmt_name == "csv"
            else JsonlOutput(table.header)
        )
        rows = table.rows()
        summary = Summary()

        with _open_output(output, out_format, rows, summary, resume=resume, input_name=name) as sink:
            if summary.resumed:
                say(f"resuming after row {summary.resumed:,} ({summary.resumed:,} rows already in {output})")
            corpus = Corpus(settings)
            corpus.store(bootstrap=True, notify=say)
            verifier = Verifier(corpus)
            try:
                with _engines(verifier, settings, say) as pool:
                    stopped = _run(
                        table, rows, verifier, columns, out_format, sink, summary, top_k, filters, quiet, pool
                    )
            except CrosscheckError as exc:
                if output is None or not summary.rows:
                    raise
                raise CrosscheckError(
                    f"{exc}. {output} holds the {summary.rows:,} rows finished before; add --resume to continue"
                ) from None

    summary.blank_lines = table.blank_lines
    summary.stop()
    if not quiet:
        for line in summary.lines():
            note(line)
        if output is not None:
            note(f"output: {output}")
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    if stopped is not None:
        if output is not None:
            note(f"Interrupted: {output} holds the {summary.rows:,} finished rows; add --resume to continue.")
        sys.exit(stopped)  # not click.exceptions.Exit: main() runs click with standalone_mode=False, which drops it


def _run(
    table: Table,
    rows: Iterator[Any],
    verifier: Verifier,
    columns: Columns,
    out_format: OutputFormat,
    sink: _Sink,
    summary: Summary,
    top_k: int | None,
    filters: Filters,
    quiet: bool,
    pool: WorkerPool | None = None,
) -> int | None:
    """Check and write chunk by chunk; the exit code if interrupted, else None."""
    from tqdm import tqdm

    sized = table.total_bytes is not None  # a file: percent and ETA; stdin: a count of rows
    bar = tqdm(
        total=table.total_bytes,
        initial=table.bytes_parsed if sized else summary.rows,
        unit="B" if sized else " rows",
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}{postfix}" if sized else None,
        desc="checking",
        file=sys.stderr,
        disable=quiet or not sys.stderr.isatty(),
        dynamic_ncols=True,
    )
    summary.start()
    stop = _Stop()
    try:
        with stop.installed():
            for block in check_rows(rows, verifier, columns, top_k=top_k, filters=filters, pool=pool):
                with stop.deferred():  # a chunk is written and counted whole, or not at all
                    sink.write(out_format.render(block))
                    for outcome in block:
                        summary.add_outcome(outcome)
                if sized:
                    rate = summary.checked_now / max(time.perf_counter() - summary.started, 1e-9)
                    bar.set_postfix_str(f"{summary.rows:,} rows, {rate:,.0f} rows/s", refresh=False)
                bar.update((table.bytes_parsed if sized else summary.rows) - bar.n)
    except KeyboardInterrupt:
        summary.interrupted = True
        return EXIT_TERMINATED if stop.signal == signal.SIGTERM else EXIT_INTERRUPTED
    finally:
        bar.close()
    return None


@contextlib.contextmanager
def _engines(verifier: Verifier, settings: Settings, say: Callable[[str], None]) -> Iterator[WorkerPool | None]:
    """This process's engine, or a pool of ``settings.workers`` engine processes.

    Either way the model is loaded and warmed before the first row, so a broken
    setup fails before anything is written and the summary's rate measures
    checking, not start-up.
    """
    if settings.workers == 1:
        verifier.warm_up()
        yield None
        return
    # the cores shared out, as `crosscheck serve --workers` does; the workers start with this environment
    environment = shared_cpu_environment(settings.workers, settings.threads)
    os.environ.update(environment)
    settings = settings.model_copy(update={"threads": int(environment["CROSSCHECK_THREADS"])})
    say(f"starting {settings.workers} engine processes")
    with WorkerPool(settings) as pool:
        pool.ready()
        yield pool


class _Stop:
    """Ctrl-C and SIGTERM (a `kill`, a container stop) end the run cleanly: rows flushed, summary printed.

    The signal raises ``KeyboardInterrupt`` at once, except while a chunk is
    being written and counted; then it waits for the end of that step, so the
    file and the summary agree.
    """

    def __init__(self) -> None:
        self.signal: int | None = None
        self._deferring = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signal = signum
        if not self._deferring:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        try:
            previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        except ValueError:  # not the main thread: leave signals alone
            yield
            return
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
        if self.signal is not None:
            raise KeyboardInterrupt


class _Sink:
    """Where rows go: flushed after every chunk, and fsynced when it is a file."""

    def __init__(self, stream: IO[bytes], *, sync: bool) -> None:
        self.stream, self.sync = stream, sync

    def write(self, data: bytes) -> None:
        self.stream.write(data)
        self.stream.flush()
        if self.sync:
            os.fsync(self.stream.fileno())


def _check_paths(input_path: Path, output: Path | None, *, resume: bool, force: bool, as_json: bool) -> None:
    if resume and force:
        raise click.UsageError("--resume keeps the finished rows and --force discards them: choose one")
    if output is None:
        if resume:
            raise click.UsageError("--resume needs the output file: -o OUT.csv")
        if as_json:
            raise click.UsageError("--json prints the summary on stdout, so the results need a file: -o OUT.csv")
        return
    if str(input_path) != "-" and input_path.exists() and output.exists() and output.samefile(input_path):
        raise click.UsageError("the output file is the input file")
    if output.exists() and not (resume or force):
        raise CrosscheckError(f"{output} already exists: add --resume to continue that run, or --force to overwrite it")


@contextlib.contextmanager
def _open_input(path: Path) -> Iterator[tuple[BinaryIO, int | None]]:
    if str(path) == "-":
        yield sys.stdin.buffer, None
        return
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise CrosscheckError(f"cannot read {path}: {exc.strerror or exc}") from None
    with stream:
        size = os.fstat(stream.fileno()).st_size
        yield stream, size if size else None


@contextlib.contextmanager
def _open_output(
    output: Path | None,
    out_format: OutputFormat,
    rows: Iterator[Any],
    summary: Summary,
    *,
    resume: bool,
    input_name: str,
) -> Iterator[_Sink]:
    """The output, positioned after its last finished row (``--resume``) or fresh with its preamble."""
    if output is None:
        stdout = sys.stdout.buffer
        sink = _Sink(stdout, sync=False)
        try:
            sink.write(out_format.preamble())
            yield sink
        except BrokenPipeError:  # `| head`: the reader has all it wants
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        return
    try:
        stream = output.open("r+b" if resume and output.exists() else "wb")
    except OSError as exc:
        raise CrosscheckError(f"cannot write {output}: {exc.strerror or exc}") from None
    with stream:
        start = 0
        if resume:
            try:
                start = out_format.resume_point(stream, rows, summary)
            except OutputMismatchError as exc:
                raise OutputMismatchError(
                    f"{output} is not an interrupted run over {input_name}: {exc}. "
                    "Choose another -o, or --force to start it over."
                ) from None
            summary.resumed = summary.rows
            stream.seek(start)
            stream.truncate()
        sink = _Sink(stream, sync=True)
        if start == 0:
            sink.write(out_format.preamble())
        yield sink
