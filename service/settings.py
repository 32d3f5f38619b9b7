"""The one settings object: environment variables ``CROSSCHECK_*``.

CLI options carry the same names (``--index-dir`` is ``CROSSCHECK_INDEX_DIR``)
and override the environment for one invocation.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.embedding import DEFAULT_MODEL

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_index_dir() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "crosscheck" / "index"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CROSSCHECK_", extra="ignore", frozen=True)

    index_dir: Path = Field(
        default_factory=_default_index_dir,
        description="Directory of the sentence index (created on first ingest).",
    )
    model: str = Field(
        default=DEFAULT_MODEL,
        description="Embedding model: 'use-multilingual-v3' (bundled), a local sentence-transformers "
        "directory, or a hub name (downloaded only because you named it).",
    )
    seeds_dir: Path = Field(
        default=REPO_ROOT / "seeds",
        description="Corpus ingested when a command needs an index and none exists yet.",
    )
    threads: int | None = Field(default=None, ge=1, description="CPU threads for the encoder (default: all available).")
    top_k: int = Field(default=3, ge=1, le=50, description="Passages returned per source.")
    max_sources: int = Field(default=20, ge=1, le=1000, description="Sources returned per claim or query.")
    max_claim_chars: int = Field(
        default=2000, ge=10, le=1_000_000, description="Longest claim or query accepted, in characters."
    )
    debug: bool = Field(default=False, description="Show tracebacks for unexpected errors.")
    batch_max_claims: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description="Most claims one HTTP batch request may carry (a JSON list or the rows of a CSV upload); "
        "larger requests are refused with 413. `crosscheck batch` has no limit: it streams.",
    )

    @field_validator("index_dir", "seeds_dir", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        return Path(value).expanduser() if isinstance(value, str | Path) else value


@cache
def get_settings() -> Settings:
    return Settings()


def settings_with(**overrides: Any) -> Settings:
    """Settings from the environment, with the CLI options that were given on top."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)
