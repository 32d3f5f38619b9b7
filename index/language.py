"""Language identification for documents and claims.

lingua is accurate on short texts, but building a detector over all 75 languages
costs ~50 ms a call; news corpora here are European, so the detector is limited
to the languages below and built once.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# ISO 639-1 codes the detector chooses between.
SUPPORTED = ("nl", "en", "de", "fr", "es", "it", "pt")


@cache
def _detector() -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in SUPPORTED]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_preloaded_language_models().build()


def detect_language(text: str, *, sample_chars: int = 600) -> str | None:
    """ISO 639-1 code of the text's language, or None when it cannot be told."""
    sample = text[:sample_chars].strip()
    if not any(ch.isalpha() for ch in sample):
        return None
    language = _detector().detect_language_of(sample)
    if language is None:
        return None
    return str(language.iso_code_639_1.name.lower())
