"""Independent sources end to end (index.families through the verdict): a wire report, a copy of it with small
edits, an independent report of the same event and an unrelated article, checked with the bundled model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from index.documents import Document
from service.corpus import Corpus
from service.engine.verdict import overall
from service.schemas import VerificationResult
from service.settings import Settings
from service.verify import Verifier

WIRE = (
    "The US army is sending 2,000 soldiers to Poland and Germany this week. "
    "The troops will leave from the Fort Bragg army base in the state of North Carolina. "
    "In addition, a unit of 1,000 troops already stationed in Germany is moving to Romania. "
    "According to the Pentagon the deployment is a temporary measure to reassure the allies. "
    "Russia called the deployment of the extra soldiers a destructive step that raises tensions."
)
# another outlet's print of the same copy: a figure spelt out, a word dropped, a typo, its own last line
COPY = (
    "The US army is sending two thousand soldiers to Poland and Germany this week. "
    "The troops will leave from Fort Bragg army base in the state of North Carolina. "
    "In addition, a unit of 1,000 troops already stationed in Germany is moving to Romania. "
    "According to the Pentagon the deployment is a temporary measure to reasure the allies. "
    "Our correspondent in Warsaw spoke to residents who welcome the arrival of the soldiers."
)
# the same event in other words: it supports the claim on its own
INDEPENDENT = (
    "Washington moved about 1,000 troops from their German barracks to Romania on Tuesday. "
    "A spokesman for the Department of Defense announced it at a press conference in the afternoon. "
    "Two battalions are also leaving the United States for Poland, the newspaper writes."
)
# on another subject altogether, and written in the same wire style: grouped with nothing
UNRELATED = (
    "The city council of Utrecht has approved a new bicycle parking garage at the central station. "
    "More than twelve thousand places will be added, spread over three floors under the square. "
    "According to the council the construction is a temporary burden for the residents of the area. "
    "Building will start next spring and is expected to take two years."
)
DOCUMENTS = [
    Document("wire", WIRE, language="en", published="2022-02-02"),
    Document("copy", COPY, language="en", published="2022-02-03"),
    Document("independent", INDEPENDENT, language="en", published="2022-02-02"),
    Document("unrelated", UNRELATED, language="en", published="2022-02-02"),
]


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> tuple[Any, VerificationResult]:
    corpus = Corpus(Settings(index_dir=Path(tmp_path_factory.mktemp("independence"))), embedder=real_embedder)
    corpus.ingest_documents(DOCUMENTS)  # as every front door ingests: story families recorded
    core = Verifier(corpus).verify("1,000 troops moved to Romania")
    return core, VerificationResult.from_core(core)


def test_a_copy_with_small_edits_is_not_an_independent_source(checked: tuple[Any, VerificationResult]) -> None:
    _, result = checked
    by_id = {s.source_id: s for s in result.sources}
    assert {s for s, v in by_id.items() if v.stance == "supports"} == {"wire", "copy", "independent"}
    assert result.verdict == "supported"
    assert result.summary == "3 sources support the claim (2 independent), none conflict"
    assert (result.independent_support, result.independent_conflict) == (2, 0)
    assert by_id["copy"].copies == ["wire"] and by_id["wire"].copied_by == ["copy"]
    assert by_id["copy"].family == by_id["wire"].family != by_id["independent"].family
    assert by_id["copy"].related_text() == "copies wire"


def test_unrelated_articles_are_not_grouped(checked: tuple[Any, VerificationResult]) -> None:
    _, result = checked
    by_id = {s.source_id: s for s in result.sources}
    for alone in ("independent", "unrelated"):
        assert by_id[alone].family == alone
        assert by_id[alone].copies == by_id[alone].copied_by == by_id[alone].shares_text_with == []


def test_the_copy_adds_less_to_the_confidence_than_an_independent_source(
    checked: tuple[Any, VerificationResult],
) -> None:
    core, result = checked
    pairs = [(s.stance, s.score) for s in core.sources]
    families = [s.family for s in core.sources]
    assert overall(pairs, 0.0, families)[1] == result.confidence  # the verdict counted the families
    # the wire report and its copy alone: counted as one family they are less sure than two witnesses
    # (with the independent report too, both reach the 0.99 cap)
    two = [s for s in core.sources if s.source.source_id in {"wire", "copy"}]
    as_one = overall([(s.stance, s.score) for s in two], 0.0, [s.family for s in two])[1]
    as_two = overall([(s.stance, s.score) for s in two], 0.0, [s.source.source_id for s in two])[1]
    assert as_one < as_two, (pairs, families)
