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
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from index.store import SearchFilters
from service.api.server import serve
from service.batch.cli import batch
from service.corpus import Corpus
from service.errors import CrosscheckError
from service.schemas import SearchResponse, SourceInfo, VerificationResult
from service.settings import settings_with

if TYPE_CHECKING:
    from service.evaluation import EvalReport

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
    for noisy in ("sentence_transformers", "transformers", "httpx", "trafilatura", "htmldate", "pymilvus"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.ERROR)


def fetch_options(func: F) -> F:
    """``--fetch-allow-private``: the one fetch setting a person needs per run (tests, intranets)."""
    return click.option(
        "--fetch-allow-private",
        is_flag=True,
        default=None,
        help="Also fetch from loopback, private and link-local addresses (env CROSSCHECK_FETCH_ALLOW_PRIVATE).",
    )(func)


@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH_OR_URL...")
@index_options
@fetch_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or per-file messages.")
def ingest(
    paths: tuple[str, ...], index_dir: Path | None, model: str | None, fetch_allow_private: bool | None, quiet: bool
) -> None:
    """Add articles to the index: files, directories, article URLs, and RSS/Atom feeds or sitemaps.

    A document replaces the one with the same source id (the file stem, the
    `source_id` field in JSON Lines, or one made from an article's canonical
    URL); ingesting an unchanged file does nothing. A feed or sitemap (a URL,
    or a .xml/.rss/.atom file) brings in every article it lists, each page
    fetched; what was fetched is remembered beside the index, so the next run
    fetches only new or changed items. Files and URLs that fail are reported
    and skipped.

    \b
    Examples:
      crosscheck ingest seeds/
      crosscheck ingest feed.jsonl article.html --index-dir ./index
      crosscheck ingest https://example.org/news/rss.xml https://example.org/2022/02/troops.html
    """
    corpus = make_corpus(index_dir, model, fetch_allow_private=fetch_allow_private)

    def warn(message: str) -> None:
        note(f"warning: {message}")

    report = corpus.ingest_paths(paths, progress=not quiet and sys.stderr.isatty(), on_warning=warn)
    note(f"{report.summary()}\nindex: {corpus.settings.index_dir}")
    if report.documents == 0 and report.failed:
        raise CrosscheckError("nothing was ingested")


