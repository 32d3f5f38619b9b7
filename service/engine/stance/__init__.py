"""Stance of one passage towards a claim, with the reasons.

``decide`` holds the decision chain; ``slots`` the value checks (quantities, time, places),
``actors`` who acts and speaks, ``coverage`` how much of the claim a passage covers,
``records`` what they build, and ``thresholds`` every figure the rules use.
"""

from service.engine.stance.actors import acting_parties
from service.engine.stance.coverage import claim_words_for, coverages
from service.engine.stance.decide import compare
from service.engine.stance.records import Coverage, Finding, PassageStance, Stance
from service.engine.stance.thresholds import MIN_SIMILARITY

__all__ = [
    "MIN_SIMILARITY",
    "Coverage",
    "Finding",
    "PassageStance",
    "Stance",
    "acting_parties",
    "claim_words_for",
    "compare",
    "coverages",
]
