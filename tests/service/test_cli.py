from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from service import cli as cli_module
from tests.conftest import REPO, SEEDS, FakeEmbedder


@pytest.fixture
def run(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Invoke ``crosscheck`` in-process with the fake embedder; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr("service.corpus.LazyEmbedder", lambda name, threads=None: FakeEmbedder(model_id=name))

    def invoke(*args: str) -> tuple[int, str, str]:
        runner = CliRunner()
        result = runner.invoke(cli_module.cli, list(args), catch_exceptions=True)
        if result.exception and not isinstance(result.exception, SystemExit):
            # mirror main(): domain errors are one line, never a traceback
            from service.errors import CrosscheckError

            assert isinstance(result.exception, CrosscheckError), result.exception
            return 1, result.stdout, f"Error: {result.exception}"
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_ingest_then_sources(run: Any, isolated_env: Path) -> None:
    code, _, err = run("ingest", str(SEEDS), "--quiet")
    assert code == 0
    assert "5 added" in err and str(isolated_env) in err
    code, out, _ = run("sources", "--json")
    sources = json.loads(out)
    assert [s["source_id"] for s in sources] == sorted(p.stem for p in SEEDS.glob("*.txt"))
    assert {s["published"] for s in sources} == {"2022-01", "2022-02", None}
    code, _, err = run("ingest", str(SEEDS), "--quiet")
    assert "5 unchanged" in err


def test_search_builds_the_seed_index_and_says_so(run: Any) -> None:
    code, out, err = run("search", "Duizend soldaten naar Roemenië", "--json", "--top-k", "1")
    assert code == 0
    assert "building one from the bundled seeds" in err
    payload = json.loads(out)
    assert payload["query"] == "Duizend soldaten naar Roemenië"
    assert all(len(s["passages"]) == 1 for s in payload["sources"])
    assert {"source_id", "title", "published", "language", "passages"} <= payload["sources"][0].keys()


def test_plain_search_output(run: Any) -> None:
    code, out, _ = run("search", "Duizend soldaten naar Roemenië")
    assert code == 0
    assert "000_64af60602162f07a" in out and "\x1b[" not in out


def test_ingest_reports_bad_files_and_keeps_the_rest(run: Any, tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("Duizend soldaten gaan naar Roemenië.", encoding="utf-8")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF")
    code, _, err = run("ingest", str(tmp_path), "--quiet")
    assert code == 0
    assert "bad.pdf" in err and "unsupported" in err and "1 added" in err and "1 failed" in err


def test_delete(run: Any) -> None:
    run("ingest", str(SEEDS), "--quiet")
    assert run("delete", "000_64af60602162f07a")[0] == 0
    code, out, _ = run("sources", "--json")
    assert "000_64af60602162f07a" not in out
    code, _, err = run("delete", "000_64af60602162f07a")
    assert code == 1 and "no source" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", "   "), "the query is empty"),
        (("search", "x" * 5000), "limit is 2,000"),
        (("sources",), None),  # bootstraps, no error
    ],
)
def test_bad_queries_get_one_line(run: Any, args: tuple[str, ...], message: str | None) -> None:
    code, _, err = run(*args)
    if message is None:
        assert code == 0
    else:
        assert code == 1 and message in err and "Traceback" not in err


def test_usage_errors_exit_2(run: Any) -> None:
    code, _, err = run("search", "x", "--top-k", "0")
    assert code == 2 and "top-k" in err


def run_binary(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=300
    )


