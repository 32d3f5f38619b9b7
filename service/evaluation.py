"""Scoring the engine on labelled claims.

Two formats, told apart line by line:

* claims over a corpus (``../shared/eval/README.md``): ``claim``, ``verdict``,
  ``supports`` / ``conflicts`` (source ids); each claim is checked against the
  whole index;
* claims that carry their own evidence (``../shared/eval/public/README.md``):
  ``id``, ``claim``, ``verdict``, ``documents`` (``source_id``, ``text``,
  ``url``); all of a file's documents are indexed once and each claim is checked
  against its own documents only, because its label says nothing about the
  others'. ``supports`` / ``conflicts`` may be given here too.

Figures:

* verdict accuracy (also per label), macro-F1 over the labels present in the
  file, per-label precision / recall / F1 and a confusion table;
* source-stance precision / recall / F1 over (claim, source, stance) triples with
  stance ``supports`` or ``conflicts`` (a non-neutral stance for a source the
  label leaves out is a false positive), and evidence recall (for every labelled
  (claim, source), whether the source's returned passages include one of its
  sentences at all): only when the file labels sources;
* two baselines scored the same way: the majority label, and similarity only
  (``supported`` when the best passage's similarity reaches a threshold, else
  ``not_enough_evidence``). Neither may see the claims it is scored on: the
  label and the threshold are chosen by k-fold cross-validation (each fold is
  predicted from what the other folds choose), or the threshold is given.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from index.documents import Document
from index.embedding import Embedder
from index.errors import DocumentError, IndexCorruptError, ModelMismatchError
from service.corpus import Corpus
from service.engine.verdict import Verdict
from service.errors import CrosscheckError
from service.settings import Settings
from service.verify import Filters, Verification, Verifier

VERDICTS: tuple[Verdict, ...] = ("supported", "refuted", "conflicting", "not_enough_evidence")
FOLDS = 5
# Bumped when what an evidence index holds changes for the same documents (the cache key includes it).
EVIDENCE_INDEX_FORMAT = 1


class ClaimsFileError(CrosscheckError):
    """A labelled-claims file that cannot be read; the message names the line."""


@dataclass(frozen=True)
class LabelledClaim:
    line: int
    claim: str
    verdict: Verdict
    supports: frozenset[str] = frozenset()
    conflicts: frozenset[str] = frozenset()
    lang: str | None = None
    id: str | None = None
    # The source ids of the claim's own documents; None: checked against the whole index.
    evidence: frozenset[str] | None = None


@dataclass(frozen=True)
class ClaimSet:
    """A claims file as read: its claims and, for claims with their own evidence, every document once."""

    path: Path
    claims: list[LabelledClaim]
    documents: dict[str, Document] = field(default_factory=dict)

    @property
    def own_evidence(self) -> bool:
        return bool(self.documents)

    @property
    def labels_sources(self) -> bool:
        """Whether source-stance figures mean anything: a corpus file always labels its sources
        (none listed is a label: every source neutral); an evidence file only where it lists some."""
        own = any(c.evidence is not None for c in self.claims)
        return not own or any(c.supports or c.conflicts for c in self.claims)

    @property
    def documents_digest(self) -> str:
        """Identity of the documents alone: relabelling claims keeps the cached index."""
        digest = hashlib.sha256(f"{EVIDENCE_INDEX_FORMAT}\n".encode())
        for source_id in sorted(self.documents):
            digest.update(self.documents[source_id].content_hash.encode())
        return digest.hexdigest()


def load_claims(path: str | Path) -> list[LabelledClaim]:
    return load_claim_set(path).claims


def load_claim_set(path: str | Path) -> ClaimSet:
    """Every line checked before anything runs, so a typo on line 40 fails in a second, not after 39 checks."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise ClaimsFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ClaimsFileError(f"{path}: cannot read ({exc})") from None
    claims: list[LabelledClaim] = []
    documents: dict[str, Document] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ClaimsFileError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise ClaimsFileError(f"{where}: expected a JSON object")
        claim = _claim(record, where, number, documents)
        if claims and (claim.evidence is None) != (claims[0].evidence is None):
            raise ClaimsFileError(
                f"{where}: every claim needs its own 'documents', or none does (line {claims[0].line} "
                f"{'has' if claims[0].evidence is not None else 'has none'})"
            )
        claims.append(claim)
    if not claims:
        raise ClaimsFileError(f"{path}: no claims")
    return ClaimSet(path, claims, documents)