@cli.command()
@click.argument("feeds_file", metavar="FEEDS.txt", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--every", default="15m", show_default=True, metavar="INTERVAL", help="Time between rounds: 30s, 15m, 2h, 1d."
)
@click.option("--rounds", type=click.IntRange(min=1), help="Stop after this many rounds (default: run until stopped).")
@index_options
@fetch_options
@click.option("--quiet", "-q", is_flag=True, help="Only the one-line summary of each round.")
def watch(
    feeds_file: Path,
    every: str,
    rounds: int | None,
    index_dir: Path | None,
    model: str | None,
    fetch_allow_private: bool | None,
    quiet: bool,
) -> None:
    """Keep the index current with a list of feeds and sitemaps (one URL a line).

    Every round reads each feed and ingests the items that are new or changed
    since the last round; items seen before are not fetched again. A feed that
    fails is retried after one interval, then two, four, ... (at most a day).
    Ctrl-C finishes the round in progress and stops; a second Ctrl-C stops at once.

    \b
    Example:
      crosscheck watch feeds.txt --every 15m --index-dir ./index
    """
    from datetime import datetime

    from service.watch import parse_interval, stop_on_signals
    from service.watch import watch as watch_feeds

    seconds = parse_interval(every)
    corpus = make_corpus(index_dir, model, fetch_allow_private=fetch_allow_private)

    def warn(message: str) -> None:
        if not quiet:
            note(f"warning: {message}")

    def done(round_: Any) -> None:
        stamp = datetime.fromtimestamp(round_.started).strftime("%H:%M:%S")
        summary = round_.report.summary().replace("\n", "; ")
        note(f"[{stamp}] round {round_.number}: {summary}")

    note(f"watching {feeds_file} every {every} into {corpus.settings.index_dir} (Ctrl-C to stop)")
    with stop_on_signals(note) as stop:
        count = watch_feeds(corpus, feeds_file, seconds, stop=stop, rounds=rounds, on_round=done, on_warning=warn)
    note(f"stopped after {count} round{'s' if count != 1 else ''}")


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
    corpus.store(bootstrap=True, notify=note)
    (result,) = corpus.search([query], filters=SearchFilters(source_ids=frozenset(sources)) if sources else None)
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
@click.option("--json", "as_json", is_flag=True, help="The full result as JSON (the API's contract); --format json.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "claimreview"]),
    help="text (default), json (the API's contract) or claimreview (schema.org ClaimReview JSON-LD).",
)
@click.option(
    "--appearance",
    "appearances",
    multiple=True,
    metavar="URL",
    help="Where the claim was seen (repeatable; the first is its first appearance): ClaimReview's itemReviewed.",
)
def check(
    claim: str,
    index_dir: Path | None,
    model: str | None,
    top_k: int | None,
    sources: tuple[str, ...],
    published_after: str | None,
    published_before: str | None,
    as_json: bool,
    output_format: str | None,
    appearances: tuple[str, ...],
) -> None:
    """Check a claim against every source: stance per source, with the reasons, and a verdict.

    ClaimReview output names its author from CROSSCHECK_REVIEW_AUTHOR (and _TYPE, _URL) and links
    to the web page at CROSSCHECK_PUBLIC_URL; docs/claimreview.md explains the rating scale.

    \b
    Examples:
      crosscheck check "1,000 troops moved to Romania"
      crosscheck check "Rusland heeft 300.000 militairen aan de grens" --json
      crosscheck check "2,000 troops moved to Romania" --published-after 2022-02
      crosscheck check "1,000 troops moved to Romania" --format claimreview --appearance https://example.org/post
    """
    from service.claimreview import claim_review
    from service.schemas import verification_contract
    from service.settings import reviewer
    from service.verify import Filters, Verifier

    if as_json and output_format not in (None, "json"):
        raise click.UsageError(f"--json and --format {output_format} ask for different outputs; give one")
    corpus = make_corpus(index_dir, model, top_k=top_k)
    corpus.store(bootstrap=True, notify=note)
    filters = Filters.of(sources or None, published_after, published_before)
    verification = Verifier(corpus).verify(claim, filters=filters)
    if output_format == "claimreview":
        review = claim_review(verification_contract(verification), reviewer(corpus.settings), appearances=appearances)
        emit_json(review)
        return
    result = VerificationResult.from_core(verification)
    if as_json or output_format == "json":
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
        if related := source.related_text():
            click.echo(f"               {related}")
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
@click.option(
    "--index-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Index directory. Claims over a corpus: the corpus's index (env CROSSCHECK_INDEX_DIR). Claims "
    "with their own documents: where those are indexed (default: a cache keyed by the documents and the "
    "model, under $XDG_CACHE_HOME/crosscheck/eval/; never your corpus's index).",
)
@click.option(
    "--model",
    metavar="NAME",
    help="Embedding model (env CROSSCHECK_MODEL; default: the bundled use-multilingual-v3).",
)
@click.option(
    "--folds",
    type=click.IntRange(2, 100),
    default=5,
    show_default=True,
    help="Cross-validation folds in which the baselines choose their label and threshold.",
)
@click.option(
    "--similarity-threshold",
    type=click.FloatRange(-1.0, 1.0),
    help="A fixed threshold for the similarity-only baseline (chosen elsewhere) instead of cross-validation.",
)
@click.option("--json", "as_json", is_flag=True, help="All figures and per-claim outcomes as JSON.")
def evaluate_command(
    claims_file: Path,
    index_dir: Path | None,
    model: str | None,
    folds: int,
    similarity_threshold: float | None,
    as_json: bool,
) -> None:
    """Score the engine on labelled claims (JSON Lines).

    \b
    Two formats (see eval/README.md):
      claims over a corpus: claim, verdict, supports, conflicts; checked against the whole index;
      claims with their own evidence: id, claim, verdict, documents; every document of the file is
        indexed once (cached) and each claim is checked against its own documents only.

    Prints verdict accuracy, macro-F1 over the labels present, per-label precision
    and recall, the confusion table, source-stance precision / recall / F1 and
    evidence recall (when the file labels sources), and two baselines scored the
    same way: the majority label, and similarity only, each chosen by
    cross-validation (never on the claims it scores).

    \b
    Examples:
      crosscheck eval eval/dev_claims.jsonl
      crosscheck eval ../shared/eval/public/vitaminc_dev.jsonl --json
    """
    from service.evaluation import evaluate, evidence_corpus, evidence_index_dir, load_claim_set
    from service.verify import Verifier

    claim_set = load_claim_set(claims_file)
    if claim_set.own_evidence:
        settings = settings_with(model=model)
        target = index_dir or evidence_index_dir(claim_set, settings.model)
        corpus = evidence_corpus(
            claim_set, settings_with(index_dir=target, model=model), disposable=index_dir is None, notify=note
        )
        where = f"each claim checked against its own documents; index {target}"
    else:
        corpus = make_corpus(index_dir, model)
        corpus.store(bootstrap=True, notify=note)
        where = f"checked against the index {corpus.settings.index_dir}"
    report = evaluate(Verifier(corpus), claim_set, k=folds, threshold=similarity_threshold)
    if as_json:
        emit_json({"file": str(claims_file), "method": where, **report.as_dict()})
        return
    render_eval(report, f"{report.claims} claims from {claims_file} ({where})")


