"""Choosing the claim column, checking rows in chunks, and what a bad row turns into."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from service.batch.core import Columns, Summary, check_claims, check_rows, choose_columns, ensure_batch_size
from service.batch.reader import InputRow, RowProblem, TableError
from service.errors import BatchTooLargeError, IndexNotFoundError
from service.settings import Settings
from service.verify import Verifier

HEADER = ("id", "Claim", "source", "date")
SAMPLE = [
    ("1", "Duizend militairen gaan naar Roemenië", "nos", "2022-02-03"),
    ("2", "1,000 troops moved to Romania", "nrc", "2022-02-04"),
]


def test_column_named_claim_whatever_its_case() -> None:
    assert choose_columns(HEADER, SAMPLE).claim == 1


def test_column_given_by_name() -> None:
    assert choose_columns(HEADER, SAMPLE, column="source").claim == 2
    assert choose_columns(HEADER, SAMPLE, column=" SOURCE ").claim == 2
    assert choose_columns(HEADER, SAMPLE, column="source", id_column="id") == Columns(2, 0, "column 'source'")


def test_missing_column_lists_the_columns() -> None:
    with pytest.raises(TableError, match=r"no column 'bewering' \(--column\); the columns are: 'id', 'Claim'"):
        choose_columns(HEADER, SAMPLE, column="bewering")
    with pytest.raises(TableError, match=r"no column 'nr' \(--id-column\)"):
        choose_columns(HEADER, SAMPLE, id_column="nr")


def test_the_only_text_column() -> None:
    header = ("nr", "bewering", "bron", "url")
    sample = [
        ("1", "Duizend militairen gaan naar Roemenië", "NOS", "https://nos.nl/a/1"),
        ("2", "", "NRC", "https://nrc.nl/b/2"),
        ("3", "Rusland ontkent de plannen voor een inval", "Jan Jansen", "https://nu.nl/c"),
    ]
    columns = choose_columns(header, sample)
    assert columns.claim == 1 and "the only one that holds sentences" in columns.reason


def test_no_or_several_text_columns_is_an_error_naming_them() -> None:
    with pytest.raises(TableError, match=r"no column holds sentences; .* The columns are: 'id', 'n'"):
        choose_columns(("id", "n"), [("1", "2")])
    header = ("bewering", "toelichting")
    sample = [("Duizend militairen naar Roemenië", "Volgens de NOS is dit waar gebleken")]
    with pytest.raises(TableError, match=r"several columns hold sentences \('bewering', 'toelichting'\)"):
        choose_columns(header, sample)


def test_a_repeated_name_is_ambiguous_unless_one_matches_exactly() -> None:
    with pytest.raises(TableError, match="appears 2 times"):
        choose_columns(("Claim", "CLAIM"), [])
    assert choose_columns(("Claim", "claim"), []).claim == 1


def rows(*claims: str) -> list[InputRow]:
    return [InputRow(i, i + 1, (str(i), claim)) for i, claim in enumerate(claims, start=1)]


def flat(blocks: Any) -> list[Any]:
    return [outcome for block in blocks for outcome in block]


def test_rows_come_back_in_order_with_errors_in_place(verifier: Verifier) -> None:
    too_long = "Duizend militairen gaan naar Roemenië. " * 2700  # a pasted article: 105,300 characters
    given = rows("Duizend militairen gaan naar Roemenië", "   ", too_long, "Rusland ontkent de inval")
    given.insert(2, InputRow(5, 9, ("5", "Caf\ufffd"), RowProblem("undecodable bytes", "column 'claim' ...")))
    outcomes = flat(check_rows(given, verifier, Columns(1)))
    assert [o.row.number for o in outcomes] == [1, 2, 5, 3, 4]
    assert [o.error for o in outcomes] == [
        None,
        "empty claim",
        "undecodable bytes: column 'claim' ...",
        "claim too long: 105,299 characters, the limit is 2,000",  # stripped, as check_text counts
        None,
    ]
    assert outcomes[0].result is not None and outcomes[0].result.claim == "Duizend militairen gaan naar Roemenië"
    assert outcomes[4].result is not None and outcomes[4].result.claim == "Rusland ontkent de inval"
    assert [o.id for o in outcomes] == ["1", "2", "5", "3", "4"]


def test_ids_from_the_id_column(verifier: Verifier) -> None:
    given = [InputRow(1, 2, (" A-17 ", "Duizend militairen naar Roemenië"))]
    assert [o.id for o in flat(check_rows(given, verifier, Columns(1, id=0)))] == ["A-17"]


def test_claims_are_embedded_in_batches_and_chunks_bound_the_work(verifier: Verifier, monkeypatch: Any) -> None:
    seen: list[int] = []
    original = Verifier.verify_many

    def spy(self: Verifier, claims: Sequence[str], **kwargs: Any) -> Any:
        seen.append(len(claims))
        return original(self, claims, **kwargs)

    monkeypatch.setattr(Verifier, "verify_many", spy)
    given = rows(*(f"{n} militairen gaan naar Roemenië" for n in range(1, 101)))
    blocks = list(check_rows(given, verifier, Columns(1), chunk=40))
    assert [len(b) for b in blocks] == [40, 40, 20]
    assert seen == [40, 40, 20]


def test_a_claim_the_engine_fails_on_costs_only_its_row(verifier: Verifier, monkeypatch: Any) -> None:
    original = Verifier._verify_batch

    def flaky(self: Verifier, claims: Sequence[str], *args: Any) -> Any:
        if any("boom" in c for c in claims):
            raise ValueError("cannot parse 'boom'")
        return original(self, claims, *args)

    monkeypatch.setattr(Verifier, "_verify_batch", flaky)
    outcomes = flat(
        check_rows(rows("Duizend militairen", "boom goes the claim", "Rusland ontkent"), verifier, Columns(1))
    )
    assert [o.error for o in outcomes] == [None, "engine error: ValueError: cannot parse 'boom'", None]
    assert outcomes[0].result is not None and outcomes[2].result is not None


def test_an_engine_that_fails_on_everything_stops_the_run(verifier: Verifier, monkeypatch: Any) -> None:
    def broken(self: Verifier, claims: Sequence[str], *args: Any) -> Any:
        raise ValueError("broken")

    monkeypatch.setattr(Verifier, "_verify_batch", broken)
    with pytest.raises(Exception, match="failed on every claim"):
        flat(check_rows(rows("a claim here", "another claim"), verifier, Columns(1)))


def test_no_index_stops_the_run(tmp_path: Any) -> None:
    from service.corpus import Corpus
    from tests.conftest import FakeEmbedder

    settings = Settings(index_dir=tmp_path / "none", seeds_dir=tmp_path / "no-seeds")
    verifier = Verifier(Corpus(settings, embedder=FakeEmbedder()))
    with pytest.raises(IndexNotFoundError):
        flat(check_rows(rows("a claim here"), verifier, Columns(1)))


def test_check_claims_for_a_json_list(verifier: Verifier) -> None:
    outcomes = list(check_claims(["Duizend militairen naar Roemenië", None, 7, ""], verifier))
    assert [o.row.number for o in outcomes] == [1, 2, 3, 4]
    assert outcomes[0].result is not None
    assert [o.error for o in outcomes[1:]] == [
        "invalid claim: the claim must be text, got NoneType",
        "invalid claim: the claim must be text, got int",
        "empty claim",
    ]


def test_ensure_batch_size() -> None:
    ensure_batch_size(1000, 1000)
    with pytest.raises(BatchTooLargeError, match="1,001 claims in one request; the limit is 1,000"):
        ensure_batch_size(1001, 1000)


def test_summary_counts_by_verdict_and_error_kind() -> None:
    summary = Summary()
    for verdict, error in [
        ("supported", None),
        ("supported", None),
        (None, "empty claim"),
        (None, "claim too long: x"),
    ]:
        summary.add(verdict, error)
    summary.add(None, "claim too long: y")
    assert summary.rows == 5
    data = summary.as_dict()
    assert data["verdicts"] == {"supported": 2, "refuted": 0, "conflicting": 0, "not_enough_evidence": 0}
    assert data["errors"] == {"claim too long": 2, "empty claim": 1}
    text = "\n".join(summary.lines())
    assert "supported" in text and "claim too long" in text and "errors                         3" in text