def _claim(record: dict[str, Any], where: str, number: int, documents: dict[str, Document]) -> LabelledClaim:
    claim, verdict = record.get("claim"), record.get("verdict")
    if not isinstance(claim, str) or not claim.strip():
        raise ClaimsFileError(f"{where}: 'claim' must be a non-empty string")
    if verdict not in VERDICTS:
        raise ClaimsFileError(f"{where}: 'verdict' must be one of {', '.join(VERDICTS)}, got {verdict!r}")
    stances = {}
    for key in ("supports", "conflicts"):
        value = record.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ClaimsFileError(f"{where}: '{key}' must be a list of source ids")
        stances[key] = frozenset(value)
    if stances["supports"] & stances["conflicts"]:
        raise ClaimsFileError(f"{where}: a source is listed as both supporting and conflicting")
    claim_id, lang = record.get("id"), record.get("lang")
    if claim_id is not None and not isinstance(claim_id, str):
        raise ClaimsFileError(f"{where}: 'id' must be a string")
    evidence = None
    if "documents" in record:
        evidence = _documents(record["documents"], where, documents)
        if outside := sorted((stances["supports"] | stances["conflicts"]) - evidence):
            raise ClaimsFileError(f"{where}: labelled source(s) not among the claim's documents: {', '.join(outside)}")
    return LabelledClaim(
        number,
        claim,
        verdict,
        stances["supports"],
        stances["conflicts"],
        lang if isinstance(lang, str) else None,
        claim_id,
        evidence,
    )


def _documents(value: object, where: str, documents: dict[str, Document]) -> frozenset[str]:
    """The claim's documents, added to the file's; one source id is one text throughout the file."""
    if not isinstance(value, list) or not value:
        raise ClaimsFileError(f"{where}: 'documents' must be a non-empty list")
    ids = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise ClaimsFileError(f"{where}: documents[{i}] must be an object")
        url = item.get("url")
        if url is not None and not isinstance(url, str):
            raise ClaimsFileError(f"{where}: documents[{i}].url must be a string or null")
        try:
            document = Document(item.get("source_id"), item.get("text"), url=url)  # type: ignore[arg-type]
        except DocumentError as exc:
            raise ClaimsFileError(f"{where}: documents[{i}]: {exc}") from None
        known = documents.setdefault(document.source_id, document)
        if known != document:
            raise ClaimsFileError(f"{where}: source id {document.source_id!r} is used earlier with another text")
        ids.append(document.source_id)
    return frozenset(ids)


def evidence_index_dir(claim_set: ClaimSet, model: str) -> Path:
    """Where a file's evidence index is cached: under the user cache directory, keyed by the
    documents and the model, so a rerun (or a relabelled file) reuses it."""
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(f"{model}\n{claim_set.documents_digest}".encode()).hexdigest()[:16]
    return cache_home / "crosscheck" / "eval" / f"{claim_set.path.stem}-{key}"


