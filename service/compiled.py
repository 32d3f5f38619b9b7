"""Whether the engine runs compiled (mypyc, see ``setup.py``) or from source.

A build records the hash of each module it compiled (``_compiled.json``). An
in-place build (an editable install, ``make compile``) stays behind when its
source is edited, and Python would import the stale extension before the
edited file. So when any compiled module's source has changed, or
``CROSSCHECK_PURE_PYTHON=1`` asks for it (tracebacks with line numbers,
cProfile), every compiled module is imported from its ``.py`` instead: compiled
modules call each other directly, so a mix of the two would still run stale code.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

RECORD = Path(__file__).with_name("_compiled.json")
PURE_ENV = "CROSSCHECK_PURE_PYTHON"


class FromSource(importlib.abc.MetaPathFinder):
    """Finds the listed modules' ``.py`` files, ahead of the extension modules beside them."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        leaf = fullname.rpartition(".")[2]
        for directory in path or sys.path:
            source = Path(directory, f"{leaf}.py")
            if source.is_file():
                return importlib.util.spec_from_file_location(fullname, source)
        return None


def recorded(record: Path = RECORD) -> dict[str, str]:
    """Module name -> sha256 of the source it was compiled from; empty when nothing was compiled."""
    try:
        hashes: dict[str, str] = json.loads(record.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return hashes


def digest(source: Path) -> str:
    """What a build records of a module's source (``setup.py`` calls this too)."""
    return hashlib.sha256(source.read_bytes()).hexdigest()


def stale(hashes: dict[str, str], root: Path) -> list[str]:
    """The compiled modules whose source under ``root`` differs from what was compiled."""
    changed = []
    for name, recorded_digest in hashes.items():
        source = root.joinpath(*name.split(".")).with_suffix(".py")
        if not source.is_file() or digest(source) != recorded_digest:
            changed.append(name)
    return changed


def choose(record: Path = RECORD) -> str:
    """Install :class:`FromSource` when the compiled build must not be used; say which way it went."""
    hashes = recorded(record)
    if not hashes:
        return "source"
    if os.environ.get(PURE_ENV, "").strip() not in {"", "0"}:
        reason = f"{PURE_ENV} is set"
    elif changed := stale(hashes, record.parent.parent):
        reason = f"{', '.join(changed)} changed since it was compiled (`make compile` rebuilds)"
        warnings.warn(f"crosscheck: running the engine from source: {reason}", RuntimeWarning, stacklevel=2)
    else:
        return "compiled"
    sys.meta_path.insert(0, FromSource(list(hashes)))
    return f"source ({reason})"


def engine_build() -> str:
    """``compiled`` when the stance analysis runs as a C extension, else ``source``; for logs and benchmarks."""
    from service.engine.stance import decide

    return "compiled" if isinstance(decide.__loader__, importlib.machinery.ExtensionFileLoader) else "source"
