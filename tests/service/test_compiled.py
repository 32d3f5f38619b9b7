"""The engine compiled with mypyc (setup.py) gives what its source gives, and a stale build is never run.

The comparison is skipped when the engine is not compiled (a plain editable
install), unless CROSSCHECK_REQUIRE_COMPILED=1 (CI sets it, after `make compile`).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from service import compiled
from service.compiled import FromSource, choose, engine_build, recorded, stale
from service.corpus import Corpus
from service.schemas import VerificationResult
from service.settings import Settings
from service.verify import Verifier
from tests.conftest import REPO

# The same claims, the same order and so the same batches on both sides.
_CHECK_FROM_SOURCE = """
import json, sys
from service.compiled import engine_build
from service.corpus import Corpus
from service.schemas import VerificationResult
from service.settings import Settings
from service.verify import Verifier
assert engine_build() == "source", engine_build()
verifier = Verifier(Corpus(Settings(index_dir=sys.argv[1])))
for result in verifier.verify_many(json.load(sys.stdin)):
    print(VerificationResult.from_core(result).model_dump_json())
"""


def _claims() -> list[str]:
    return [
        json.loads(line)["claim"]
        for name in ("dev_claims", "probe_claims", "extra_claims")
        for line in (REPO / "eval" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_the_compiled_engine_answers_as_its_source_does(seed_index_dir: Path, real_embedder: Any) -> None:
    if engine_build() != "compiled":
        if os.environ.get("CROSSCHECK_REQUIRE_COMPILED") == "1":
            pytest.fail("the engine is not compiled: run `make compile` (CROSSCHECK_REQUIRE_COMPILED=1)")
        pytest.skip("the engine is not compiled (make compile)")
    claims = _claims()
    verifier = Verifier(Corpus(Settings(index_dir=seed_index_dir), embedder=real_embedder))
    here = [VerificationResult.from_core(r).model_dump_json() for r in verifier.verify_many(claims)]
    run = subprocess.run(
        [sys.executable, "-c", _CHECK_FROM_SOURCE, str(seed_index_dir)],
        input=json.dumps(claims),
        capture_output=True,
        text=True,
        env={**os.environ, compiled.PURE_ENV: "1"},
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    there = run.stdout.splitlines()
    assert len(there) == len(claims) > 70
    for claim, a, b in zip(claims, here, there, strict=True):
        assert a == b, claim


def _package(root: Path, sources: dict[str, str]) -> dict[str, str]:
    """Modules written under ``root``; returns the record a build of them would leave."""
    hashes = {}
    for name, text in sources.items():
        path = root.joinpath(*name.split(".")).with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            (root / parent / "__init__.py").touch()
        path.write_text(text, encoding="utf-8")
        hashes[name] = hashlib.sha256(text.encode()).hexdigest()
    return hashes


def test_an_edited_module_is_stale(tmp_path: Path) -> None:
    hashes = _package(tmp_path, {"pkg.a": "A = 1\n", "pkg.sub.b": "B = 2\n"})
    assert stale(hashes, tmp_path) == []
    (tmp_path / "pkg" / "sub" / "b.py").write_text("B = 3\n", encoding="utf-8")
    assert stale(hashes, tmp_path) == ["pkg.sub.b"]
    (tmp_path / "pkg" / "a.py").unlink()
    assert stale(hashes, tmp_path) == ["pkg.a", "pkg.sub.b"]


def test_no_record_means_nothing_was_compiled(tmp_path: Path) -> None:
    assert recorded(tmp_path / "_compiled.json") == {}
    assert choose(tmp_path / "_compiled.json") == "source"


@pytest.fixture
def meta_path(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """sys.meta_path as the test leaves it is dropped afterwards."""
    finders = list(sys.meta_path)
    monkeypatch.setattr(sys, "meta_path", finders)
    return finders


def _record(tmp_path: Path, hashes: dict[str, str]) -> Path:
    record = tmp_path / "pkg" / "_compiled.json"
    record.write_text(json.dumps(hashes), encoding="utf-8")
    return record


def test_a_current_build_is_used(tmp_path: Path, meta_path: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(compiled.PURE_ENV, raising=False)
    record = _record(tmp_path, _package(tmp_path, {"pkg.a": "A = 1\n"}))
    assert choose(record) == "compiled"
    assert not any(isinstance(f, FromSource) for f in meta_path)


def test_a_stale_build_runs_every_compiled_module_from_source(
    tmp_path: Path, meta_path: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(compiled.PURE_ENV, raising=False)
    record = _record(tmp_path, _package(tmp_path, {"pkg.a": "A = 1\n", "pkg.b": "B = 2\n"}))
    (tmp_path / "pkg" / "a.py").write_text("A = 10\n", encoding="utf-8")
    with pytest.warns(RuntimeWarning, match=r"pkg\.a changed since it was compiled"):
        assert choose(record).startswith("source (pkg.a changed")
    finder = meta_path[0]
    assert isinstance(finder, FromSource) and finder.names == {"pkg.a", "pkg.b"}
    # the unchanged module too: compiled modules call each other directly, so no mix is safe
    spec = finder.find_spec("pkg.b", [str(tmp_path / "pkg")])
    assert spec is not None and spec.origin == str(tmp_path / "pkg" / "b.py")
    assert finder.find_spec("pkg.other", [str(tmp_path / "pkg")]) is None


def test_pure_python_on_request(tmp_path: Path, meta_path: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(compiled.PURE_ENV, "1")
    record = _record(tmp_path, _package(tmp_path, {"pkg.a": "A = 1\n"}))
    assert choose(record) == f"source ({compiled.PURE_ENV} is set)"
    assert isinstance(meta_path[0], FromSource)
