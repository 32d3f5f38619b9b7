"""The result contract: the JSON the API sends is the models' own (integration, bundled model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from service.corpus import Corpus
from service.evaluation import load_claims
from service.schemas import VerificationResult, verification_json
from service.settings import Settings
from service.verify import Verifier
from tests.conftest import REPO


def test_the_api_json_is_the_models_json_byte_for_byte(seed_index_dir: Path, real_embedder: Any) -> None:
    """``verification_json`` skips the models for speed; a key it misspelt, dropped or reordered, or a
    value the models would coerce, shows here (the models ignore keys they do not know)."""
    verifier = Verifier(Corpus(Settings(index_dir=seed_index_dir), embedder=real_embedder))
    claims = [c.claim for c in load_claims(REPO / "eval" / "dev_claims.jsonl")]
    results = list(verifier.verify_many(claims))
    assert sum(p.findings != () for r in results for s in r.sources for p in s.passages) > 50  # highlights too
    for result in results:
        assert verification_json(result) == VerificationResult.from_core(result).model_dump_json().encode()
