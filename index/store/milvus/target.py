"""Where a Milvus store lives, from ``CROSSCHECK_MILVUS_URI``; importable without pymilvus,
so that the settings can check the URI on every install."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlparse

# What pymilvus connects to; any other URI is a local path for milvus-lite.
SERVER_SCHEMES: Final = ("http", "https", "tcp", "unix")
LITE_FILE: Final = "milvus.db"  # milvus-lite's data directory inside an index directory


@dataclass(frozen=True)
class MilvusTarget:
    """A milvus-lite directory (one process at a time), or a server URI."""

    uri: str
    lite: bool

    def __str__(self) -> str:
        return self.uri


def is_server_uri(uri: str) -> bool:
    return urlparse(uri.strip()).scheme.lower() in SERVER_SCHEMES


def milvus_target(path: str | Path, uri: str | None) -> MilvusTarget:
    """A server URI as given; a local path ending in ``.db`` as milvus-lite's directory (pymilvus
    starts milvus-lite for such a path only); any other local path, or none (then ``path``, the
    index directory), as the directory that holds ``milvus.db``."""
    given = (uri or "").strip()
    if given and is_server_uri(given):
        return MilvusTarget(given, lite=False)
    local = Path(given).expanduser() if given else Path(path)
    if local.suffix != ".db":
        local = local / LITE_FILE
    return MilvusTarget(str(local.resolve()), lite=True)