def render_eval(report: EvalReport, title: str) -> None:
    from service.evaluation import VERDICTS, iter_outcome_lines

    short = {"supported": "supp", "refuted": "refu", "conflicting": "conf", "not_enough_evidence": "nee"}
    click.echo(f"{title}\n")
    click.echo(f"verdict accuracy      {report.verdict_accuracy:.3f}")
    click.echo(f"macro-F1              {report.macro_f1:.3f}  (over {', '.join(report.labels)})")
    click.echo(f"  {'label':<20}  precision  recall     F1  gold  predicted")
    for label, row in report.per_label.items():
        click.echo(
            f"  {label:<20}  {row['precision']:>9.3f}  {row['recall']:>6.3f}  {row['f1']:>5.3f}"
            f"  {row['gold']:>4.0f}  {row['predicted']:>9.0f}"
        )
    if report.stance_f1 is not None:
        click.echo(
            f"source stance         precision {report.stance_precision:.3f}  recall {report.stance_recall:.3f}  "
            f"F1 {report.stance_f1:.3f}"
        )
        click.echo(f"evidence recall       {report.evidence_recall:.3f}")
    click.echo("\nconfusion (rows: expected, columns: predicted)")
    click.echo(f"  {'':<20}" + "".join(f"{short[v]:>6}" for v in VERDICTS))
    for label in VERDICTS:
        click.echo(f"  {label:<20}" + "".join(f"{report.confusion[label][v]:>6}" for v in VERDICTS))
    if report.baselines:
        click.echo("\nbaselines (same figures)")
        for baseline in report.baselines:
            chose = ", ".join(dict.fromkeys(baseline.choices))
            click.echo(
                f"  {baseline.name:<18}  accuracy {baseline.figures.accuracy:.3f}  "
                f"macro-F1 {baseline.figures.macro_f1:.3f}  (chose {chose})"
            )
            click.echo(f"  {'':<18}  {baseline.method}")
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
    if not corpus.delete(source_id):
        raise CrosscheckError(f"no source {source_id!r} in the index")
    note(f"deleted {source_id}")


