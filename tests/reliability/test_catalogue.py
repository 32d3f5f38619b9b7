"""A catalogue of hostile inputs, each through a front door with its expected status or exit code and message.

Every entry is something a user, a scraper or an attacker can send: broken Unicode, NUL bytes, formulas
for a spreadsheet, wrong types, oversized parts, files that are not files. The rule in every door is the
same: a clear answer that names what is wrong (a 4xx, an exit code and one line, or a row error), never a
500 or a traceback, and nothing else in the request lost. The doors are driven from outside: the HTTP API
through its ASGI app, the CLI through ``main()`` with its own error handling; nothing here reaches into
the index's internals, so the catalogue holds whatever store sits behind them.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service import cli as cli_module
from service.api.app import create_app
from service.corpus import Corpus
from service.settings import Settings
from tests.conftest import FakeEmbedder
from tests.live import API_KEY
from tests.service.api.conftest import started

AUTH = {"X-API-Key": API_KEY}
JSON = {"Content-Type": "application/json"}
LIMITS = {"max_document_chars": 1000, "batch_max_claims": 5, "max_body_bytes": 64 * 1024}
SURROGATE = "lone surrogate U+D800"


@dataclass(frozen=True)
class Http:
    """One request and what must come back: the status, a piece of the message, and the field it names."""

    name: str
    method: str
    path: str
    status: int
    message: str
    body: bytes | None = None
    json_body: Any = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    names_field: str | None = None


def _claim(raw: str) -> bytes:
    """A JSON body with the claim written raw, so escapes such as \\ud800 reach the server as sent."""
    return b'{"claim": "' + raw.encode() + b'"}'


def _csv(content: bytes, name: str = "claims.csv") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, content, "text/csv")}


API = [
    # --- POST /v1/verify ---
    Http("verify: lone surrogate", "POST", "/v1/verify", 422, SURROGATE, _claim(r"\ud800 troops"), names_field="claim"),
    Http("verify: NUL", "POST", "/v1/verify", 422, "NUL character at character 6", _claim(r"1000 \u0000 troops"),
         names_field="claim"),
    Http("verify: blank claim", "POST", "/v1/verify", 422, "empty", _claim("   "), names_field="claim"),
    Http("verify: claim too long", "POST", "/v1/verify", 422, "the limit is 2,000", _claim("x" * 2001),
         names_field="claim"),
    Http("verify: claim not text", "POST", "/v1/verify", 422, "valid string", json_body={"claim": 5},
         names_field="claim"),
    Http("verify: claim missing", "POST", "/v1/verify", 422, "Field required", json_body={}, names_field="claim"),
    Http("verify: top_k true", "POST", "/v1/verify", 422, "valid integer", json_body={"claim": "a b c", "top_k": True},
         names_field="top_k"),
    Http("verify: top_k as text", "POST", "/v1/verify", 422, "valid integer",
         json_body={"claim": "a b c", "top_k": "3"}, names_field="top_k"),
    Http("verify: top_k 0", "POST", "/v1/verify", 422, "greater than or equal to 1",
         json_body={"claim": "a b c", "top_k": 0}, names_field="top_k"),
    Http("verify: top_k 51", "POST", "/v1/verify", 422, "less than or equal to 50",
         json_body={"claim": "a b c", "top_k": 51}, names_field="top_k"),
    Http("verify: unknown field", "POST", "/v1/verify", 422, "Extra inputs are not permitted",
         json_body={"claim": "a b c", "evil": 1}, names_field="evil"),
    Http("verify: body not JSON", "POST", "/v1/verify", 422, "not valid JSON", b'{"claim": ', names_field="body"),
    Http("verify: body not UTF-8", "POST", "/v1/verify", 400, "not UTF-8", b'{"claim": "Roemeni\xeb"}'),
    Http("verify: body a JSON list", "POST", "/v1/verify", 422, "valid dictionary", json_body=["a claim"]),
    Http("verify: unknown source", "POST", "/v1/verify", 404, "unknown source id(s): nope",
         json_body={"claim": "a b c", "sources": ["nope"]}, names_field="sources"),
    Http("verify: source id with a surrogate", "POST", "/v1/verify", 422, SURROGATE,
         b'{"claim": "a b c", "sources": ["\\ud800"]}', names_field="sources"),
    Http("verify: date that is not a date", "POST", "/v1/verify", 422, "not a date",
         json_body={"claim": "a b c", "published_after": "yesterday"}, names_field="published_after"),
    Http("verify: body over the limit", "POST", "/v1/verify", 413, "larger than the limit of 65,536 bytes",
         _claim("x" * 70_000)),
    Http("verify: GET", "GET", "/v1/verify", 405, "Method Not Allowed"),
    # --- POST /v1/search ---
    Http("search: lone surrogate", "POST", "/v1/search", 422, SURROGATE, b'{"query": "\\ud800 troops"}',
         names_field="query"),
    Http("search: NUL", "POST", "/v1/search", 422, "NUL character", b'{"query": "troops\\u0000"}',
         names_field="query"),
    Http("search: top_k true", "POST", "/v1/search", 422, "valid integer", json_body={"query": "x", "top_k": True},
         names_field="top_k"),
    # --- POST /v1/documents, DELETE /v1/documents/{id} ---
    Http("documents: no API key", "POST", "/v1/documents", 401, "API key",
         json_body={"source_id": "a", "text": "Some text here."}, headers={"X-API-Key": ""}),
    Http("documents: wrong API key", "POST", "/v1/documents", 401, "API key",
         json_body={"source_id": "a", "text": "Some text here."}, headers={"X-API-Key": "x" * 24}),
    Http("documents: text with a lone surrogate", "POST", "/v1/documents", 422, SURROGATE,
         b'{"source_id": "a", "text": "\\ud800 troops went there. And more."}', headers=AUTH, names_field="text"),
    Http("documents: source_id with a lone surrogate", "POST", "/v1/documents", 422, SURROGATE,
         b'{"source_id": "x\\ud800", "text": "Troops went there."}', headers=AUTH, names_field="source_id"),
    Http("documents: text with NUL", "POST", "/v1/documents", 422, "NUL character",
         b'{"source_id": "a", "text": "Troops\\u0000 went there."}', headers=AUTH, names_field="text"),
    Http("documents: title with NUL", "POST", "/v1/documents", 422, "NUL character",
         b'{"source_id": "a", "text": "Troops went there.", "title": "T\\u0000"}', headers=AUTH, names_field="title"),
    Http("documents: html with a lone surrogate", "POST", "/v1/documents", 422, "surrogate",
         b'{"source_id": "a", "html": "<html><body><p>\\ud800 Troops went there.</p></body></html>"}', headers=AUTH,
         names_field="html"),
    Http("documents: source_id with a slash", "POST", "/v1/documents", 422, "not a source id",
         json_body={"source_id": "../etc/passwd", "text": "Troops went there."}, headers=AUTH,
         names_field="source_id"),
    Http("documents: both text and html", "POST", "/v1/documents", 422, "exactly one of text and html",
         json_body={"source_id": "a", "text": "x y z", "html": "<p>x</p>"}, headers=AUTH),
    Http("documents: text over the write limit", "POST", "/v1/documents", 413, "CROSSCHECK_MAX_DOCUMENT_CHARS",
         json_body={"source_id": "a", "text": "Troops went there. " * 60}, headers=AUTH, names_field="text"),
    Http("documents: delete an unknown source", "DELETE", "/v1/documents/nope", 404, "no source 'nope'",
         headers=AUTH),
    Http("documents: delete a source id with NUL", "DELETE", "/v1/documents/a%00b", 422, "should match pattern",
         headers=AUTH, names_field="source_id"),
    # --- POST /v1/verify/batch: a bad claim is a row error, the request still answers ---
    Http("batch: more claims than the limit", "POST", "/v1/verify/batch", 413, "CROSSCHECK_BATCH_MAX_CLAIMS",
         json_body={"claims": ["a b c"] * 6}),
    Http("batch: no claims", "POST", "/v1/verify/batch", 422, "at least 1 item", json_body={"claims": []},
         names_field="claims"),
    Http("batch: a claim that is not text", "POST", "/v1/verify/batch", 422, "valid string",
         json_body={"claims": ["a b c", 5]}, names_field="claims[1]"),
    # --- POST /v1/verify/csv ---
    Http("csv: empty file", "POST", "/v1/verify/csv", 422, "is empty", files=_csv(b"")),
    Http("csv: no claim column", "POST", "/v1/verify/csv", 422, "'date', 'number'",
         files=_csv(b"date,number\n2022,5\n")),
    Http("csv: more rows than the limit", "POST", "/v1/verify/csv", 413, "CROSSCHECK_BATCH_MAX_CLAIMS",
         files=_csv(b"claim\n" + b"a claim here\n" * 6)),
    Http("csv: header not in the detected encoding", "POST", "/v1/verify/csv", 422, "the header of claims.csv is not "
         "valid utf-8", files=_csv(b"cl\xffaim\nRoemeni\xc3\xab en Belgi\xc3\xab\n")),
    Http("csv: a byte-order mark then broken UTF-16", "POST", "/v1/verify/csv", 422, "not valid utf-16",
         files=_csv(b"\xff\xfe\x00\xd8claim\n")),
    Http("csv: unknown encoding named", "POST", "/v1/verify/csv?encoding=klingon", 422, "unknown encoding 'klingon'",
         files=_csv(b"claim\nx\n")),
    Http("unknown route", "GET", "/v1/nothing", 404, "Not Found"),
]  # fmt: skip


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app over the fake embedder and the seeds, with an API key and small limits to reach."""
    config = Settings(index_dir=tmp_path_factory.mktemp("reliability") / "index", api_key=API_KEY, **LIMITS)
    app = create_app(config, Corpus(config, embedder=FakeEmbedder(model_id="use-multilingual-v3")))
    client = started(app, raise_server_exceptions=False)
    yield client
    client.__exit__(None, None, None)