def test_real_command_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "CROSSCHECK_INDEX_DIR": str(tmp_path / "idx"), "CROSSCHECK_MODEL": "fake"}
    (tmp_path / "idx").mkdir()
    (tmp_path / "idx" / "CURRENT").write_text("garbage\n")
    result = run_binary("sources", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.integration
def test_real_search_acceptance_from_the_command_line(tmp_path: Path) -> None:
    """The issue's acceptance, through the installed command and the bundled model."""
    env = {**os.environ, "CROSSCHECK_INDEX_DIR": str(tmp_path / "idx")}
    env.pop("CROSSCHECK_MODEL", None)
    result = run_binary("search", "1,000 troops moved to Romania", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert "building one from the bundled seeds" in result.stderr
    top = {s["source_id"]: s["passages"][0]["text"] for s in json.loads(result.stdout)["sources"]}
    for source in ("000_64af60602162f07a", "002_31380c5700cbb35e", "004_f612fa7a56b26ca2"):
        assert "Roemenië" in top[source] and ("uizend" in top[source] or "1.000" in top[source])


def test_check_json_is_the_result_contract(run: Any) -> None:
    code, out, err = run("check", "Duizend soldaten naar Roemenië", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert {"claim", "verdict", "confidence", "sources"} <= payload.keys()
    assert payload["verdict"] in {"supported", "refuted", "conflicting", "not_enough_evidence"}
    for source in payload["sources"]:
        assert source["stance"] in {"supports", "conflicts", "neutral"}
        assert {"text", "stance", "similarity", "score", "reasons", "char_start", "char_end"} <= source["passages"][
            0
        ].keys()


def test_check_table_is_plain_when_not_a_terminal(run: Any) -> None:
    code, out, _ = run("check", "Duizend soldaten naar Roemenië")
    assert code == 0
    assert "\x1b[" not in out
    assert "confidence" in out and "000_64af60602162f07a" in out


def test_check_rejects_a_bad_date_filter_in_one_line(run: Any) -> None:
    code, _, err = run("check", "Duizend soldaten", "--published-after", "last week")
    assert code == 1 and "published_after" in err and "Traceback" not in err


def test_eval_reports_the_figures(run: Any) -> None:
    code, out, _ = run("eval", str(REPO / "eval" / "dev_claims.jsonl"))
    assert code == 0
    for figure in ("verdict accuracy", "precision", "recall", "F1", "evidence recall", "confusion", "macro-F1"):
        assert figure in out
    assert "majority label" in out and "similarity only" in out
    code, out, _ = run("eval", str(REPO / "eval" / "dev_claims.jsonl"), "--json")
    report = json.loads(out)
    assert report["claims"] == 28 and 0 <= report["stance_f1"] <= 1 and len(report["baselines"]) == 2


def test_eval_names_the_bad_line(run: Any, tmp_path: Path) -> None:
    bad = tmp_path / "claims.jsonl"
    bad.write_text('{"claim": "a", "verdict": "supported"}\n{"claim": "b", "verdict": "maybe"}\n', encoding="utf-8")
    code, _, err = run("eval", str(bad))
    assert code == 1 and "claims.jsonl:2" in err and "verdict" in err


def test_eval_checks_claims_with_their_own_evidence_in_a_cached_index(
    run: Any, tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rows = [
        {"id": "a", "claim": "The Blue Bridge opened in 1931.", "verdict": "supported",
         "documents": [{"source_id": "a1", "text": "The Blue Bridge opened in 1931.", "url": None}]},
        {"id": "b", "claim": "The Red Tower is 120 metres tall.", "verdict": "not_enough_evidence",
         "documents": [{"source_id": "b1", "text": "The Red Tower stands by the sea.", "url": None}]},
    ]  # fmt: skip
    claims = tmp_path / "own.jsonl"
    claims.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, out, err = run("eval", str(claims))
    assert code == 0, err
    for figure in ("verdict accuracy", "macro-F1", "precision", "recall", "confusion", "majority label"):
        assert figure in out
    assert "similarity only" in out and "source stance" not in out  # no source labels in this file
    cached = list((tmp_path / "cache" / "crosscheck" / "eval").iterdir())
    assert len(cached) == 1 and cached[0].name.startswith("own-") and str(cached[0]) in out
    assert not isolated_env.exists()  # the user's corpus index is never touched
    code, out, err = run("eval", str(claims), "--json", "--similarity-threshold", "0.5")
    report = json.loads(out)
    assert report["claims"] == 2 and report["stance_f1"] is None
    assert report["labels"] == ["supported", "not_enough_evidence"]
    assert [b["name"] for b in report["baselines"]] == ["majority label", "similarity only"]
    assert report["baselines"][1]["choices"] == ["0.5000"] and "Indexed" not in err  # the cache was reused


@pytest.mark.integration
def test_real_check_acceptance_from_the_command_line(tmp_path: Path) -> None:
    """The verdict engine's acceptance, through the installed command and the bundled model."""
    env = {**os.environ, "CROSSCHECK_INDEX_DIR": str(tmp_path / "idx")}
    env.pop("CROSSCHECK_MODEL", None)
    supported = run_binary("check", "1,000 troops moved to Romania", "--json", env=env)
    assert supported.returncode == 0, supported.stderr
    payload = json.loads(supported.stdout)
    assert payload["verdict"] == "supported"
    three = {"000_64af60602162f07a", "002_31380c5700cbb35e", "004_f612fa7a56b26ca2"}
    assert {s["source_id"] for s in payload["sources"] if s["stance"] == "supports"} == three
    refuted = run_binary("check", "2,000 troops moved to Romania", env=env)
    assert refuted.returncode == 0, refuted.stderr
    assert "REFUTED" in refuted.stdout
    assert "number differs: claim 2,000 vs source" in refuted.stdout


def test_doctor_finds_a_missing_row_and_repairs_it(run: Any, isolated_env: Path) -> None:
    import sqlite3

    run("ingest", str(SEEDS), "--quiet")
    assert run("doctor")[0] == 0
    conn = sqlite3.connect(isolated_env / "store.sqlite")
    with conn:
        conn.execute("DELETE FROM passages WHERE id = 5")
    conn.close()
    code, _, err = run("sources")
    assert code == 1 and "damaged" in err and "crosscheck doctor" in err and "KeyError" not in err
    code, _, err = run("doctor")
    assert code == 1 and "some are missing" in err and "1 vectors have no passage row" in err and "--repair" in err
    code, _, err = run("doctor", "--repair")
    assert code == 0 and "re-indexed 1 sources" in err, err
    assert run("doctor")[0] == 0
    code, out, _ = run("sources", "--json")
    assert code == 0 and len(json.loads(out)) == 5


def test_compact(run: Any) -> None:
    run("ingest", str(SEEDS), "--quiet")
    assert run("delete", "000_64af60602162f07a")[0] == 0
    code, _, err = run("compact")
    assert code == 0 and "compacted: 4 sources" in err
