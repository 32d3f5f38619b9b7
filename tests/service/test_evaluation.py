from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from index.errors import ModelMismatchError
from index.store import Passage, SourceRecord
from service.engine.verdict import Verdict
from service.evaluation import (
    ClaimsFileError,
    LabelledClaim,
    baselines,
    best_threshold,
    cross_validated,
    evaluate,
    evidence_corpus,
    evidence_index_dir,
    folds,
    load_claim_set,
    load_claims,
    score,
    verdict_figures,
    verify_labelled,
)
from service.settings import Settings
from service.verify import PassageResult, SourceResult, Verification, Verifier
from tests.conftest import REPO, SHARED, FakeEmbedder


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "claims.jsonl"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_dev_file_loads() -> None:
    claims = load_claims(REPO / "eval" / "dev_claims.jsonl")
    assert len(claims) == 28 and claims[0].line == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"claim": "a", "verdict": "supported"}\nnot json\n', ":2: not valid JSON"),
        ('{"claim": "", "verdict": "supported"}\n', ":1: 'claim' must be a non-empty string"),
        ('{"claim": "a", "verdict": "true"}\n', ":1: 'verdict' must be one of"),
        ('{"claim": "a", "verdict": "refuted", "conflicts": "000"}\n', ":1: 'conflicts' must be a list"),
        (
            '{"claim": "a", "verdict": "refuted", "supports": ["x"], "conflicts": ["x"]}\n',
            "both supporting and conflicting",
        ),
        ("\n\n", "no claims"),
    ],
)
def test_malformed_files_fail_with_the_line(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(ClaimsFileError, match=message):
        load_claims(write(tmp_path, content))


def test_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ClaimsFileError, match="no such file"):
        load_claims(tmp_path / "missing.jsonl")


def source(source_id: str, stance: str) -> SourceResult:
    record = SourceRecord(source_id, None, None, None, "nl", None, "h", 1)
    passage = PassageResult(Passage(1, source_id, "text", 0, 4, 0, 0), 0.5, stance, 0.9, ())  # type: ignore[arg-type]
    return SourceResult(record, stance, 0.9, (passage,), 0.5)  # type: ignore[arg-type]


def test_scoring_follows_the_readme_definitions() -> None:
    claims = [
        LabelledClaim(1, "a", "supported", frozenset({"s1", "s2"}), frozenset()),
        LabelledClaim(2, "b", "refuted", frozenset(), frozenset({"s1"})),
    ]
    results = [
        # s1 right, s2 missed (neutral but returned), s3 a false positive
        Verification(
            "a", "en", "supported", 0.9, (source("s1", "supports"), source("s2", "neutral"), source("s3", "supports"))
        ),
        # wrong verdict, s1 missed and not returned at all
        Verification("b", "en", "not_enough_evidence", 0.6, ()),
    ]
    report = score(zip(claims, results, strict=True))
    assert report.verdict_accuracy == 0.5
    assert report.accuracy_by_label["supported"]["accuracy"] == 1.0
    assert report.accuracy_by_label["refuted"]["accuracy"] == 0.0
    assert (report.stance_precision, report.stance_recall) == (0.5, pytest.approx(1 / 3, abs=1e-4))
    assert report.stance_f1 == pytest.approx(0.4, abs=1e-4)
    assert report.evidence_recall == pytest.approx(2 / 3, abs=1e-4)  # s1 and s2 returned for claim a; s1 not for b
    assert report.confusion["refuted"]["not_enough_evidence"] == 1


# -- claims that carry their own evidence (the format of ../shared/eval/public/README.md) --


def evidence_line(claim_id: str, claim: str, verdict: str, *docs: tuple[str, str], **extra: object) -> str:
    documents = [{"source_id": sid, "text": text, "url": None} for sid, text in docs]
    return json.dumps({"id": claim_id, "claim": claim, "verdict": verdict, "documents": documents, **extra})


def evidence_file(tmp_path: Path, *lines: str) -> Path:
    return write(tmp_path, "\n".join(lines) + "\n")


# Made-up facts, each claim with its own documents; c2's document would support c1 if they were pooled.
SMALL = (
    evidence_line(
        "c1", "The Blue Bridge opened in 1931.", "supported", ("d1", "The Blue Bridge over the river opened in 1931.")
    ),
    evidence_line(
        "c2",
        "The Red Tower is 120 metres tall.",
        "refuted",
        ("d2", "The Red Tower is 95 metres tall."),
        ("d3", "The Blue Bridge opened in 1931 after four years of work."),
    ),
    evidence_line("c3", "The Green Mill burned down.", "not_enough_evidence", ("d4", "The Green Mill grinds corn.")),
)


