"""What a sentence asserts, for claims and passages alike.

The same :func:`analyze` runs on both sides of a comparison, in Dutch or
English: quantities and what they count, years and durations, places, people
and organisations with the role they play, and per clause its polarity
(negation, denial), hedges and speech acts.
"""

from service.engine.analysis.model import (
    Analysis,
    Clause,
    Duration,
    EntityMention,
    Quantity,
    Token,
    Year,
)
from service.engine.analysis.pipeline import analyze, analyze_passage

__all__ = ["Analysis", "Clause", "Duration", "EntityMention", "Quantity", "Token", "Year", "analyze", "analyze_passage"]