def evidence_corpus(
    claim_set: ClaimSet,
    settings: Settings,
    *,
    disposable: bool,
    notify: Callable[[str], None] | None = None,
    embedder: Embedder | None = None,
) -> Corpus:
    """A corpus over the file's documents at ``settings.index_dir``, indexed once (unchanged documents
    are skipped). A ``disposable`` (cached) index that no longer opens is rebuilt; any other is not
    touched."""
    corpus = Corpus(settings, embedder)
    try:
        report = corpus.ingest_documents(claim_set.documents.values())
    except (IndexCorruptError, ModelMismatchError):
        if not disposable:
            raise
        shutil.rmtree(settings.index_dir, ignore_errors=True)
        corpus = Corpus(settings, embedder)
        report = corpus.ingest_documents(claim_set.documents.values())
    if notify and (report.added or report.replaced):
        notify(f"Indexed {report.documents} evidence documents, {report.sentences} sentences.")
    return corpus


@dataclass
class ClaimOutcome:
    line: int
    claim: str
    expected: str
    predicted: str
    confidence: float
    best_similarity: float = 0.0
    id: str | None = None
    true_positives: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)
    evidence_missing: list[str] = field(default_factory=list)


@dataclass
class Figures:
    """Verdict figures of one set of predictions."""

    accuracy: float
    macro_f1: float
    per_label: dict[str, dict[str, float]]  # precision, recall, f1, gold, predicted
    confusion: dict[str, dict[str, int]]  # rows: expected, columns: predicted


@dataclass
class Baseline:
    name: str
    method: str
    figures: Figures
    choices: list[str]  # what each fold chose (a label, a threshold)


@dataclass
class EvalReport:
    claims: int
    verdict_accuracy: float
    accuracy_by_label: dict[str, dict[str, float]]
    stance_precision: float | None
    stance_recall: float | None
    stance_f1: float | None
    evidence_recall: float | None
    confusion: dict[str, dict[str, int]]
    outcomes: list[ClaimOutcome]
    macro_f1: float = 0.0
    labels: list[str] = field(default_factory=list)  # the labels present, which macro-F1 averages over
    per_label: dict[str, dict[str, float]] = field(default_factory=dict)
    baselines: list[Baseline] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(num: float, den: float) -> float:
    return round(num / den, 4) if den else 0.0


def verdict_figures(gold: Sequence[str], predicted: Sequence[str]) -> Figures:
    """Accuracy, macro-F1 over the labels present in ``gold``, per-label figures and the confusion table.

    A label that is predicted but never gold gets a row (its precision is 0) without entering
    the macro average, which describes the file's labels.
    """
    confusion: dict[str, dict[str, int]] = {g: dict.fromkeys(VERDICTS, 0) for g in VERDICTS}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    present = [v for v in VERDICTS if v in set(gold)]
    per_label: dict[str, dict[str, float]] = {}
    for label in VERDICTS:
        hits = confusion[label][label]
        n_gold = sum(confusion[label].values())
        n_predicted = sum(confusion[g][label] for g in VERDICTS)
        if not n_gold and not n_predicted:
            continue
        precision, recall = _ratio(hits, n_predicted), _ratio(hits, n_gold)
        per_label[label] = {
            "precision": precision,
            "recall": recall,
            "f1": _ratio(2 * precision * recall, precision + recall),
            "gold": n_gold,
            "predicted": n_predicted,
        }
    correct = sum(confusion[v][v] for v in VERDICTS)
    return Figures(
        accuracy=_ratio(correct, len(gold)),
        macro_f1=_ratio(sum(per_label[label]["f1"] for label in present), len(present)),
        per_label=per_label,
        confusion=confusion,
    )


def folds(n: int, k: int = FOLDS) -> list[list[int]]:
    """Claim positions split into ``k`` folds by position (every k-th claim): deterministic, and a
    file sorted by label still puts every label in every fold."""
    k = min(k, n)
    return [list(range(i, n, k)) for i in range(k)]


Fit = Callable[[Sequence[int]], tuple[Callable[[int], Verdict], str]]


def cross_validated(n: int, fit: Fit, k: int = FOLDS) -> tuple[list[Verdict], list[str]]:
    """Each claim predicted by a rule fitted on the other folds only; also what each fold chose."""
    predicted: list[Verdict] = ["not_enough_evidence"] * n
    choices = []
    for held_out in folds(n, k):
        outside = set(held_out)
        rule, choice = fit([i for i in range(n) if i not in outside])
        choices.append(choice)
        for i in held_out:
            predicted[i] = rule(i)
    return predicted, choices


