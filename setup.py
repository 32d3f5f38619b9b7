"""Compiles the verdict engine's hot modules with mypyc; everything else is in pyproject.toml.

The stance analysis is pure Python and takes most of a check's CPU. mypyc turns
these type-checked modules into C extensions with no change to the source: the
same results (``tests/service/test_compiled.py``), ~25% less CPU a claim.

``CROSSCHECK_COMPILE``: ``auto`` (default) compiles when a C compiler and the
Python headers are there and installs pure Python otherwise; ``1`` compiles or
fails; ``0`` never compiles. The modules' source hashes are recorded beside
them (``service/_compiled.json``): an edited module makes ``service`` run the
whole engine from source rather than a stale build (see ``service.compiled``).
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import sys
import sysconfig
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

# The modules to compile, in one list the Makefile reads too (its comments say what belongs there).
MODULES = "service/engine/compiled_modules.txt"
ROOT = Path(__file__).resolve().parent


def engine_modules(listing: Path = ROOT / MODULES) -> list[str]:
    """The paths listed in ``MODULES``: one a line, ``#`` comments and blank lines skipped."""
    lines = (line.split("#", 1)[0].strip() for line in listing.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


ENGINE = engine_modules()
RECORD = "service/_compiled.json"


def wanted() -> bool:
    choice = os.environ.get("CROSSCHECK_COMPILE", "auto").strip().lower()
    if choice not in {"auto", "0", "1"}:
        raise SystemExit(f"CROSSCHECK_COMPILE must be auto, 0 or 1, not {choice!r}")
    if choice != "auto":
        return choice == "1"
    compiler = shutil.which((os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0])
    headers = Path(sysconfig.get_paths()["include"], "Python.h").is_file()
    if not (compiler and headers):
        print("crosscheck: no C compiler or Python headers: installing the engine as pure Python (slower)")
    return bool(compiler and headers)


class BuildEngine(build_ext):
    """Builds in parallel (the C is split over several files) and records what was compiled."""

    def finalize_options(self) -> None:
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1

    def run(self) -> None:
        super().run()
        # service.compiled checks these at import; run by path, so the build need not import the package
        digest = runpy.run_path(str(ROOT / "service" / "compiled.py"))["digest"]
        hashes = {path.removesuffix(".py").replace("/", "."): digest(ROOT / path) for path in ENGINE}
        target = ROOT / RECORD if self.inplace else Path(self.build_lib) / RECORD
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(hashes, indent=1) + "\n", encoding="utf-8")


# Commands that build the extensions. setuptools runs this file for every build hook, metadata too,
# and mypycify generates all the C at once: only these need it.
BUILDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "install", "develop"}


def main() -> None:
    options: dict[str, Any] = {}
    if BUILDS.intersection(sys.argv[1:]) and wanted():
        from mypyc.build import mypycify

        options = {
            "ext_modules": mypycify(ENGINE, group_name="crosscheck_engine", multi_file=True),
            "cmdclass": {"build_ext": BuildEngine},
        }
    setup(**options)


if __name__ == "__main__":  # as setuptools runs it; tests/test_deploy.py imports ENGINE
    main()
