"""POST /v1/verify/batch and /v1/verify/csv: rows in order, bad rows kept with an error, limits, real verdicts."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from fastapi.testclient import TestClient

from service.schemas import VerificationResult
from tests.conftest import THOUSAND_TO_ROMANIA


def test_batch_keeps_every_claim_in_order_and_bad_ones_get_an_error(client: TestClient) -> None:
    claims = ["Duizend soldaten gaan naar Roemenië", "   ", "x" * 3000, "troepen naar Polen"]
    response = client.post("/v1/verify/batch", json={"claims": claims, "top_k": 1})
    assert response.status_code == 200
    body = response.json()
    rows = body["rows"]
    assert [r["row"] for r in rows] == [1, 2, 3, 4]
    assert [r["error"] is None for r in rows] == [True, False, False, True]
    assert rows[1]["error"] == "empty claim" and rows[1]["result"] is None
    assert rows[2]["error"].startswith("claim too long")
    first = VerificationResult.model_validate(rows[0]["result"])
    assert first.claim == claims[0] and all(len(s.passages) <= 1 for s in first.sources)
    summary = body["summary"]
    assert summary["rows"] == 4
    assert sum(summary["verdicts"].values()) == 2
    assert summary["errors"] == {"claim too long": 1, "empty claim": 1}


def test_batch_results_equal_single_verifications(client: TestClient) -> None:
    claims = ["Duizend soldaten gaan naar Roemenië", "Rusland ontkent een invasie"]
    rows = client.post("/v1/verify/batch", json={"claims": claims}).json()["rows"]
    for claim, row in zip(claims, rows, strict=True):
        single = client.post("/v1/verify", json={"claim": claim}).json()
        assert row["result"]["verdict"] == single["verdict"]
        assert [s["source_id"] for s in row["result"]["sources"]] == [s["source_id"] for s in single["sources"]]


def test_batch_limits_and_validation(make_client: Callable[..., TestClient]) -> None:
    client = make_client(batch_max_claims=3)
    too_many = client.post("/v1/verify/batch", json={"claims": ["a claim"] * 4})
    assert too_many.status_code == 413
    assert too_many.json()["error"] == "too_many_claims"
    assert "CROSSCHECK_BATCH_MAX_CLAIMS" in too_many.json()["message"]
    assert client.post("/v1/verify/batch", json={"claims": ["a claim"] * 3}).status_code == 200

    empty = client.post("/v1/verify/batch", json={"claims": []})
    assert empty.status_code == 422 and empty.json()["fields"][0]["field"] == "claims"
    not_text = client.post("/v1/verify/batch", json={"claims": ["ok", 5]})
    assert not_text.status_code == 422 and not_text.json()["fields"][0]["field"] == "claims[1]"
    unknown = client.post("/v1/verify/batch", json={"claims": ["ok"], "sources": ["nope"]})
    assert unknown.status_code == 404


def _upload(client: TestClient, data: bytes, name: str = "claims.csv", **params: str) -> tuple[int, str, dict]:
    response = client.post("/v1/verify/csv", files={"file": (name, data, "text/csv")}, params=params)
    return response.status_code, response.text, dict(response.headers)


def test_csv_upload_streams_back_every_row_in_the_input_dialect(client: TestClient) -> None:
    data = '\ufeffnr;claim;waar\n1;Duizend soldaten gaan naar Roemenië;tv\n2;;krant\n3;"troepen\nnaar Polen";X\n'
    status, text, headers = _upload(client, data.encode("utf-8"), "bureau.csv", id_column="nr")
    assert status == 200, text
    assert headers["content-type"].startswith("text/csv")
    assert "bureau.checked.csv" in headers["content-disposition"]
    assert text.startswith("\ufeff")  # as it came: Excel reads the UTF-8 only with its BOM
    rows = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
    assert [r["nr"] for r in rows] == ["1", "2", "3"]
    assert rows[2]["claim"] == "troepen\nnaar Polen" and rows[2]["waar"] == "X"
    assert rows[0]["verdict"] and not rows[0]["error"]
    assert rows[1]["error"] == "empty claim" and not rows[1]["verdict"]


def test_csv_upload_in_cp1252(client: TestClient) -> None:
    data = "claim\nPoetin ontmoet Macron in Moskou over Oekraïne\n".encode("cp1252")
    status, text, headers = _upload(client, data)
    assert status == 200, text
    assert headers["x-crosscheck-input-encoding"] == "cp1252"
    assert headers["x-crosscheck-claim-column"] == "claim"
    assert text.startswith("\ufeff")  # UTF-8 now, marked so that Excel reads it as such
    (row,) = csv.DictReader(io.StringIO(text[1:]))
    assert row["claim"] == "Poetin ontmoet Macron in Moskou over Oekraïne" and not row["error"]


def test_csv_upload_errors_come_before_the_stream(make_client: Callable[..., TestClient]) -> None:
    client = make_client(batch_max_claims=2)
    status, text, _ = _upload(client, b"id,claim\n1,a\n2,b\n3,c\n")
    assert status == 413 and "CROSSCHECK_BATCH_MAX_CLAIMS" in text

    status, text, _ = _upload(client, b"nr,when\n1,2\n")  # no text column to take the claims from
    assert status == 422
    assert "nr" in text and "when" in text

    status, text, _ = _upload(client, b"id,claim\n1,a\n", column="bewering")
    assert status == 422 and "bewering" in text
    assert "the column parameter" in text and "--column" not in text  # the route's words, not the CLI's

    status, text, _ = _upload(client, b"")
    assert status == 422


def test_csv_upload_with_real_verdicts(real_client: TestClient) -> None:
    data = b'claim\n"1,000 troops moved to Romania"\n"2,000 troops moved to Romania"\n'
    status, text, _ = _upload(real_client, data)
    assert status == 200, text
    supported, refuted = csv.DictReader(io.StringIO(text))
    assert supported["verdict"] == "supported" and refuted["verdict"] == "refuted"
    for source in THOUSAND_TO_ROMANIA:
        assert f"{source}:supports" in supported["sources"]
        assert f"{source}:conflicts" in refuted["sources"]