def test_an_evidence_file_loads_every_document_once(tmp_path: Path) -> None:
    shared = ("d1", "The Blue Bridge over the river opened in 1931.")
    path = evidence_file(tmp_path, *SMALL, evidence_line("c4", "The Blue Bridge is blue.", "supported", shared))
    claim_set = load_claim_set(path)
    assert claim_set.own_evidence and not claim_set.labels_sources
    assert sorted(claim_set.documents) == ["d1", "d2", "d3", "d4"]
    assert [c.evidence for c in claim_set.claims[:2]] == [frozenset({"d1"}), frozenset({"d2", "d3"})]
    assert claim_set.claims[1].id == "c2"


def test_the_documents_digest_ignores_the_labels(tmp_path: Path) -> None:
    one = load_claim_set(evidence_file(tmp_path, *SMALL))
    relabelled = SMALL[0].replace('"supported"', '"refuted"')
    other = tmp_path / "other"
    other.mkdir()
    two = load_claim_set(evidence_file(other, relabelled, *SMALL[1:]))
    assert one.documents_digest == two.documents_digest
    three = load_claim_set(evidence_file(other, *SMALL[:2]))
    assert three.documents_digest != one.documents_digest


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ((SMALL[0], '{"claim": "a", "verdict": "supported"}'), ":2: every claim needs its own 'documents'"),
        (('{"claim": "a", "verdict": "supported", "documents": []}',), ":1: 'documents' must be a non-empty"),
        (('{"claim": "a", "verdict": "supported", "documents": ["text"]}',), r"documents\[0\] must be an object"),
        ((evidence_line("x", "a", "supported", ("d/1", "text")),), r":1: documents\[0\]: invalid source_id"),
        ((evidence_line("x", "a", "supported", ("d1", " ")),), "has no text"),
        ((SMALL[0], evidence_line("y", "b", "supported", ("d1", "Another text."))), ":2: source id 'd1' is used"),
        ((evidence_line("x", "a", "supported", ("d1", "t"), supports=["d9"]),), "not among the claim's documents: d9"),
    ],
)
def test_malformed_evidence_files_fail_with_the_line(tmp_path: Path, lines: tuple[str, ...], message: str) -> None:
    with pytest.raises(ClaimsFileError, match=message):
        load_claim_set(evidence_file(tmp_path, *lines))


def test_macro_f1_averages_the_labels_present_and_precision_counts_every_prediction() -> None:
    gold = ["supported", "supported", "refuted", "refuted"]
    predicted = ["supported", "refuted", "refuted", "conflicting"]
    figures = verdict_figures(gold, predicted)
    assert figures.accuracy == 0.5
    assert figures.per_label["supported"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "gold": 2, "predicted": 1}
    assert figures.per_label["refuted"]["precision"] == 0.5 and figures.per_label["refuted"]["recall"] == 0.5
    # predicted but never gold: a row with precision 0, but not part of the average over the file's labels
    assert figures.per_label["conflicting"]["precision"] == 0.0
    assert "not_enough_evidence" not in figures.per_label
    assert figures.macro_f1 == pytest.approx((0.6667 + 0.5) / 2, abs=1e-4)
    assert figures.confusion["refuted"]["conflicting"] == 1


def test_folds_cover_every_claim_once() -> None:
    parts = folds(12, 5)
    assert sorted(i for part in parts for i in part) == list(range(12)) and len(parts) == 5
    assert folds(3, 5) == [[0], [1], [2]]


def test_cross_validation_never_fits_on_the_claims_it_predicts() -> None:
    seen: list[tuple[set[int], set[int]]] = []

    def fit(train: Sequence[int]) -> tuple[Callable[[int], Verdict], str]:
        fitted = set(train)

        def rule(i: int) -> Verdict:
            seen.append(({i}, fitted))
            return "supported"

        return rule, "x"

    predicted, choices = cross_validated(10, fit, 5)
    assert len(predicted) == 10 and choices == ["x"] * 5
    assert len(seen) == 10 and all(not (held & fitted) for held, fitted in seen)


def test_the_threshold_falls_between_the_classes() -> None:
    gold: list[Verdict] = ["not_enough_evidence", "not_enough_evidence", "supported", "supported"]
    assert best_threshold(gold, [0.2, 0.3, 0.6, 0.7]) == pytest.approx(0.45)


def test_baselines_are_scored_on_held_out_folds() -> None:
    # similarity separates the labels perfectly: the cross-validated threshold finds it on every fold
    gold: list[Verdict] = ["supported", "not_enough_evidence"] * 5
    similarities = [0.8, 0.3, 0.75, 0.35, 0.7, 0.2, 0.9, 0.4, 0.85, 0.25]
    majority, similarity = baselines(gold, similarities, k=5)
    assert similarity.figures.accuracy == 1.0 and len(similarity.choices) == 5
    assert majority.figures.accuracy == 0.5
    # three and three, one claim held out at a time: the others' majority is always the other label
    balanced: list[Verdict] = ["supported", "refuted"] * 3
    majority = baselines(balanced, [0.5] * 6, k=6)[0]
    assert majority.figures.accuracy == 0.0 and set(majority.choices) == {"supported", "refuted"}
    (fixed,) = baselines(gold, similarities, threshold=0.5)[1:]
    assert fixed.figures.accuracy == 1.0 and fixed.choices == ["0.5000"]
    assert baselines(gold[:1], similarities[:1]) == []


