"""Language identification for documents and claims.

lingua is accurate on short texts, but building a detector over all 75 languages
costs ~50 ms a call; news corpora here are European, so the detector is limited
to the languages below. Each set of languages gets its own detector, built on
first use: one over Dutch and English alone takes 83 MB against ~200 MB for all
seven, so a process that only reads claims never loads the other five.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

# ISO 639-1 codes the detector chooses between.
SUPPORTED = ("nl", "en", "de", "fr", "es", "it", "pt")


@cache
def _detector(codes: tuple[str, ...]) -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    languages = [getattr(IsoCode639_1, code.upper()) for code in codes]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*languages).with_preloaded_language_models().build()


def detect_language(text: str, *, sample_chars: int = 600, among: Sequence[str] = SUPPORTED) -> str | None:
    """ISO 639-1 code of the text's language (one of ``among``), or None when it cannot be told."""
    sample = text[:sample_chars].strip()
    if not any(ch.isalpha() for ch in sample):
        return None
    language = _detector(tuple(among)).detect_language_of(sample)
    if language is None:
        return None
    return str(language.iso_code_639_1.name.lower())