def _send(client: TestClient, case: Http) -> Any:
    headers = {**(JSON if case.body is not None else {}), **case.headers}
    return client.request(
        case.method, case.path, content=case.body, json=case.json_body, files=case.files, headers=headers
    )


@pytest.mark.parametrize("case", API, ids=[case.name for case in API])
def test_api_refuses_hostile_input_clearly(client: TestClient, case: Http) -> None:
    response = _send(client, case)
    assert response.status_code == case.status, response.text
    body = response.json()
    assert set(body) == {"error", "message", "fields", "request_id"}, body
    assert case.message in body["message"], body
    if case.names_field is not None:
        assert case.names_field in [f["field"] for f in body["fields"]], body


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=_delimiter(text)))


def _delimiter(text: str) -> str:
    return ";" if text.lstrip("\ufeff").split("\n", 1)[0].count(";") else ","


def test_api_batch_rows_name_what_is_wrong_and_keep_the_rest(client: TestClient) -> None:
    claims = ["\ud800 troops", "x" * 2001, "   ", "Duizend militairen gaan naar Roemenië"]
    response = client.post("/v1/verify/batch", content=json.dumps({"claims": claims}), headers=JSON)
    assert response.status_code == 200, response.text
    errors = [row["error"] for row in response.json()["rows"]]
    assert SURROGATE in errors[0] and errors[0].startswith("invalid claim")
    assert errors[1].startswith("claim too long") and errors[2] == "empty claim"
    assert errors[3] is None


