"""``crosscheck batch`` end to end, on files the tests write; interruption with real signals."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from service.batch.output import ADDED_COLUMNS, BatchRow
from service.schemas import VerificationResult
from tests.conftest import REPO
from tests.service.batch.conftest import WriteFile

RunBatch = Callable[..., tuple[int, str, str]]

DUTCH_EXCEL = (
    "Nr;Bewering;Bron;Opmerking\r\n"
    "1;Duizend militairen gaan naar Roemenië;NOS;\r\n"
    "2;;NRC;leeg\r\n"
    '3;"Zelenskyj zegt: ""Rusland; niet België""\r\nen de NAVO stuurt 2.000 militairen";De Standaard;twee regels\r\n'
    "4;Rusland ontkent plannen voor een inval in Oekraïne;VRT;\r\n"
)


def read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))


def test_semicolon_bom_file_from_dutch_excel(run_batch: RunBatch, write: WriteFile, tmp_path: Path) -> None:
    src = write("claims.csv", codecs.BOM_UTF8 + DUTCH_EXCEL.encode())
    out = tmp_path / "checked.csv"
    code, _, err = run_batch(src, "-o", out, "--column", "bewering")
    assert code == 0, err
    assert "checking the claims in column 'Bewering'" in err
    raw = out.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) and raw.count(codecs.BOM_UTF8) == 1
    rows = read_csv(out, delimiter=";")  # same delimiter back, for Dutch Excel
    assert list(rows[0]) == ["Nr", "Bewering", "Bron", "Opmerking", *ADDED_COLUMNS]
    assert [r["Nr"] for r in rows] == ["1", "2", "3", "4"] and [r["row"] for r in rows] == ["1", "2", "3", "4"]
    assert rows[2]["Bewering"] == 'Zelenskyj zegt: "Rusland; niet België"\r\nen de NAVO stuurt 2.000 militairen'
    assert rows[1]["error"] == "empty claim" and rows[1]["verdict"] == ""
    for row in (rows[0], rows[2], rows[3]):
        assert row["verdict"] in {"supported", "refuted", "conflicting", "not_enough_evidence"}
        assert row["error"] == "" and "," in row["confidence"]  # decimal comma beside semicolons
        assert all(part.split(":")[1] in {"supports", "conflicts", "neutral"} for part in row["sources"].split(";"))
    assert "\n4 rows in " in err and re.search(r"\n +empty claim +1\n", err)


def test_cp1252_file_is_detected_reported_and_read_right(run_batch: RunBatch, write: WriteFile, tmp_path: Path) -> None:
    text = (
        "claim,wie,waar\r\n"
        "Zelenskyj bezocht België en sprak met de premier,Zelenskyj,België\r\n"
        '"„Duizend militairen naar Roemenië”, zei Biden",Biden,Roemenië\r\n'
    )
    src = write("legacy.csv", text.encode("cp1252"))
    out = tmp_path / "checked.jsonl"
    code, _, err = run_batch(src, "-o", out)
    assert code == 0, err
    assert f"note: {src} is not UTF-8; reading it as cp1252 (detected)" in err
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["input"]["wie"] for line in lines] == ["Zelenskyj", "Biden"]
    assert lines[0]["result"]["claim"] == "Zelenskyj bezocht België en sprak met de premier"
    assert lines[1]["input"]["waar"] == "Roemenië" and lines[1]["result"]["claim"].startswith("„Duizend")


def test_jsonl_lines_carry_row_id_input_and_the_full_contract(
    run_batch: RunBatch, write: WriteFile, tmp_path: Path
) -> None:
    src = write("claims.csv", DUTCH_EXCEL)
    out = tmp_path / "checked.jsonl"
    code, _, err = run_batch(src, "-o", out, "--column", "Bewering", "--id-column", "Bron", "--top-k", "2")
    assert code == 0, err
    lines = out.read_text(encoding="utf-8").splitlines()
    items = [BatchRow.model_validate_json(line) for line in lines]
    assert [(i.row, i.id) for i in items] == [(1, "NOS"), (2, "NRC"), (3, "De Standaard"), (4, "VRT")]
    assert items[1].result is None and items[1].error == "empty claim"
    first = json.loads(lines[0])
    assert set(first) == {"row", "id", "input", "result", "error"}
    assert set(first["result"]) == set(VerificationResult.model_fields)
    assert all(len(s["passages"]) <= 2 for s in first["result"]["sources"])


def test_bad_rows_get_an_error_and_are_never_dropped(run_batch: RunBatch, write: WriteFile, tmp_path: Path) -> None:
    huge = "Duizend militairen gaan naar Roemenië en blijven daar. " * 1900  # a 100 KB cell
    assert len(huge.encode()) > 100_000
    content = (
        "id,claim\n1,Duizend militairen gaan naar Roemenië\n2,\n".encode()
        + f'3,"{huge}"\n'.encode()
        + b"4,Caf\xe9 stray byte in a UTF-8 file\n"
        + b"5,Rusland ontkent de plannen\n6,   \n"
    )
    src = write("bad.csv", content)
    out = tmp_path / "checked.csv"
    code, stdout, err = run_batch(src, "-o", out, "--json")
    assert code == 0, err
    rows = read_csv(out)
    assert [r["id"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert [r["error"].split(":")[0] for r in rows] == [
        "", "empty claim", "claim too long", "undecodable bytes", "", "empty claim",
    ]  # fmt: skip
    assert rows[2]["claim"] == huge  # the 100 KB cell is kept, just not checked
    assert "0xE9" in rows[3]["error"] and rows[3]["claim"] == "Caf\ufffd stray byte in a UTF-8 file"
    summary = json.loads(stdout)
    assert summary["rows"] == 6 and sum(summary["verdicts"].values()) == 2
    assert summary["errors"] == {"claim too long": 1, "empty claim": 2, "undecodable bytes": 1}


def test_missing_column_is_a_clear_error(run_batch: RunBatch, write: WriteFile, tmp_path: Path) -> None:
    src = write("claims.csv", DUTCH_EXCEL)
    code, _, err = run_batch(src, "-o", tmp_path / "out.csv", "--column", "claim")
    assert code == 1
    assert err == "Error: no column 'claim' (--column); the columns are: 'Nr', 'Bewering', 'Bron', 'Opmerking'"
    assert not (tmp_path / "out.csv").exists()
    code, _, err = run_batch(write("two.csv", "a,b\nDuizend militairen naar Roemenië,Rusland ontkent de inval\n"))
    assert code == 1 and "several columns hold sentences ('a', 'b')" in err and "--column" in err


def test_the_only_text_column_is_found(run_batch: RunBatch, write: WriteFile) -> None:
    src = write("plain.csv", "nr,tekst,datum\n1,Duizend militairen gaan naar Roemenië,2022-02-03\n")
    code, stdout, err = run_batch(src, "-q")
    assert code == 0 and err == ""
    (row,) = list(csv.DictReader(io.StringIO(stdout, newline="")))
    assert row["tekst"] == "Duizend militairen gaan naar Roemenië" and row["verdict"]


def test_existing_output_is_never_clobbered(run_batch: RunBatch, write: WriteFile, tmp_path: Path) -> None:
    src = write("claims.csv", DUTCH_EXCEL)
    out = write("keep.csv", "precious\n")
    code, _, err = run_batch(src, "-o", out)
    assert code == 1 and "already exists: add --resume to continue that run, or --force to overwrite it" in err
    assert out.read_text() == "precious\n"
    code, _, err = run_batch(src, "-o", out, "--resume")
    assert code == 1 and "is not an interrupted run over" in err and "--force" in err
    assert out.read_text() == "precious\n"
    code, _, err = run_batch(src, "-o", out, "--force")
    assert code == 0 and len(read_csv(out, ";")) == 4
    code, _, err = run_batch(src, "-o", src, "--force")
    assert code == 2 and "the output file is the input file" in err


def test_resume_after_a_finished_run_adds_nothing(run_batch: RunBatch, write: WriteFile, tmp_path: Path) -> None:
    src = write("claims.csv", DUTCH_EXCEL)
    out = tmp_path / "checked.csv"
    assert run_batch(src, "-o", out)[0] == 0
    before = out.read_bytes()
    code, _, err = run_batch(src, "-o", out, "--resume")
    assert code == 0 and out.read_bytes() == before
    assert "resuming after row 4" in err and "4 rows: 4 from the earlier run, 0 now" in err


def test_usage_errors(run_batch: RunBatch, write: WriteFile, tmp_path: Path) -> None:
    src = write("claims.csv", DUTCH_EXCEL)
    assert "--resume needs the output file" in run_batch(src, "--resume")[2]
    assert "choose one" in run_batch(src, "-o", tmp_path / "o.csv", "--resume", "--force")[2]
    assert "--json prints the summary on stdout" in run_batch(src, "--json")[2]
    code, _, err = run_batch(src, "-o", tmp_path / "o.xlsx")
    assert code == 1 and "name it .csv or .jsonl, or use --format" in err
    code, _, err = run_batch(tmp_path / "missing.csv")
    assert code == 2 and "does not exist" in err


def test_an_engine_failing_on_a_whole_chunk_stops_the_run_resumably(
    run_batch: RunBatch, write: WriteFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.verify import Verifier

    original = Verifier._verify_batch

    def broken_on_boom(self: Verifier, claims: Any, *args: Any) -> Any:
        if any("boom" in c for c in claims):
            raise ValueError("engine bug")
        return original(self, claims, *args)

    monkeypatch.setattr("service.batch.core.CHUNK", 2)
    monkeypatch.setattr(Verifier, "_verify_batch", broken_on_boom)
    src = write("claims.csv", "claim\nDuizend militairen\nRusland ontkent\nboom one\nboom two\nlast claim here\n")
    out = tmp_path / "checked.csv"
    code, _, err = run_batch(src, "-o", out)
    assert code == 1
    assert "failed on every claim of a chunk (ValueError: engine bug)" in err
    assert f"{out} holds the 2 rows finished before; add --resume to continue" in err
    assert [r["claim"] for r in read_csv(out)] == ["Duizend militairen", "Rusland ontkent"]

    monkeypatch.setattr(Verifier, "_verify_batch", original)  # the bug fixed
    assert run_batch(src, "-o", out, "--resume")[0] == 0
    assert [r["row"] for r in read_csv(out)] == ["1", "2", "3", "4", "5"]


@pytest.mark.integration
def test_real_model_verdicts(
    seed_index_dir: Path, real_embedder: Any, isolated_env: Path, write: WriteFile, tmp_path: Path, monkeypatch: Any
) -> None:
    """The bundled model on the seed corpus: verdicts a fact-checker can check by reading the seeds."""
    from click.testing import CliRunner

    from service import cli as cli_module

    monkeypatch.setattr("service.corpus.LazyEmbedder", lambda name, threads=None: real_embedder)
    src = write(
        "claims.csv",
        "id,claim\n"
        'a,"1,000 troops moved to Romania"\n'
        'b,"2,000 US troops moved to Romania"\n'
        "c,Duizend militairen gaan naar Roemenië\n"
        "d,\n",
    )
    out = tmp_path / "checked.csv"
    result = CliRunner().invoke(
        cli_module.cli, ["batch", str(src), "-o", str(out), "--index-dir", str(seed_index_dir), "--id-column", "id"]
    )
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in read_csv(out)}
    assert rows["a"]["verdict"] == "supported" and rows["c"]["verdict"] == "supported"
    assert rows["a"]["best_support_source"] in {"000_64af60602162f07a", "002_31380c5700cbb35e", "004_f612fa7a56b26ca2"}
    assert "Roemenië" in rows["a"]["best_support_passage"] and float(rows["a"]["best_support_score"]) > 0.5
    assert rows["b"]["verdict"] == "refuted" and rows["b"]["best_conflict_source"]
    assert rows["d"]["error"] == "empty claim"


# -- interruption, with real signals on a real child process -----------------------------------------------

CHILD = """
import sys, time
import service.batch.core as core
import service.corpus
from tests.conftest import FakeEmbedder

