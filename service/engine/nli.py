"""Optional NLI cross-encoder: entailment and contradiction probabilities join the decision.

No multilingual NLI model ships with crosscheck (none exists on a package
registry), so stance comes from the analysis in ``service.engine.stance``. Users who
have a sentence-transformers ``CrossEncoder`` trained for NLI (a local
directory, or a hub name when they have a network) set ``CROSSCHECK_NLI_MODEL``.

How the probabilities combine with the analysis (see ``docs/verdicts.md``):

* the analysis found a differing figure, place or year: it stands; explicit
  evidence beats a model's judgement of the sentence as a whole;
* the analysis is undecided: a confident entailment makes the passage support,
  a confident contradiction makes it conflict, if the passage shares the
  claim's names (it is about the same thing);
* the analysis and the model disagree confidently: the passage becomes
  neutral, with both reasons shown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from service.engine.stance import PassageStance
from service.errors import ConfigurationError

log = logging.getLogger(__name__)

Probabilities = dict[str, float]
# A probability this high is a decision; below it the model only annotates.
DEFAULT_THRESHOLD = 0.8
# Passage must share this much of the claim (names and words) for the model alone to decide.
NLI_MIN_COVERAGE = 0.5
LABELS = ("entailment", "contradiction", "neutral")


class NLIScorer(Protocol):
    def __call__(self, pairs: Sequence[tuple[str, str]]) -> list[Probabilities]:
        """Probabilities of entailment, contradiction and neutral for (premise, hypothesis) pairs."""
        ...


class CrossEncoderNLI:
    """A sentence-transformers ``CrossEncoder`` with NLI labels, loaded on first use."""

    def __init__(self, name: str, *, labels: Sequence[str] | None = None, batch_size: int = 32) -> None:
        self.name = name
        self.batch_size = batch_size
        self._labels = list(labels) if labels else None
        self._model: Any = None
        self._order: list[str] | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, list[str]]:
        with self._lock:
            if self._model is None:
                from pathlib import Path

                from sentence_transformers import CrossEncoder

                local = Path(self.name).expanduser()
                try:
                    model = CrossEncoder(str(local) if local.exists() else self.name, device="cpu")
                except Exception as exc:
                    raise ConfigurationError(
                        f"cannot load the NLI model {self.name!r} (CROSSCHECK_NLI_MODEL): {type(exc).__name__}: {exc}"
                    ) from None
                self._order = self._label_order(model)
                self._model = model
        assert self._order is not None
        return self._model, self._order

    def _label_order(self, model: Any) -> list[str]:
        if self._labels:
            order = [label.strip().lower() for label in self._labels]
        else:
            config = getattr(getattr(model, "model", None), "config", None)
            id2label = getattr(config, "id2label", None) or {}
            order = [str(id2label[i]).lower() for i in sorted(id2label)]
        names = []
        for label in order:
            name = next((wanted for wanted in LABELS if label.startswith(wanted[:6])), None)
            names.append(name or label)
        if not {"entailment", "contradiction"} <= set(names):
            raise ConfigurationError(
                f"the NLI model {self.name!r} has labels {order}; name them (entailment, contradiction, neutral) "
                "in its config or set CROSSCHECK_NLI_LABELS, e.g. contradiction,entailment,neutral"
            )
        return names

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> list[Probabilities]:
        if not pairs:
            return []
        model, order = self._load()
        rows = model.predict(list(pairs), apply_softmax=True, batch_size=self.batch_size, show_progress_bar=False)
        return [{label: round(float(p), 4) for label, p in zip(order, row, strict=True)} for row in rows]


def combine(
    stance: PassageStance, probabilities: Probabilities, *, threshold: float = DEFAULT_THRESHOLD
) -> PassageStance:
    """The analysis's stance adjusted by the NLI model's probabilities (rules in the module docstring)."""
    entail = probabilities.get("entailment", 0.0)
    contra = probabilities.get("contradiction", 0.0)
    slot_evidence = any(f.relation == "differs" and f.slot != "actor" for f in stance.findings)
    note = f"NLI model: entailment {entail:.2f}, contradiction {contra:.2f}"
    if stance.stance == "neutral" and not slot_evidence and stance.coverage >= NLI_MIN_COVERAGE:
        if entail >= threshold and entail > contra:
            return replace(stance, stance="supports", score=round(0.9 * entail, 3), reasons=(note, *stance.reasons))
        if contra >= threshold:
            return replace(stance, stance="conflicts", score=round(0.9 * contra, 3), reasons=(note, *stance.reasons))
    disagrees = (stance.stance == "supports" and contra >= threshold) or (
        stance.stance == "conflicts" and not slot_evidence and entail >= threshold
    )
    if disagrees:
        why = f"the analysis said {stance.stance}, the NLI model disagrees ({note.split(': ', 1)[1]})"
        return replace(
            stance, stance="neutral", score=round(1 - max(entail, contra), 3), reasons=(why, *stance.reasons)
        )
    return replace(stance, reasons=(*stance.reasons, note))
