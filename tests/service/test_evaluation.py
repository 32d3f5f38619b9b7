from __future__ import annotations

from pathlib import Path

import pytest

from index.store import Passage, SourceRecord
from service.evaluation import ClaimsFileError, LabelledClaim, load_claims, score
from service.verify import PassageResult, SourceResult, Verification
from tests.conftest import REPO


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