def test_api_csv_with_nul_and_formulas(client: TestClient) -> None:
    """A NUL in an upload was a 500; formulas in the user's cells came back ready to run."""
    upload = b'id,claim,note\n=HYPERLINK("http://x"),A\x00B,@SUM(A1)\nr2,Duizend militairen gaan naar Roemenie,-5\n'
    response = client.post("/v1/verify/csv", files=_csv(upload))
    assert response.status_code == 200, response.text
    first, second = _csv_rows(response.text)
    assert first["id"] == '\'=HYPERLINK("http://x")' and first["note"] == "'@SUM(A1)"
    assert "NUL character at character 2" in first["error"]
    assert second["note"] == "-5" and second["error"] == "" and second["verdict"]


def test_api_csv_in_cp1252_is_read_as_cp1252(client: TestClient) -> None:
    response = client.post("/v1/verify/csv", files=_csv(CSV_CP1252))
    assert response.status_code == 200, response.text
    assert response.headers["X-Crosscheck-Input-Encoding"] == "cp1252"
    assert "X-Crosscheck-Input-Encoding-Doubt" not in response.headers
    (row,) = _csv_rows(response.text)
    assert row["claim"] == "Duizend militairen gaan naar Roemenië"


def test_api_csv_says_when_the_encoding_is_a_guess(client: TestClient) -> None:
    response = client.post("/v1/verify/csv", files=_csv("claim;bedrag\nHet kost 5 € zegt men;“x”\n".encode("cp1252")))
    assert response.status_code == 200
    doubt = response.headers["X-Crosscheck-Input-Encoding-Doubt"]
    assert "not sure it is cp1252" in doubt and "the encoding parameter" in doubt