def majority_fit(gold: Sequence[Verdict]) -> Fit:
    def fit(train: Sequence[int]) -> tuple[Callable[[int], Verdict], str]:
        counts = Counter(gold[i] for i in train)
        label = max(VERDICTS, key=lambda v: (counts[v], -VERDICTS.index(v)))
        return (lambda _i: label), label

    return fit


def similarity_rule(similarities: Sequence[float], threshold: float) -> Callable[[int], Verdict]:
    return lambda i: "supported" if similarities[i] >= threshold else "not_enough_evidence"


def best_threshold(gold: Sequence[Verdict], similarities: Sequence[float]) -> float:
    """The threshold with the best macro-F1 (then accuracy) on these claims, midway between two
    similarities so that it does not sit on one claim; ties go to the lower threshold."""
    values = sorted(set(similarities))
    candidates = [values[0] - 0.01, *((a + b) / 2 for a, b in pairwise(values)), values[-1] + 0.01]
    best, best_key = candidates[0], (-1.0, -1.0)
    for threshold in candidates:
        rule = similarity_rule(similarities, threshold)
        figures = verdict_figures(gold, [rule(i) for i in range(len(gold))])
        key = (figures.macro_f1, figures.accuracy)
        if key > best_key:
            best, best_key = threshold, key
    return round(best, 4)


def similarity_fit(gold: Sequence[Verdict], similarities: Sequence[float]) -> Fit:
    def fit(train: Sequence[int]) -> tuple[Callable[[int], Verdict], str]:
        threshold = best_threshold([gold[i] for i in train], [similarities[i] for i in train])
        return similarity_rule(similarities, threshold), f"{threshold:.4f}"

    return fit


def baselines(
    gold: Sequence[Verdict], similarities: Sequence[float], *, k: int = FOLDS, threshold: float | None = None
) -> list[Baseline]:
    """The majority label and similarity alone, neither chosen on the claims it is scored on."""
    n = len(gold)
    if n < 2:
        return []
    scheme = f"{min(k, n)}-fold cross-validation: each fold scored with what the other folds chose"
    majority, labels = cross_validated(n, majority_fit(gold), k)
    found = [Baseline("majority label", f"the most frequent label; {scheme}", verdict_figures(gold, majority), labels)]
    if threshold is None:
        by_similarity, thresholds = cross_validated(n, similarity_fit(gold, similarities), k)
        method = f"supported when the best passage's similarity reaches a threshold (best macro-F1); {scheme}"
    else:
        rule = similarity_rule(similarities, threshold)
        by_similarity, thresholds = [rule(i) for i in range(n)], [f"{threshold:.4f}"]
        method = "supported when the best passage's similarity reaches the threshold given"
    found.append(Baseline("similarity only", method, verdict_figures(gold, by_similarity), thresholds))
    return found


