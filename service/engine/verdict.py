"""From passage stances to a stance per source, and from sources to one verdict.

The rules are written down in ``docs/verdicts.md``; keep the two in step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from service.engine.stance.records import Stance
from service.engine.stance.thresholds import COPY_WEIGHT, MIXED_MARGIN, NEE_FLOOR

Verdict = Literal["supported", "refuted", "conflicting", "not_enough_evidence"]


def source_stance(stances: Sequence[tuple[Stance, float]]) -> tuple[Stance, float, bool]:
    """(stance, score, mixed) of one source from its passages' (stance, score) pairs.

    A source that holds both a supporting and a conflicting passage takes the stronger side
    only when it is stronger by ``MIXED_MARGIN``; otherwise it contradicts itself on this claim
    and counts as neutral (with both passages shown).
    """
    support = sorted((s for st, s in stances if st == "supports"), reverse=True)
    conflict = sorted((s for st, s in stances if st == "conflicts"), reverse=True)
    if not support and not conflict:
        neutral = [s for st, s in stances if st == "neutral"]
        return "neutral", round(min(neutral) if neutral else 1.0, 3), False

    def strength(scores: list[float]) -> float:
        # repeated evidence in one article adds a little, not as much as another source
        return min(0.99, scores[0] + 0.1 * (scores[1] if len(scores) > 1 else 0.0))

    s = strength(support) if support else 0.0
    c = strength(conflict) if conflict else 0.0
    mixed = bool(support and conflict)
    if mixed and abs(s - c) < MIXED_MARGIN:
        return "neutral", round(1 - max(s, c), 3), True
    if s > c:
        return "supports", round(s - 0.5 * c, 3), mixed
    return "conflicts", round(c - 0.5 * s, 3), mixed


def overall(
    sources: Sequence[tuple[Stance, float]], closest: float, families: Sequence[str] | None = None
) -> tuple[Verdict, float]:
    """The verdict over all sources; ``closest`` is how near any passage came to deciding (0-1).

    Confidence in "not enough evidence" falls as the closest passage gets closer to deciding
    (never below ``NEE_FLOOR``): a corpus that never mentions the claim is a confident answer.
    ``families`` (one per source, in order) names each source's story family: on each side a
    family's strongest source counts in full and its others at ``COPY_WEIGHT``.
    """

    def noisy_or(scores: list[float]) -> float:
        return 1 - math.prod(1 - s for s in scores)

    def side(wanted: Stance) -> list[float]:
        by_family: dict[str, list[float]] = {}
        for i, (stance, score) in enumerate(sources):
            if stance == wanted:
                by_family.setdefault(families[i] if families else str(i), []).append(score)
        return [noisy_or([max(f), *(COPY_WEIGHT * s for s in sorted(f)[:-1])]) for f in by_family.values()]

    support, conflict = side("supports"), side("conflicts")

    if support and conflict:
        return "conflicting", round(min(noisy_or(support), noisy_or(conflict)), 3)
    if support:
        return "supported", round(min(0.99, noisy_or(support)), 3)
    if conflict:
        return "refuted", round(min(0.99, noisy_or(conflict)), 3)
    return "not_enough_evidence", round(max(NEE_FLOOR, 1 - closest), 3)
