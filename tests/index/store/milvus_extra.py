"""Imported first by the Milvus tests: they skip without the milvus extra, except in CI
(``make setup-dev`` installs it there, so a missing one is a failure, not a quiet skip)."""

from __future__ import annotations

import os

import pytest

try:
    import pymilvus  # noqa: F401
except ModuleNotFoundError:
    if os.environ.get("CI"):
        raise
    pytest.skip("the milvus extra is not installed: pip install 'crosscheck[milvus]'", allow_module_level=True)
