"""The ``crosscheck`` command.

Options mirror the settings' environment variables (``--index-dir`` is
``CROSSCHECK_INDEX_DIR``). Domain errors become one line on stderr and a
non-zero exit; tracebacks only with ``--debug`` (or ``CROSSCHECK_DEBUG=1``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from service.api.server import serve
from service.batch.cli import batch
from service.corpus import Corpus
from service.errors import CrosscheckError
from service.schemas import SearchResponse, SourceInfo, VerificationResult
from service.settings import settings_with

F = TypeVar("F", bound=Callable[..., Any])

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


def index_options(func: F) -> F:
    """``--index-dir`` and ``--model``, the settings every corpus command needs."""
    func = click.option(
        "--model",
        metavar="NAME",
        help="Embedding model (env CROSSCHECK_MODEL; default: the bundled use-multilingual-v3).",
    )(func)
    func = click.option(
        "--index-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Index directory (env CROSSCHECK_INDEX_DIR).",
    )(func)
    return func


def make_corpus(index_dir: Path | None, model: str | None, **extra: Any) -> Corpus:
    return Corpus(settings_with(index_dir=index_dir, model=model, **extra))


def emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def note(message: str) -> None:
    """Progress and status for people: stderr, so stdout stays clean for --json."""
    click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="crosscheck")
@click.option("--debug", is_flag=True, envvar="CROSSCHECK_DEBUG", help="Show tracebacks (env CROSSCHECK_DEBUG).")
def cli(debug: bool) -> None:
    """Check claims against every source in a news corpus.

    \b
    Quick start:
      crosscheck search "1,000 troops moved to Romania"
      crosscheck ingest articles/ --index-dir ./my-index
      crosscheck sources
    """
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("sentence_transformers", "transformers", "httpx", "trafilatura", "htmldate"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.ERROR)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or per-file messages.")
def ingest(paths: tuple[Path, ...], index_dir: Path | None, model: str | None, quiet: bool) -> None:
    """Add articles to the index: .txt, .md, .html and .jsonl files or directories.

    A document replaces the one with the same source id (the file stem, or the
    `source_id` field in JSON Lines); ingesting an unchanged file does nothing.
    Files that cannot be read are reported and skipped.

    \b
    Examples:
      crosscheck ingest seeds/
      crosscheck ingest feed.jsonl article.html --index-dir ./index
    """
    corpus = make_corpus(index_dir, model)

    def warn(message: str) -> None:
        note(f"warning: {message}")

    report = corpus.ingest_paths(paths, progress=not quiet and sys.stderr.isatty(), on_warning=warn)
    note(f"{report.summary()}\nindex: {corpus.settings.index_dir}")
    if report.documents == 0 and report.failed:
        raise CrosscheckError("nothing was ingested")


@cli.command()
@click.argument("query")
@index_options
@click.option("--top-k", type=click.IntRange(1, 50), help="Passages per source (env CROSSCHECK_TOP_K).")
@click.option("--source", "sources", multiple=True, metavar="ID", help="Only these sources (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def search(
    query: str,
    index_dir: Path | None,
    model: str | None,
    top_k: int | None,
    sources: tuple[str, ...],
    as_json: bool,
) -> None:
    """Top passages per source for a text, in any language.

    Builds an index from the bundled seeds first when none exists.

    \b
    Examples:
      crosscheck search "1,000 troops moved to Romania"
      crosscheck search "Duizend militairen gaan naar Roemenië" --top-k 1 --json
    """
    corpus = make_corpus(index_dir, model, top_k=top_k)
    corpus.index(bootstrap=True, notify=note)
    (result,) = corpus.search([query], source_ids=sources or None)
    response = SearchResponse.from_core(result)
    if as_json:
        emit_json(response.model_dump())
        return
    click.echo(f"{len(response.sources)} sources for {query!r}\n")
    width = min(100, shutil.get_terminal_size().columns) if sys.stdout.isatty() else 100
    for source in response.sources:
        header = "  ".join(x for x in (source.published, source.language, source.title) if x)
        click.echo(click.style(source.source_id, bold=True) + (f"  {header}" if header else ""))
        for passage in source.passages:
            lines = textwrap.wrap(passage.text, width=width - 10) or [""]
            click.echo(f"  {passage.similarity:6.3f}  {lines[0]}")
            for line in lines[1:]:
                click.echo(f"          {line}")
        click.echo()


STANCE_COLOURS = {"supports": "green", "conflicts": "red", "neutral": "yellow"}
VERDICT_COLOURS = {"supported": "green", "refuted": "red", "conflicting": "magenta", "not_enough_evidence": "yellow"}


@cli.command()
@click.argument("claim")
@index_options
@click.option("--top-k", type=click.IntRange(1, 50), help="Passages shown per source (env CROSSCHECK_TOP_K).")
@click.option("--source", "sources", multiple=True, metavar="ID", help="Only these sources (repeatable).")
@click.option("--published-after", metavar="DATE", help="Only sources published on or after DATE (2022-02).")
@click.option("--published-before", metavar="DATE", help="Only sources published on or before DATE.")
@click.option("--json", "as_json", is_flag=True, help="The full result as JSON (the API's contract).")
def check(
    claim: str,
    index_dir: Path | None,
    model: str | None,
    top_k: int | None,
    sources: tuple[str, ...],
    published_after: str | None,
    published_before: str | None,
    as_json: bool,
) -> None:
    """Check a claim against every source: stance per source, with the reasons, and a verdict.

    \b
    Examples:
      crosscheck check "1,000 troops moved to Romania"
      crosscheck check "Rusland heeft 300.000 militairen aan de grens" --json
      crosscheck check "2,000 troops moved to Romania" --published-after 2022-02
    """
    from service.verify import Filters, Verifier

    corpus = make_corpus(index_dir, model, top_k=top_k)
    corpus.index(bootstrap=True, notify=note)
    filters = Filters.of(sources or None, published_after, published_before)
    result = VerificationResult.from_core(Verifier(corpus).verify(claim, filters=filters))
    if as_json:
        emit_json(result.model_dump())
        return
    render_check(result)


def render_check(result: VerificationResult) -> None:
    """A per-source table for people; colours only on a terminal (click strips them otherwise)."""
    width = min(110, shutil.get_terminal_size().columns) if sys.stdout.isatty() else 100
    verdict = click.style(result.verdict.replace("_", " ").upper(), fg=VERDICT_COLOURS[result.verdict], bold=True)
    click.echo(f"{result.claim!r} ({result.language})")
    click.echo(f"{verdict}  confidence {result.confidence:.2f}  {result.summary}\n")
    for source in result.sources:
        stance = click.style(f"{source.stance:<9}", fg=STANCE_COLOURS[source.stance], bold=source.stance != "neutral")
        header = "  ".join(x for x in (source.published or "undated", source.title or "") if x)
        click.echo(f"{stance} {source.score:4.2f}  {click.style(source.source_id, bold=True)}  {header}")
        for note_text in source.notes:
            click.echo(f"               note: {note_text}")
        shown = [p for p in source.passages if p.stance != "neutral"] or source.passages[:1]
        for passage in shown:
            mark = click.style(passage.stance[:4], fg=STANCE_COLOURS[passage.stance])
            lines = textwrap.wrap(passage.text, width=width - 24) or [""]
            click.echo(f"    {mark} {passage.score:4.2f} sim {passage.similarity:4.2f}  {lines[0]}")
            for line in lines[1:]:
                click.echo(f"{'':24}{line}")
            for reason in passage.reasons[:3]:
                click.echo(f"{'':24}- {reason}")
        click.echo()


@cli.command(name="eval")
@click.argument("claims_file", type=click.Path(dir_okay=False, path_type=Path))
@index_options
@click.option("--json", "as_json", is_flag=True, help="All figures and per-claim outcomes as JSON.")
def evaluate_command(claims_file: Path, index_dir: Path | None, model: str | None, as_json: bool) -> None:
    """Score the engine on labelled claims (JSON Lines: claim, verdict, supports, conflicts).

    Prints verdict accuracy (overall and per label), source-stance precision /
    recall / F1, evidence recall and the confusion table, as defined in the
    evaluation README.

    \b
    Example:
      crosscheck eval ../shared/eval/dev_claims.jsonl
    """
    from service.evaluation import VERDICTS, evaluate, iter_outcome_lines, load_claims
    from service.verify import Verifier

    claims = load_claims(claims_file)
    corpus = make_corpus(index_dir, model)
    corpus.index(bootstrap=True, notify=note)
    report = evaluate(Verifier(corpus), claims)
    if as_json:
        emit_json(report.as_dict())
        return
    click.echo(f"{report.claims} claims from {claims_file}\n")
    click.echo(f"verdict accuracy      {report.verdict_accuracy:.3f}")
    for label, figures in report.accuracy_by_label.items():
        click.echo(f"  {label:<20}  {figures['accuracy']:.3f}  ({figures['correct']:.0f}/{figures['total']:.0f})")
    click.echo(
        f"source stance         precision {report.stance_precision:.3f}  recall {report.stance_recall:.3f}  "
        f"F1 {report.stance_f1:.3f}"
    )
    click.echo(f"evidence recall       {report.evidence_recall:.3f}\n")
    short = {"supported": "supp", "refuted": "refu", "conflicting": "conf", "not_enough_evidence": "nee"}
    click.echo("confusion (rows: expected, columns: predicted)")
    click.echo(f"  {'':<20}" + "".join(f"{short[v]:>6}" for v in VERDICTS))
    for label in VERDICTS:
        click.echo(f"  {label:<20}" + "".join(f"{report.confusion[label][v]:>6}" for v in VERDICTS))
    misses = list(iter_outcome_lines(report))
    if misses:
        click.echo("\nclaims not fully right:")
        for line in misses:
            click.echo(line)


@cli.command()
@index_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def sources(index_dir: Path | None, model: str | None, as_json: bool) -> None:
    """The sources in the index, with date, language and sentence count."""
    corpus = make_corpus(index_dir, model)
    infos = [SourceInfo.from_core(s) for s in corpus.sources()]
    if as_json:
        emit_json([info.model_dump() for info in infos])
        return
    for info in infos:
        fields = [
            info.source_id,
            info.published or "-",
            info.language or "-",
            f"{info.sentence_count:>4} sentences",
        ]
        click.echo("  ".join(fields) + (f"  {info.title}" if info.title else ""))


@cli.command()
@click.argument("source_id")
@index_options
def delete(source_id: str, index_dir: Path | None, model: str | None) -> None:
    """Remove a source and its passages from the index."""
    corpus = make_corpus(index_dir, model)
    if not corpus.index().delete(source_id):
        raise CrosscheckError(f"no source {source_id!r} in the index")
    note(f"deleted {source_id}")


cli.add_command(serve)
cli.add_command(batch)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one clear line for every error, never a traceback unless asked."""
    debug = os.environ.get("CROSSCHECK_DEBUG", "").lower() in {"1", "true", "yes"}
    debug = debug or "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="crosscheck", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        note("Aborted.")
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        note("Interrupted.")
        sys.exit(EXIT_INTERRUPTED)
    except CrosscheckError as exc:
        if debug:
            raise
        note(f"Error: {exc}")
        sys.exit(EXIT_ERROR)
    except Exception as exc:
        if debug:
            raise
        note(f"Error: unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)")
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":  # pragma: no cover
    main()
