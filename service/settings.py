"""The one settings object: environment variables ``CROSSCHECK_*``.

CLI options carry the same names (``--index-dir`` is ``CROSSCHECK_INDEX_DIR``)
and override the environment for one invocation.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.embedding import DEFAULT_MODEL
from index.store.base import DEFAULT_HYBRID
from index.store.milvus.target import is_server_uri
from index.web.fetch import FetchPolicy
from service import __version__
from service.claimreview import Reviewer

REPO_ROOT = Path(__file__).resolve().parent.parent

# Browser extensions (any id) and pages served from this machine, on any port.
DEFAULT_CORS_ORIGINS = (
    "chrome-extension://*",
    "moz-extension://*",
    "safari-web-extension://*",
    "http://localhost:*",
    "https://localhost:*",
    "http://127.0.0.1:*",
    "https://127.0.0.1:*",
    "http://[::1]:*",
    "https://[::1]:*",
)
MIN_API_KEY_CHARS = 16
# scheme://host[:port]; '*' for a whole host label (an extension id) or for the port; or '*' alone: any origin.
ORIGIN_PATTERN = re.compile(
    r"\*|[a-z][a-z0-9+.-]*://(?:\[[0-9a-fA-F:.]+\]|(?:\*|[A-Za-z0-9-]+)(?:\.(?:\*|[A-Za-z0-9-]+))*)(?::(?:\d{1,5}|\*))?"
)


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
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Worker processes of `crosscheck serve` and `crosscheck batch`, each with its own model.",
    )
    top_k: int = Field(default=3, ge=1, le=50, description="Passages returned per source.")
    max_sources: int = Field(default=20, ge=1, le=1000, description="Sources returned per claim or query.")
    max_claim_chars: int = Field(
        default=2000, ge=10, le=1_000_000, description="Longest claim or query accepted, in characters."
    )
    nli_model: str | None = Field(
        default=None,
        description="Optional NLI cross-encoder (sentence-transformers CrossEncoder: local path or hub name) "
        "whose entailment/contradiction probabilities join the stance decision.",
    )
    nli_labels: str | None = Field(
        default=None,
        description="The NLI model's label order when its config does not name them, "
        "e.g. 'contradiction,entailment,neutral'.",
    )
    nli_threshold: float = Field(default=0.8, gt=0.5, le=1.0, description="NLI probability that decides a stance.")
    debug: bool = Field(default=False, description="Show tracebacks for unexpected errors.")
    keep_formulas: bool = Field(
        default=False,
        description="CSV batch output keeps cells that start like a spreadsheet formula (= + - @ tab CR) exactly, "
        "for programs; by default they get a leading ' so a spreadsheet shows them as text (OWASP CSV injection).",
    )

    # -- the passage store (docs/scaling.md) --
    store: Literal["faiss", "milvus"] = Field(
        default="faiss",
        description="Passage store: 'faiss' (embedded, in the index directory) or 'milvus' (CROSSCHECK_MILVUS_URI).",
    )
    hybrid: bool = Field(
        default=DEFAULT_HYBRID,
        description="Hybrid retrieval: the embedded store fuses a full-text (FTS5 bm25) ranking of the claim's "
        "words with the dense one, so exact names and figures are found even when the embedding misses them; "
        "similarities stay the dense cosine. The store reads CROSSCHECK_HYBRID itself; Milvus is dense only.",
    )
    milvus_uri: str | None = Field(
        default=None,
        description="Milvus of CROSSCHECK_STORE=milvus: http://host:19530 (standalone or cluster), or a local path "
        "(milvus-lite, one process at a time; default: milvus.db in the index directory).",
    )
    milvus_token: SecretStr | None = Field(default=None, description="Milvus credentials: 'user:password' or a token.")
    milvus_db: str | None = Field(default=None, description="Milvus database (default: the server's default one).")
    milvus_collection: str = Field(
        default="crosscheck",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,200}$",
        description="Prefix of the Milvus collections (<prefix>_passages and <prefix>_sources).",
    )
    batch_max_claims: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description="Most claims one HTTP batch request may carry (a JSON list or the rows of a CSV upload); "
        "larger requests are refused with 413. `crosscheck batch` has no limit: it streams.",
    )

    # -- fetching pages, feeds and sitemaps (crosscheck ingest URL, crosscheck watch, POST /v1/documents {url}) --
    fetch_allow_private: bool = Field(
        default=False,
        description="Fetch URLs on loopback, private and link-local addresses too (tests, intranets). Off by "
        "default, so the API cannot be used to reach the server's own network.",
    )
    fetch_timeout: float = Field(default=20.0, gt=0, le=600, description="Seconds one fetch may take, in all.")
    fetch_max_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, le=1024**3, description="Largest page, feed or sitemap read, in bytes."
    )
    fetch_concurrency: int = Field(default=4, ge=1, le=32, description="Pages fetched at once.")
    fetch_max_redirects: int = Field(default=5, ge=0, le=20, description="Redirects followed per fetch.")

    # -- publishing: schema.org ClaimReview output (check --format claimreview, Accept: application/ld+json) --
    review_author: str = Field(
        default="crosscheck",
        min_length=1,
        max_length=200,
        description="Who publishes the reviews: the ClaimReview author's name (your desk or organisation).",
    )
    review_author_type: Literal["Organization", "Person"] = Field(
        default="Organization", description="Whether the ClaimReview author is an Organization or a Person."
    )
    review_author_url: str | None = Field(default=None, description="The ClaimReview author's web address.")
    public_url: str | None = Field(
        default=None,
        description="Address the web page is reached at (https://factcheck.example.org/); a ClaimReview's url is "
        "this page checking the claim. Default: the address a request came in on, or http://HOST:PORT/.",
    )

    # -- the HTTP service (crosscheck serve) --
    host: str = Field(default="127.0.0.1", min_length=1, description="Address the HTTP service binds to.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port of the HTTP service (0: any free port).")
    api_key: SecretStr | None = Field(
        default=None,
        description=f"Key for the write routes (POST/DELETE /v1/documents), at least {MIN_API_KEY_CHARS} "
        "characters; without one they answer 403.",
    )
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=DEFAULT_CORS_ORIGINS,
        description="Comma-separated origins browsers may call the API from; '*' stands for an extension id, "
        "a host label or (after ':') any port.",
    )
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, le=1024**3, description="Largest request body accepted, in bytes."
    )
    max_document_chars: int = Field(
        default=100_000,
        ge=1000,
        le=100_000_000,
        description="Longest document text POST /v1/documents takes, in characters (after HTML extraction); it is "
        "embedded and saved before the answer, so longer ones go through `crosscheck ingest`.",
    )
    access_log: bool = Field(default=True, description="One JSON line per HTTP request on stderr.")

    @field_validator("index_dir", "seeds_dir", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        return Path(value).expanduser() if isinstance(value, str | Path) else value

    @field_validator("milvus_uri", mode="before")
    @classmethod
    def _check_milvus_uri(cls, value: Any) -> Any:
        """A URI that pymilvus cannot use fails here, not at the first search."""
        if isinstance(value, str) and "://" in value and not is_server_uri(value):
            raise ValueError(
                f"CROSSCHECK_MILVUS_URI {value!r}: use http(s)://host:19530 for a Milvus server, "
                "or a local path for milvus-lite"
            )
        return value or None

    @field_validator("api_key", mode="before")
    @classmethod
    def _check_key(cls, value: Any) -> Any:
        """An empty variable means no key; a short or padded one is refused rather than half-protecting writes."""
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if raw is None or (isinstance(raw, str) and raw == ""):
            return None
        if not isinstance(raw, str) or raw != raw.strip() or len(raw) < MIN_API_KEY_CHARS:
            raise ValueError(
                f"CROSSCHECK_API_KEY must be at least {MIN_API_KEY_CHARS} characters without surrounding "
                "whitespace (e.g. `openssl rand -hex 24`)"
            )
        return raw

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
            value = [part for part in value if part]
        if isinstance(value, list | tuple):
            bad = [str(origin) for origin in value if not ORIGIN_PATTERN.fullmatch(str(origin))]
            if bad:
                raise ValueError(
                    f"not an origin: {', '.join(map(repr, bad))}; write scheme://host[:port] with no path or "
                    "trailing slash, e.g. https://factcheck.example.org or chrome-extension://*"
                )
            return tuple(str(origin) for origin in value)
        return value


def reviewer(settings: Settings, page: str | None = None) -> Reviewer:
    """Who publishes ClaimReview output, from the settings; ``page`` is the web page's address when known."""
    page = settings.public_url or page or f"http://{settings.host}:{settings.port}/"
    return Reviewer(
        name=settings.review_author,
        kind=settings.review_author_type,
        url=settings.review_author_url,
        page=page if page.endswith("/") else f"{page}/",
    )


def fetch_policy(settings: Settings) -> FetchPolicy:
    """How the service fetches from the web, from its settings."""
    return FetchPolicy(
        user_agent=f"crosscheck/{__version__} (+https://github.com/crosscheck/crosscheck)",
        timeout=settings.fetch_timeout,
        max_bytes=settings.fetch_max_bytes,
        max_redirects=settings.fetch_max_redirects,
        concurrency=settings.fetch_concurrency,
        allow_private=settings.fetch_allow_private,
    )


@cache
def get_settings() -> Settings:
    return Settings()


def settings_with(**overrides: Any) -> Settings:
    """Settings from the environment, with the CLI options that were given on top."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)