core.CHUNK = 8  # small chunks, so the run is interrupted mid-file


class Slow(FakeEmbedder):
    def encode(self, texts, **kwargs):
        time.sleep(0.05)
        return super().encode(texts, **kwargs)


service.corpus.LazyEmbedder = lambda name, threads=None: Slow(model_id=name)
from service.cli import main

main(sys.argv[1:])
"""
ROWS = 160


def many_claims() -> bytes:
    places = ["Roemenië", "Polen", "Duitsland", "België", "de Baltische staten"]
    lines = ["nr;claim;notitie"]
    for i in range(1, ROWS + 1):
        claim = f"{i * 500} militairen gaan naar {places[i % 5]}"
        if i % 17 == 0:
            claim = ""
        elif i % 11 == 0:
            claim = f'"{claim};\r\nzegt Zelenskyj"'
        lines.append(f"{i};{claim};n{i}")
    return codecs.BOM_UTF8 + ("\r\n".join(lines) + "\r\n").encode()


def start_child(args: list[str], index_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CROSSCHECK_INDEX_DIR": str(index_dir)}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *args], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def wait_for_rows(path: Path, child: subprocess.Popen[bytes], at_least: int, fmt: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if path.exists():
            data = path.read_bytes()
            done = data.count(b"\n") if fmt == "jsonl" else len(read_csv(path, ";")) if data.endswith(b"\r\n") else 0
            if done >= at_least:
                return
        assert child.poll() is None, child.communicate()
        time.sleep(0.02)
    raise AssertionError("the child wrote too few rows in time")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_killed_run_resumes_without_losing_or_repeating_a_row(
    fmt: str, run_batch: RunBatch, write: WriteFile, tmp_path: Path, fake_index_dir: Path
) -> None:
    src = write("claims.csv", many_claims())
    reference = tmp_path / f"reference.{fmt}"
    assert run_batch(src, "-o", reference)[0] == 0  # one uninterrupted run, to compare with

    out = tmp_path / f"checked.{fmt}"
    child = start_child(["batch", str(src), "-o", str(out)], fake_index_dir)
    wait_for_rows(out, child, 24, fmt)
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    data = out.read_bytes()
    assert 0 < data.count(b"\n") < reference.read_bytes().count(b"\n")  # really killed mid-run
    out.write_bytes(data[:-7])  # and as if the kill had cut the last row mid-write

    code, _, err = run_batch(src, "-o", out, "--resume")
    assert code == 0, err
    assert "resuming after row" in err
    assert out.read_bytes() == reference.read_bytes()  # every row once, in order, as one run writes it
    if fmt == "csv":
        assert [r["row"] for r in read_csv(out, ";")] == [str(i) for i in range(1, ROWS + 1)]
    else:
        assert [json.loads(line)["row"] for line in out.read_text().splitlines()] == list(range(1, ROWS + 1))


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_or_sigterm_stops_cleanly_with_a_summary(
    sig: int, code: int, run_batch: RunBatch, write: WriteFile, tmp_path: Path, fake_index_dir: Path
) -> None:
    src = write("claims.csv", many_claims())
    out = tmp_path / "checked.csv"
    child = start_child(["batch", str(src), "-o", str(out)], fake_index_dir)
    wait_for_rows(out, child, 16, "csv")
    child.send_signal(sig)
    _, stderr = child.communicate(timeout=60)
    err = stderr.decode()
    assert child.returncode == code, err
    assert "Traceback" not in err and ", interrupted" in err and "add --resume to continue" in err
    finished = read_csv(out, ";")  # valid CSV, every finished row whole
    assert [r["row"] for r in finished] == [str(i) for i in range(1, len(finished) + 1)]
    assert f"\n{len(finished):,} rows in " in err  # the summary counts exactly what the file holds

    assert run_batch(src, "-o", out, "--resume")[0] == 0
    assert [r["row"] for r in read_csv(out, ";")] == [str(i) for i in range(1, ROWS + 1)]


@pytest.mark.parametrize(
    "command",
    [["-m", "service.cli", "batch", "--help"], ["-c", "import service.batch.cli, service.cli; service.cli.main()"]],
    ids=["python -m service.cli", "batch module imported first"],
)
def test_the_batch_command_registers_whatever_is_imported_first(command: list[str]) -> None:
    """No import cycle between service.cli and service.batch.cli, however the CLI is started."""
    if command[0] == "-c":
        command = [*command, "batch", "--help"]
    result = subprocess.run([sys.executable, *command], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "Check every claim in a CSV file" in result.stdout