def test_each_claim_is_checked_against_its_own_documents_only(tmp_path: Path) -> None:
    path = evidence_file(tmp_path, *SMALL)
    claim_set = load_claim_set(path)
    embedder = FakeEmbedder()
    settings = Settings(index_dir=tmp_path / "index")
    corpus = evidence_corpus(claim_set, settings, disposable=True, embedder=embedder)
    verifier = Verifier(corpus)
    results = list(verify_labelled(verifier, claim_set.claims))
    for claim, result in zip(claim_set.claims, results, strict=True):
        assert {s.source.source_id for s in result.sources} <= (claim.evidence or set())
    assert {s.source.source_id for s in results[1].sources} == {"d2", "d3"}
    report = evaluate(verifier, claim_set)
    assert report.claims == 3 and report.labels == ["supported", "refuted", "not_enough_evidence"]
    assert report.stance_f1 is None and report.evidence_recall is None  # the file labels no sources
    assert [b.name for b in report.baselines] == ["majority label", "similarity only"]
    assert report.outcomes[0].id == "c1" and report.outcomes[0].best_similarity > 0.5
    assert not any(o.false_positives or o.false_negatives for o in report.outcomes)

    # a rerun finds every document indexed and embeds none of them again
    calls = embedder.calls
    evidence_corpus(claim_set, settings, disposable=True, embedder=embedder)
    assert embedder.calls == calls


def test_a_cached_index_that_no_longer_opens_is_rebuilt(tmp_path: Path) -> None:
    claim_set = load_claim_set(evidence_file(tmp_path, *SMALL))
    settings = Settings(index_dir=tmp_path / "index")
    evidence_corpus(claim_set, settings, disposable=True, embedder=FakeEmbedder())
    other_model = FakeEmbedder(model_id="another-model")
    with pytest.raises(ModelMismatchError):
        evidence_corpus(claim_set, settings, disposable=False, embedder=other_model)
    corpus = evidence_corpus(claim_set, settings, disposable=True, embedder=other_model)
    assert len(corpus.sources()) == 4


def test_the_cache_directory_is_keyed_by_documents_and_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    claim_set = load_claim_set(evidence_file(tmp_path, *SMALL))
    first = evidence_index_dir(claim_set, "model-a")
    assert first.parent == tmp_path / "cache" / "crosscheck" / "eval" and first.name.startswith("claims-")
    assert evidence_index_dir(claim_set, "model-b") != first


@pytest.mark.integration
@pytest.mark.parametrize("name", ["vitaminc_dev", "averitec_dev"])
def test_the_public_development_sets_run_end_to_end(
    name: str, real_embedder: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The shared public files (never copied into the project) through the real model; skipped without them."""
    path = SHARED / "eval" / "public" / f"{name}.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    claim_set = load_claim_set(path)
    settings = Settings(index_dir=tmp_path_factory.mktemp(name))
    corpus = evidence_corpus(claim_set, settings, disposable=True, embedder=real_embedder)
    report = evaluate(Verifier(corpus), claim_set)
    assert report.claims == len(claim_set.claims) and set(report.labels) == {c.verdict for c in claim_set.claims}
    for outcome, claim in zip(report.outcomes, claim_set.claims, strict=True):
        assert outcome.id == claim.id
    assert sum(report.confusion[g][p] for g in report.confusion for p in report.confusion[g]) == report.claims
    majority, similarity = report.baselines
    assert 0.0 < majority.figures.accuracy < 1.0 and 0.0 < similarity.figures.macro_f1 < 1.0


def test_the_news_set_is_complete_and_names_only_its_own_articles() -> None:
    """eval/news: at least 60 claims, 20 of them Dutch, every label; every labelled source is an article there."""
    news = REPO / "eval" / "news"
    claims = load_claims(news / "claims.jsonl")
    articles = {p.stem for p in (news / "articles").glob("*.txt")}
    manifest = json.loads((news / "articles" / "manifest.json").read_text(encoding="utf-8"))["sources"]
    assert len(claims) >= 60 and sum(c.lang == "nl" for c in claims) >= 20
    assert {c.verdict for c in claims} == {"supported", "refuted", "conflicting", "not_enough_evidence"}
    assert set().union(*(c.supports | c.conflicts for c in claims)) <= articles
    assert len(articles) >= 8 and set(manifest) == articles
    assert all(meta.get("licence") and meta.get("url") and meta.get("published") for meta in manifest.values())