def score(
    pairs: Iterable[tuple[LabelledClaim, Verification]],
    *,
    labels_sources: bool = True,
    k: int = FOLDS,
    threshold: float | None = None,
) -> EvalReport:
    outcomes: list[ClaimOutcome] = []
    tp = fp = fn = 0
    evidence_hits = evidence_total = 0
    for labelled, result in pairs:
        # sorted: a frozenset's order changes with the process's hash seed, and the outcomes list its ids
        gold = {
            **{s: "supports" for s in sorted(labelled.supports)},
            **{s: "conflicts" for s in sorted(labelled.conflicts)},
        }
        predicted = {s.source.source_id: s.stance for s in result.sources if s.stance != "neutral"}
        best = max((s.best_similarity for s in result.sources), default=0.0)
        outcome = ClaimOutcome(
            labelled.line, labelled.claim, labelled.verdict, result.verdict, result.confidence, best, labelled.id
        )
        if not labels_sources:  # nothing to compare the sources' stances with
            gold, predicted = {}, {}
        for source_id, stance in predicted.items():
            if gold.get(source_id) == stance:
                tp += 1
                outcome.true_positives.append(source_id)
            else:
                fp += 1
                outcome.false_positives.append(f"{source_id}:{stance}")
        for source_id, wanted in gold.items():
            if predicted.get(source_id) != wanted:
                fn += 1
                outcome.false_negatives.append(f"{source_id}:{wanted}")
        returned = {s.source.source_id for s in result.sources if s.passages}
        for source_id in gold:
            evidence_total += 1
            if source_id in returned:
                evidence_hits += 1
            else:
                outcome.evidence_missing.append(source_id)
        outcomes.append(outcome)

    gold_labels: list[Verdict] = [o.expected for o in outcomes]  # type: ignore[misc]
    figures = verdict_figures(gold_labels, [o.predicted for o in outcomes])
    by_label = {
        label: {"correct": figures.confusion[label][label], "total": row["gold"], "accuracy": row["recall"]}
        for label, row in figures.per_label.items()
        if row["gold"]
    }
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return EvalReport(
        claims=len(outcomes),
        verdict_accuracy=figures.accuracy,
        accuracy_by_label=by_label,
        stance_precision=precision if labels_sources else None,
        stance_recall=recall if labels_sources else None,
        stance_f1=_ratio(2 * precision * recall, precision + recall) if labels_sources else None,
        evidence_recall=(_ratio(evidence_hits, evidence_total) if evidence_total else 1.0) if labels_sources else None,
        confusion=figures.confusion,
        outcomes=outcomes,
        macro_f1=figures.macro_f1,
        labels=[v for v in VERDICTS if v in set(gold_labels)],
        per_label=figures.per_label,
        baselines=baselines(gold_labels, [o.best_similarity for o in outcomes], k=k, threshold=threshold),
    )


def verify_labelled(verifier: Verifier, claims: Sequence[LabelledClaim]) -> Iterator[Verification]:
    """Each claim's verification: over the whole index, or over its own documents only."""
    if all(c.evidence is None for c in claims):
        yield from verifier.verify_many(c.claim for c in claims)
        return
    indexed = {s.source_id for s in verifier.corpus.sources()}
    for c in claims:
        own = (c.evidence or frozenset()) & indexed
        if not own:  # none of its documents held a sentence: nothing to check it against
            yield Verification(c.claim, c.lang or "", "not_enough_evidence", 1.0, (), ("no evidence indexed",))
            continue
        yield verifier.verify(c.claim, filters=Filters.of(own))


def evaluate(
    verifier: Verifier,
    claims: Sequence[LabelledClaim] | ClaimSet,
    *,
    k: int = FOLDS,
    threshold: float | None = None,
) -> EvalReport:
    claim_set = claims if isinstance(claims, ClaimSet) else ClaimSet(Path(), list(claims))
    results = verify_labelled(verifier, claim_set.claims)
    return score(
        zip(claim_set.claims, results, strict=True), labels_sources=claim_set.labels_sources, k=k, threshold=threshold
    )


def iter_outcome_lines(report: EvalReport) -> Iterator[str]:
    for o in report.outcomes:
        if o.expected == o.predicted and not o.false_positives and not o.false_negatives:
            continue
        mark = "verdict" if o.expected != o.predicted else "stance"
        detail = []
        if o.false_positives:
            detail.append("extra " + ", ".join(o.false_positives))
        if o.false_negatives:
            detail.append("missed " + ", ".join(o.false_negatives))
        where = f"line {o.line}" + (f" {o.id}" if o.id else "")
        yield f"  {where} ({mark}): {o.claim!r} expected {o.expected}, got {o.predicted}" + (
            f"; {'; '.join(detail)}" if detail else ""
        )
