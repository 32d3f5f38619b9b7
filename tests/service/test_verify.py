"""The verdict engine end to end with the bundled model (integration)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from index.documents import Document
from index.ingest import ingest
from index.store import open_store
from service.corpus import Corpus
from service.errors import InvalidClaimError, InvalidInputError, UnknownSourceError
from service.evaluation import evaluate, load_claims
from service.schemas import VerificationResult
from service.settings import Settings
from service.verify import GC_YOUNG_THRESHOLD, Filters, Verifier
from tests.conftest import REPO

THREE = {"000_64af60602162f07a", "002_31380c5700cbb35e", "004_f612fa7a56b26ca2"}


@pytest.fixture(scope="module")
def verifier(seed_index_dir: Path, real_embedder: Any) -> Verifier:
    return Verifier(Corpus(Settings(index_dir=seed_index_dir), embedder=real_embedder))


def stances(result: Any) -> dict[str, str]:
    return {s.source.source_id: s.stance for s in result.sources if s.stance != "neutral"}


def test_thousand_troops_to_romania_is_supported_by_the_three_sources(verifier: Verifier) -> None:
    result = verifier.verify("1,000 troops moved to Romania")
    assert result.verdict == "supported"
    assert stances(result) == dict.fromkeys(THREE, "supports")
    assert result.confidence > 0.9


def test_two_thousand_troops_to_romania_is_refuted_naming_both_numbers(verifier: Verifier) -> None:
    result = verifier.verify("2,000 troops moved to Romania")
    assert result.verdict == "refuted"
    assert stances(result) == dict.fromkeys(THREE, "conflicts")
    for source in result.sources:
        if source.source.source_id in THREE:
            reasons = [r for p in source.passages for r in p.reasons]
            assert any(
                r.startswith("number differs: claim 2,000 vs source") and ("1.000" in r or "uizend" in r)
                for r in reasons
            ), reasons


def test_dutch_claims_read_the_dutch_sources(verifier: Verifier) -> None:
    assert verifier.verify("Duizend militairen gaan naar Roemenië").verdict == "supported"
    assert verifier.verify("Rusland heeft 300.000 militairen aan de grens.").verdict == "refuted"


def test_dev_set_acceptance_figures(verifier: Verifier) -> None:
    report = evaluate(verifier, load_claims(REPO / "eval" / "dev_claims.jsonl"))
    assert report.verdict_accuracy >= 0.9
    assert report.stance_f1 >= 0.9
    assert report.evidence_recall == 1.0


def test_a_claim_nothing_mentions_is_not_enough_evidence_with_confidence(verifier: Verifier) -> None:
    result = verifier.verify("Japan launched a weather satellite to Mars.")
    assert result.verdict == "not_enough_evidence"
    assert stances(result) == {}
    assert result.confidence >= 0.5


def test_the_result_contract(verifier: Verifier) -> None:
    payload = VerificationResult.from_core(verifier.verify("1,000 troops moved to Romania")).model_dump()
    assert {"claim", "verdict", "confidence", "sources"} <= payload.keys()
    source = payload["sources"][0]
    assert {"source_id", "title", "published", "language", "stance", "score", "passages"} <= source.keys()
    passage = source["passages"][0]
    assert {"text", "stance", "similarity", "score", "reasons", "char_start", "char_end"} <= passage.keys()
    assert all(0 <= s["score"] <= 1 for s in payload["sources"])
    supporting = [s for s in payload["sources"] if s["stance"] == "supports"]
    assert [s["source_id"] for s in payload["sources"][: len(supporting)]] == [s["source_id"] for s in supporting]
    # highlights point at the matched figure inside the passage text
    highlighted = [p["text"][h["start"] : h["end"]] for s in supporting for p in s["passages"] for h in p["highlights"]]
    assert any(text in {"1.000", "Duizend", "duizendtal", "een duizendtal"} for text in highlighted), highlighted


def test_filters_by_source_and_date(verifier: Verifier) -> None:
    only = verifier.verify("1,000 troops moved to Romania", filters=Filters.of(["004_f612fa7a56b26ca2"]))
    assert [s.source.source_id for s in only.sources] == ["004_f612fa7a56b26ca2"]
    february = verifier.verify("1,000 troops moved to Romania", filters=Filters.of(published_after="2022-02"))
    assert {s.source.source_id for s in february.sources} == {"000_64af60602162f07a", "004_f612fa7a56b26ca2"}
    january = verifier.verify("1,000 troops moved to Romania", filters=Filters.of(published_before="2022-01-31"))
    assert january.verdict == "not_enough_evidence"
    with pytest.raises(UnknownSourceError, match="nope"):
        verifier.verify("x troops", filters=Filters.of(["nope"]))
    with pytest.raises(InvalidInputError, match="published_after"):
        Filters.of(published_after="last week")


def test_bad_claims_are_refused_clearly(verifier: Verifier) -> None:
    with pytest.raises(InvalidClaimError, match="empty"):
        verifier.verify("   ")
    with pytest.raises(InvalidClaimError, match="limit is 2,000"):
        verifier.verify("troops " * 1000)


def test_a_source_published_before_the_claimed_year_cannot_confirm_it(
    verifier: Verifier, tmp_path: Path, real_embedder: Any
) -> None:
    result = verifier.verify("In 2023 Russia annexed Crimea.")
    assert result.verdict != "supported"
    # the same words published before and after the year: only the later one may support
    text = "The Pentagon said 3,000 soldiers will be deployed to Estonia in 2022."
    index = open_store(tmp_path, model=real_embedder.model_id, dimension=real_embedder.dimension)
    documents = [Document(f"en_{d}", text, language="en", published=d) for d in ("2021-12", "2022-03")]
    ingest(index, real_embedder, documents)
    dated = Verifier(Corpus(Settings(index_dir=tmp_path), embedder=real_embedder))
    result = dated.verify("3,000 soldiers will be deployed to Estonia in 2022.")
    assert stances(result) == {"en_2022-03": "supports"}
    (before,) = [s for s in result.sources if s.source.source_id == "en_2021-12"]
    note = "published 2021-12, before 2022: it cannot confirm the claim"
    assert before.notes == (note,)
    assert before.passages[0].stance == "neutral"
    assert before.passages[0].reasons[0] == note


# -- hard cases on a small English and Dutch corpus ------------------------------------------

HARD_CORPUS = [
    Document(
        "en_estonia",
        "The Pentagon said on Tuesday that 3,000 soldiers will be deployed to Estonia. "
        "The deployment is meant to reassure NATO allies on the eastern flank.",
        language="en",
        published="2022-03-01",
    ),
    Document(
        "en_range",
        "Between 5,000 and 8,000 troops could be sent to Norway in the spring, officials said.",
        language="en",
        published="2022-03-02",
    ),
    Document(
        "nl_litouwen",
        "Het kabinet stuurt 150 mariniers naar Litouwen, maakte de minister van Defensie bekend.",
        language="nl",
        published="2022-03-03",
    ),
    Document(
        "nl_vluchtelingen",
        "Ongeveer 40.000 mensen zijn de afgelopen week uit de regio gevlucht.",
        language="nl",
        published="2022-03-04",
    ),
    Document(
        "en_election",
        "The ruling party lost ten seats in the election, the electoral commission said on Monday.",
        language="en",
        published="2022-03-05",
    ),
    Document("nl_invoer", "De invoer uit China daalde in 2020 met 27 procent.", language="nl", published="2022-03-06"),
    Document(
        "en_metro",
        "Amsterdam mayor Femke Halsema opened the new metro line on Friday, two years late.",
        language="en",
        published="2022-03-07",
    ),
    Document(
        "nl_banken",
        "De Europese Unie sluit zeven Russische banken af van het betalingssysteem SWIFT. "
        "Sberbank valt niet onder de maatregel, omdat de EU afhankelijk is van Russisch gas.",
        language="nl",
        published="2022-03-08",
    ),
]


@pytest.fixture(scope="module")
def hard(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Verifier:
    path = tmp_path_factory.mktemp("hard-index")
    index = open_store(path, model=real_embedder.model_id, dimension=real_embedder.dimension)
    ingest(index, real_embedder, HARD_CORPUS)
    return Verifier(Corpus(Settings(index_dir=path), embedder=real_embedder))


@pytest.mark.parametrize(
    ("claim", "verdict", "stance"),
    [
        # an English claim against an English passage
        ("3,000 soldiers will be deployed to Estonia.", "supported", {"en_estonia": "supports"}),
        # same number, another place
        ("3,000 soldiers will be deployed to Latvia.", "refuted", {"en_estonia": "conflicts"}),
        # another number for the same movement
        ("10,000 soldiers will be deployed to Estonia.", "refuted", {"en_estonia": "conflicts"}),
        # another actor with the same number and place
        ("Poland will deploy 3,000 soldiers to Estonia.", "not_enough_evidence", {}),
        # number and place both differ: another event
        ("4,000 soldiers will be deployed to Latvia.", "not_enough_evidence", {}),
        # a negation inside the claim
        ("No soldiers will be deployed to Estonia.", "refuted", {"en_estonia": "conflicts"}),
        # a Dutch claim against a Dutch passage
        ("Het kabinet stuurt 150 mariniers naar Litouwen.", "supported", {"nl_litouwen": "supports"}),
        ("Het kabinet stuurt 400 mariniers naar Litouwen.", "refuted", {"nl_litouwen": "conflicts"}),
        # a range in the source
        ("Up to 10,000 troops could be sent to Norway.", "not_enough_evidence", {}),
        ("12,000 troops could be sent to Norway.", "refuted", {"en_range": "conflicts"}),
        # an approximate number within and outside tolerance
        ("About 42,000 people fled the region last week.", "supported", {"nl_vluchtelingen": "supports"}),
        ("About 90,000 people fled the region last week.", "refuted", {"nl_vluchtelingen": "conflicts"}),
        # nothing in the corpus mentions it
        ("The central bank raised interest rates to 4 percent.", "not_enough_evidence", {}),
        # a word of opposite sense says the opposite, as a negation would, in either language
        ("The ruling party lost ten seats in the election.", "supported", {"en_election": "supports"}),
        ("The ruling party won ten seats in the election.", "refuted", {"en_election": "conflicts"}),
        ("De regerende partij won tien zetels bij de verkiezingen.", "refuted", {"en_election": "conflicts"}),
        ("De invoer uit China steeg in 2020 met 27 procent.", "refuted", {"nl_invoer": "conflicts"}),
        ("Imports from China increased by 27 percent in 2020.", "refuted", {"nl_invoer": "conflicts"}),
        # a claim's opening surname, a word and a name, is found in the passage's full name
        ("Halsema opened the new metro line.", "supported", {"en_metro": "supports"}),
        # ... by its spelling only: "banken" in the sentence before its negation is not Sberbank
        ("Sberbank is also cut off from SWIFT.", "not_enough_evidence", {}),
    ],
)
def test_hard_cases(hard: Verifier, claim: str, verdict: str, stance: dict[str, str]) -> None:
    result = hard.verify(claim)
    assert (result.verdict, stances(result)) == (verdict, stance), [
        (s.source.source_id, s.stance, [(p.stance, p.reasons) for p in s.passages[:1]]) for s in result.sources
    ]


def test_a_claim_gets_the_same_result_alone_and_in_a_batch(verifier: Verifier) -> None:
    """Batching is for speed only: no claim's answer may depend on the others in its batch."""
    claims = [labelled.claim for labelled in load_claims(REPO / "eval" / "dev_claims.jsonl")][:24]
    claims += ["Biden sent 3,000 soldiers to Poland", "De NAVO ontkent dat er troepen naar Oekraïne gaan"]
    together = [VerificationResult.from_core(r).model_dump() for r in verifier.verify_many(claims)]
    alone = [VerificationResult.from_core(verifier.verify(c)).model_dump() for c in claims]
    for a, b in zip(alone, together, strict=True):
        # sources whose scores tie may swap places: a batch embeds the claim beside others,
        # which moves its similarities in the seventh decimal
        assert (a["verdict"], sorted((s["source_id"], s["stance"], s["score"]) for s in a["sources"])) == (
            b["verdict"],
            sorted((s["source_id"], s["stance"], s["score"]) for s in b["sources"]),
        )


