"""The store settings: CROSSCHECK_STORE and the Milvus connection."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from service.settings import Settings


def test_the_store_defaults_to_faiss_and_takes_milvus(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (Settings().store, Settings().milvus_uri) == ("faiss", None)
    monkeypatch.setenv("CROSSCHECK_STORE", "milvus")
    monkeypatch.setenv("CROSSCHECK_MILVUS_URI", "http://milvus:19530")
    monkeypatch.setenv("CROSSCHECK_MILVUS_TOKEN", "root:Milvus")
    settings = Settings()
    assert (settings.store, settings.milvus_uri, settings.milvus_collection) == (
        "milvus",
        "http://milvus:19530",
        "crosscheck",
    )
    assert settings.milvus_token is not None and settings.milvus_token.get_secret_value() == "root:Milvus"
    assert "root:Milvus" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CROSSCHECK_STORE", "cassandra", "faiss"),
        ("CROSSCHECK_MILVUS_URI", "ftp://milvus:19530", "http"),
        ("CROSSCHECK_MILVUS_COLLECTION", "no-dashes", "pattern"),
    ],
)
def test_bad_store_settings_fail_at_start(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_a_local_milvus_uri_is_a_milvus_lite_path(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSCHECK_MILVUS_URI", "./archive.db")
    assert Settings().milvus_uri == "./archive.db"
    monkeypatch.setenv("CROSSCHECK_MILVUS_URI", "")
    assert Settings().milvus_uri is None