@pytest.mark.parametrize("path", ["/", "/static/index.html", "/docs"])
def test_every_page_has_a_content_security_policy(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[-1].split(";", 1)[0]


def test_the_docs_page_allows_exactly_its_own_inline_script(client: TestClient) -> None:
    import base64
    import hashlib
    import re

    response = client.get("/docs")
    (script,) = re.findall(r"<script>(.*?)</script>", response.text, re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}'" in response.headers["Content-Security-Policy"]


# --- the CLI, through main() as the installed command runs it ---


@dataclass(frozen=True)
class Command:
    name: str
    argv: tuple[str, ...]
    exit_code: int
    message: str  # in stderr
    files: dict[str, bytes] = field(default_factory=dict)  # written into the working directory first
    output: str | None = None  # in stdout, when given


CSV_CP1252 = b'claim;bron\n"Duizend militairen gaan naar Roemeni\xeb";krant\n'
BIG = 1 << 20

CLI = [
    Command("check: lone surrogate (invalid UTF-8 in argv)", ("check", "troops \udcff to Romania"), 1,
            "Error: the claim holds a lone surrogate U+DCFF at character 8"),
    Command("check: blank claim", ("check", "   "), 1, "Error: the claim is empty"),
    Command("check: claim too long", ("check", "x" * 2001), 1, "the limit is 2,000"),
    Command("check: top-k 0", ("check", "a b c", "--top-k", "0"), 2, "Invalid value for '--top-k'"),
    Command("check: date that is not a date", ("check", "a b c", "--published-after", "gisteren"), 1,
            "published_after: published must be an ISO date"),
    Command("check: unknown source", ("check", "a b c", "--source", "nope"), 1, "unknown source id(s): nope"),
    Command("search: lone surrogate", ("search", "\udce9t\udce9"), 1, "Error: the query holds a lone surrogate"),
    Command("search: source id with a lone surrogate", ("check", "a b c", "--source", "x\udcff"), 1,
            "Error: a source id holds a lone surrogate"),
    # batch
    Command("batch: cp1252 file", ("batch", "in.csv", "-o", "out.csv"), 0, "reading it as cp1252 (detected)",
            files={"in.csv": CSV_CP1252}),
    Command("batch: NUL in a claim", ("batch", "in.csv", "--json", "-o", "out.csv"), 0, "",
            files={"in.csv": b"claim\nA\x00B claim\n"}, output='"invalid claim": 1'),
    Command("batch: unknown encoding", ("batch", "in.csv", "--encoding", "klingon"), 1, "unknown encoding 'klingon'",
            files={"in.csv": b"claim\nx\n"}),
    Command("batch: empty file", ("batch", "in.csv"), 1, "is empty", files={"in.csv": b""}),
    Command("batch: output exists", ("batch", "in.csv", "-o", "in.csv.out.csv"), 1,
            "already exists: add --resume", files={"in.csv": b"claim\nx\n", "in.csv.out.csv": b"x"}),
    Command("batch: resume and force", ("batch", "in.csv", "-o", "o.csv", "--resume", "--force"), 2, "choose one",
            files={"in.csv": b"claim\nx\n"}),
    Command("batch: output is the input", ("batch", "in.csv", "-o", "in.csv", "--force"), 2,
            "the output file is the input file", files={"in.csv": b"claim\nx\n"}),
    Command("batch: no claim column", ("batch", "in.csv"), 1, "'date', 'number'",
            files={"in.csv": b"date,number\n2022,5\n"}),
    # ingest
    Command("ingest: JSONL record with a lone surrogate", ("ingest", "feed.jsonl", "--quiet"), 1,
            "feed.jsonl:1: the document's text holds a lone surrogate U+D800",
            files={"feed.jsonl": b'{"source_id": "a", "text": "\\ud800 Troops went there."}\n'}),
    Command("ingest: UTF-16 text without a byte-order mark", ("ingest", "utf16.txt", "--quiet"), 1,
            "holds a NUL character", files={"utf16.txt": "Troops go to Romania.".encode("utf-16-le")}),
    Command("ingest: only an unsupported file", ("ingest", "scan.pdf", "--quiet"), 1,
            "unsupported file type '.pdf'", files={"scan.pdf": b"%PDF-1.4"}),
    Command("ingest: a path that does not exist", ("ingest", "missing.txt", "--quiet"), 1,
            "missing.txt: no such file or directory"),
    Command("ingest: a JSONL line that is not JSON", ("ingest", "feed.jsonl", "--quiet"), 1,
            "feed.jsonl:1: not valid JSON", files={"feed.jsonl": b"{not json\n"}),
]  # fmt: skip


@pytest.fixture
def crosscheck(
    isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """``crosscheck ARGS`` through ``main()`` in ``tmp_path``, over the fake embedder: (exit code, stdout, stderr)."""
    monkeypatch.setattr("service.corpus.LazyEmbedder", lambda name, threads=None: FakeEmbedder(model_id=name))
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            cli_module.main(list(argv))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.mark.parametrize("case", CLI, ids=[case.name for case in CLI])
def test_cli_refuses_hostile_input_clearly(crosscheck: Callable[..., tuple[int, str, str]], case: Command) -> None:
    for name, content in case.files.items():
        Path(name).write_bytes(content)
    code, out, err = crosscheck(*case.argv)
    assert "Traceback" not in err and "unexpected" not in err, err
    assert code == case.exit_code, (code, out, err)
    assert case.message in err, err
    if case.output is not None:
        assert case.output in out, out


def test_cli_batch_neutralises_formulas_unless_asked_not_to(crosscheck: Callable[..., tuple[int, str, str]]) -> None:
    Path("in.csv").write_bytes(b"claim,note\n=1+1 troops,+cmd\n")
    assert crosscheck("batch", "in.csv", "-o", "safe.csv", "--quiet")[0] == 0
    (row,) = _csv_rows(Path("safe.csv").read_text(encoding="utf-8"))
    assert (row["claim"], row["note"]) == ("'=1+1 troops", "'+cmd")
    assert crosscheck("batch", "in.csv", "-o", "exact.csv", "--quiet", "--keep-formulas")[0] == 0
    (row,) = _csv_rows(Path("exact.csv").read_text(encoding="utf-8"))
    assert (row["claim"], row["note"]) == ("=1+1 troops", "+cmd")
    assert crosscheck("batch", "in.csv", "-o", "exact.jsonl", "--quiet")[0] == 0
    assert json.loads(Path("exact.jsonl").read_text())["input"] == {"claim": "=1+1 troops", "note": "+cmd"}


def test_cli_batch_row_with_a_huge_cell_keeps_its_id(crosscheck: Callable[..., tuple[int, str, str]]) -> None:
    Path("in.csv").write_text(f"id,claim\nr1,a first claim here\nr2,{'x' * (BIG + 1)}\nr3,a third claim\n")
    code, _, err = crosscheck("batch", "in.csv", "-o", "out.jsonl", "--id-column", "id", "--quiet")
    assert code == 0, err
    rows = [json.loads(line) for line in Path("out.jsonl").read_text().splitlines()]
    assert [row["id"] for row in rows] == ["r1", "r2", "r3"]
    assert rows[1]["error"].startswith("cell too large: column 'claim' holds 1,048,577 characters")


def test_cli_ingest_skips_a_named_pipe_and_ingests_the_rest(crosscheck: Callable[..., tuple[int, str, str]]) -> None:
    Path("corpus").mkdir()
    Path("corpus/good.txt").write_text("Duizend militairen gaan naar Roemenië.", encoding="utf-8")
    os.mkfifo("corpus/pipe.txt")
    code, _, err = crosscheck("ingest", "corpus", "--quiet")
    assert code == 0, err
    assert "corpus/pipe.txt: not a regular file (a named pipe); skipped" in err and "1 added" in err
