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

from service.corpus import Corpus
from service.errors import CrosscheckError
from service.schemas import SearchResponse, SourceInfo
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