def test_warm_up_hides_the_engine_from_the_garbage_collector(seed_index_dir: Path, real_embedder: Any) -> None:
    """A full collection must not walk the model, lexicon and index again on every pass."""
    verifier = Verifier(Corpus(Settings(index_dir=seed_index_dir), embedder=real_embedder))
    threshold = gc.get_threshold()
    try:
        verifier.warm_up()
        tracked = {id(o) for o in gc.get_objects()}  # every generation but the frozen one
        assert gc.get_freeze_count() > 0
        assert id(verifier.words) not in tracked
        assert id(verifier.corpus.store()) not in tracked
        # young collections wait for more than a batch of claims holds at once (no cycles: see below)
        assert gc.get_threshold() == (max(threshold[0], GC_YOUNG_THRESHOLD), *threshold[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_checking_claims_leaves_no_cyclic_garbage(verifier: Verifier) -> None:
    """What a check builds is freed as soon as it is dropped: no reference cycles, which only the
    cycle collector frees, and which ``warm_up``'s raised threshold would let pile up."""
    claims = [
        "1,000 troops moved to Romania",
        "NAVO-chef Stoltenberg zegt dat 8.500 militairen paraat staan",  # a hyphenated name: the parts of a word
        "Russia denies it will invade Ukraine in 2022",
        "De VS sturen tweeduizend soldaten naar Polen en Duitsland",
    ]
    list(verifier.verify_many(claims))  # caches filled, as in a running server
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        list(verifier.verify_many([*claims, "Spain sent 4 frigates to the Black Sea"]))
        verifier.verify("Biden considers sending 50,000 troops to Eastern Europe")
        gc.collect()
        garbage = sorted({type(o).__name__ for o in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert garbage == []
