"""The optional NLI slot: a tiny cross-encoder built and saved by the test, nothing downloaded."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from service.corpus import Corpus
from service.engine.nli import CrossEncoderNLI, Probabilities, combine
from service.engine.stance import Finding, PassageStance
from service.errors import ConfigurationError
from service.settings import Settings
from service.verify import Verifier
from tests.conftest import SEEDS, FakeEmbedder

WORDS = ["troops", "moved", "to", "romania", "1000", "2000", "duizend", "militairen", "naar", "roemenie", "the", "de"]


def build_cross_encoder(path: Path, labels: dict[int, str]) -> Path:
    """A one-layer BERT sequence classifier with random weights: tests the wiring, not the judgement."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    path.mkdir(parents=True)
    vocab = path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]), encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)
    config = BertConfig(
        vocab_size=len(WORDS) + 5,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=128,
        num_labels=len(labels),
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
    )
    BertForSequenceClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny_nli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_cross_encoder(
        tmp_path_factory.mktemp("nli") / "model", {0: "contradiction", 1: "entailment", 2: "neutral"}
    )


def test_cross_encoder_gives_probabilities_by_label(tiny_nli: Path) -> None:
    scorer = CrossEncoderNLI(str(tiny_nli))
    (probabilities,) = scorer([("Duizend militairen gaan naar Roemenië.", "1000 troops moved to Romania")])
    assert set(probabilities) == {"contradiction", "entailment", "neutral"}
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-3)


def test_unnamed_labels_need_the_setting(tmp_path: Path) -> None:
    path = build_cross_encoder(tmp_path / "generic", {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    with pytest.raises(ConfigurationError, match="CROSSCHECK_NLI_LABELS"):
        CrossEncoderNLI(str(path))([("a", "b")])
    (named,) = CrossEncoderNLI(str(path), labels=["contradiction", "entailment", "neutral"])([("a", "b")])
    assert set(named) == {"contradiction", "entailment", "neutral"}


def test_a_missing_model_is_a_clear_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="CROSSCHECK_NLI_MODEL"):
        CrossEncoderNLI(str(tmp_path / "nope"))([("a", "b")])


def test_the_verifier_reports_nli_probabilities(tiny_nli: Path, tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "idx", seeds_dir=SEEDS, nli_model=str(tiny_nli))
    verifier = Verifier(Corpus(settings, embedder=FakeEmbedder()))
    result = verifier.verify("Duizend militairen gaan naar Roemenië")
    shown = [p for s in result.sources for p in s.passages]
    assert shown and all(p.nli is not None for p in shown if p.similarity >= 0.2)
    assert any("NLI model" in r for p in shown for r in p.reasons)


def stance(kind: str, coverage: float = 0.7, findings: tuple[Finding, ...] = ()) -> PassageStance:
    return PassageStance(kind, 0.7, ("analysis",), findings, coverage=coverage)  # type: ignore[arg-type]


DIFFERS = (Finding("number", "differs", "2,000", "1.000", "number differs: claim 2,000 vs source 1.000"),)


@pytest.mark.parametrize(
    ("before", "probabilities", "after"),
    [
        (stance("neutral"), {"entailment": 0.93, "contradiction": 0.02}, "supports"),
        (stance("neutral"), {"entailment": 0.03, "contradiction": 0.91}, "conflicts"),
        (
            stance("neutral", coverage=0.2),
            {"entailment": 0.95, "contradiction": 0.0},
            "neutral",
        ),  # about something else
        (stance("neutral"), {"entailment": 0.6, "contradiction": 0.3}, "neutral"),  # not confident
        (stance("conflicts", findings=DIFFERS), {"entailment": 0.97, "contradiction": 0.0}, "conflicts"),  # figures win
        (stance("supports"), {"entailment": 0.01, "contradiction": 0.95}, "neutral"),  # confident disagreement
        (stance("conflicts"), {"entailment": 0.9, "contradiction": 0.05}, "neutral"),
        (stance("supports"), {"entailment": 0.95, "contradiction": 0.01}, "supports"),
    ],
)
def test_how_nli_combines_with_the_analysis(before: PassageStance, probabilities: Probabilities, after: str) -> None:
    combined = combine(before, probabilities, threshold=0.8)
    assert combined.stance == after
    assert any("NLI model" in r for r in combined.reasons)


class Scripted:
    """An NLI scorer that is sure every passage entails the claim."""

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> list[Probabilities]:
        return [{"entailment": 0.97, "contradiction": 0.01, "neutral": 0.02} for _ in pairs]


def test_a_confident_model_can_decide_where_the_analysis_could_not(tmp_path: Path) -> None:
    corpus = Corpus(Settings(index_dir=tmp_path / "idx", seeds_dir=SEEDS), embedder=FakeEmbedder())
    without = Verifier(corpus).verify("Rutte offered Ukraine help against cyber attacks.")
    with_nli = Verifier(corpus, nli=Scripted()).verify("Rutte offered Ukraine help against cyber attacks.")
    decided = [p for s in with_nli.sources for p in s.passages if p.reasons[0].startswith("NLI model")]
    assert decided and all(p.stance == "supports" for p in decided)
    undecided_before = {p.passage.id for s in without.sources for p in s.passages if p.stance == "neutral"}
    assert {p.passage.id for p in decided} <= undecided_before