@cli.command()
@click.option("--to", "to", type=click.Choice(["faiss", "milvus"]), required=True, help="The store to copy into.")
@click.option(
    "--to-uri",
    metavar="URI",
    help="Milvus to copy into: http://host:19530, or a local path for milvus-lite (env CROSSCHECK_MILVUS_URI).",
)
@click.option(
    "--to-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Index directory to copy into with --to faiss (default: --index-dir when the index is in Milvus).",
)
@index_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def migrate(
    to: str, to_uri: str | None, to_dir: Path | None, index_dir: Path | None, model: str | None, quiet: bool
) -> None:
    """Copy the index into another store: sources, passages and their vectors, nothing embedded again.

    The index read is the one the service uses (CROSSCHECK_STORE, default faiss in --index-dir).
    Sources the target already holds unchanged are skipped, so an interrupted run resumes and a
    second run copies nothing. Afterwards, point the service at the new store.

    \b
    Examples:
      crosscheck migrate --to milvus --to-uri http://localhost:19530
      crosscheck migrate --to milvus --to-uri ./archive-milvus.db     # milvus-lite, one process
      CROSSCHECK_STORE=milvus crosscheck migrate --to faiss --to-dir ./index
    """
    from index.store import open_store
    from index.store.transfer import transfer

    settings = settings_with(index_dir=index_dir, model=model)
    if to == "milvus":
        to_uri = to_uri or (settings.milvus_uri if settings.store != "milvus" else None)
        if not to_uri:
            raise click.UsageError("--to milvus needs --to-uri (http://host:19530, or a local path for milvus-lite)")
        to_dir = settings.index_dir
    else:
        to_dir = to_dir or (settings.index_dir if settings.store != "faiss" else None)
        if to_dir is None:
            raise click.UsageError("--to faiss needs --to-dir, a directory other than the index being copied")
    if to == settings.store and (to_uri or str(to_dir)) == (settings.milvus_uri or str(settings.index_dir)):
        raise click.UsageError("the target is the store being copied")
    source = open_store(settings.index_dir, model=model, backend=settings.store, uri=settings.milvus_uri)
    try:
        target = open_store(to_dir, model=source.model, dimension=source.dimension, backend=to, uri=to_uri)
        try:
            report = transfer(source, target, progress=not quiet and sys.stderr.isatty())
            counts = target.counts()
        finally:
            target.close()
    finally:
        source.close()
    where = f"CROSSCHECK_MILVUS_URI={to_uri}" if to == "milvus" else f"CROSSCHECK_INDEX_DIR={to_dir}"
    note(f"{report.summary()}; the {to} store holds {counts.sources} sources, {counts.passages} passages")
    note(f"serve from it with CROSSCHECK_STORE={to} {where}")


@cli.command()
@index_options
@click.option("--repair", is_flag=True, help="Fix what can be fixed (re-embeds damaged sources from their text).")
def doctor(index_dir: Path | None, model: str | None, repair: bool) -> None:
    """Check the index for damage: missing rows, vectors or files, an out-of-step lexical index.

    Every source keeps its text, so a source that lost passages or vectors is
    split and embedded again; vectors without a passage are dropped. Exits 1
    while damage remains.

    \b
    Examples:
      crosscheck doctor
      crosscheck doctor --repair --index-dir ./my-index
    """
    from index.store import check_store

    corpus = make_corpus(index_dir, model)
    problems, done = check_store(corpus.settings.index_dir, repair=repair, encode=corpus.embed if repair else None)
    if not problems:
        note(f"index at {corpus.settings.index_dir}: no damage found")
        return
    if not repair:
        raise CrosscheckError(
            f"the index at {corpus.settings.index_dir} is damaged: {'; '.join(problems)}. "
            "Run `crosscheck doctor --repair` to fix what can be fixed"
        )
    for problem in problems:
        note(f"damage: {problem}")
    for action in done:
        note(f"repair: {action}")
    if any(action.startswith("NOT repaired") for action in done):
        raise CrosscheckError("some damage could not be repaired; rebuild the index with `crosscheck ingest`")


@cli.command()
@index_options
def compact(index_dir: Path | None, model: str | None) -> None:
    """Compact the index now rather than when due.

    Drops the vectors of deleted passages, merges segments, and for a large
    index (above ~20,000 passages) builds or retrains the approximate (IVF) index.
    """
    corpus = make_corpus(index_dir, model)
    store = corpus.store()
    started = time.perf_counter()
    did = store.compact(force=True)
    counts = store.counts()
    what = "compacted" if did else "nothing to compact"
    note(f"{what}: {counts.sources:,} sources, {counts.passages:,} passages ({time.perf_counter() - started:.1f}s)")


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
