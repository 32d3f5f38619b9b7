"""Scoring the engine on labelled claims (the format of ``../shared/eval/README.md``).

Figures, as the README defines them:

* verdict accuracy: share of claims whose overall verdict equals the label, also per label;
* source-stance precision / recall / F1 over (claim, source, stance) triples with
  stance ``supports`` or ``conflicts``; a non-neutral stance for a source the label
  leaves out is a false positive;
* evidence recall: for every labelled (claim, source), whether the source's
  returned passages include one of its sentences at all.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from service.errors import CrosscheckError
from service.verdict import Verdict
from service.verify import Verification, Verifier

VERDICTS: tuple[Verdict, ...] = ("supported", "refuted", "conflicting", "not_enough_evidence")


class ClaimsFileError(CrosscheckError):
    """A labelled-claims file that cannot be read; the message names the line."""


@dataclass(frozen=True)
class LabelledClaim:
    line: int
    claim: str
    verdict: Verdict
    supports: frozenset[str]
    conflicts: frozenset[str]
    lang: str | None = None


def load_claims(path: str | Path) -> list[LabelledClaim]:
    """Every line checked before anything runs, so a typo on line 40 fails in a second, not after 39 checks."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise ClaimsFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ClaimsFileError(f"{path}: cannot read ({exc})") from None
    claims = []
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
        claims.append(
            LabelledClaim(number, claim, verdict, stances["supports"], stances["conflicts"], record.get("lang"))
        )
    if not claims:
        raise ClaimsFileError(f"{path}: no claims")
    return claims


@dataclass
class ClaimOutcome:
    line: int
    claim: str
    expected: str
    predicted: str
    confidence: float
    true_positives: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)
    evidence_missing: list[str] = field(default_factory=list)


@dataclass
class EvalReport:
    claims: int
    verdict_accuracy: float
    accuracy_by_label: dict[str, dict[str, float]]
    stance_precision: float
    stance_recall: float
    stance_f1: float
    evidence_recall: float
    confusion: dict[str, dict[str, int]]
    outcomes: list[ClaimOutcome]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(num: float, den: float) -> float:
    return round(num / den, 4) if den else 0.0


def score(pairs: Iterable[tuple[LabelledClaim, Verification]]) -> EvalReport:
    outcomes: list[ClaimOutcome] = []
    confusion: dict[str, Counter[str]] = {v: Counter() for v in VERDICTS}
    tp = fp = fn = 0
    evidence_hits = evidence_total = 0
    for labelled, result in pairs:
        gold = {**{s: "supports" for s in labelled.supports}, **{s: "conflicts" for s in labelled.conflicts}}
        predicted = {s.source.source_id: s.stance for s in result.sources if s.stance != "neutral"}
        outcome = ClaimOutcome(labelled.line, labelled.claim, labelled.verdict, result.verdict, result.confidence)
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
        confusion[labelled.verdict][result.verdict] += 1
        outcomes.append(outcome)

    by_label: dict[str, dict[str, float]] = {}
    for label in VERDICTS:
        total = sum(confusion[label].values())
        if total:
            by_label[label] = {
                "correct": confusion[label][label],
                "total": total,
                "accuracy": _ratio(confusion[label][label], total),
            }
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    correct = sum(confusion[v][v] for v in VERDICTS)
    return EvalReport(
        claims=len(outcomes),
        verdict_accuracy=_ratio(correct, len(outcomes)),
        accuracy_by_label=by_label,
        stance_precision=precision,
        stance_recall=recall,
        stance_f1=_ratio(2 * precision * recall, precision + recall),
        evidence_recall=_ratio(evidence_hits, evidence_total) if evidence_total else 1.0,
        confusion={k: {v: confusion[k][v] for v in VERDICTS} for k in VERDICTS},
        outcomes=outcomes,
    )


def evaluate(verifier: Verifier, claims: list[LabelledClaim]) -> EvalReport:
    results = verifier.verify_many(c.claim for c in claims)
    return score(zip(claims, results, strict=True))


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
        yield f"  line {o.line} ({mark}): {o.claim!r} expected {o.expected}, got {o.predicted}" + (
            f"; {'; '.join(detail)}" if detail else ""
        )
