"""Language identification: documents among seven languages, claims between Dutch and English."""

from __future__ import annotations

import pytest

from index import language
from index.language import detect_language
from service.engine.analysis.pipeline import analysis_language


def test_documents_are_told_among_the_supported_languages() -> None:
    assert detect_language("Die Bundesregierung schickt weitere Soldaten nach Litauen, sagte der Minister.") == "de"
    assert detect_language("Duizend Amerikaanse militairen gaan naar Roemenië.") == "nl"
    assert detect_language("1.000 / 2.000 - 2022") is None


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ("1,000 troops moved to Romania", "en"),
        ("Duizend militairen gaan naar Roemenië", "nl"),
        ("Biden denied sending troops to Poland", "en"),
        ("De NAVO zegt dat er geen troepen naar Oekraïne gaan", "nl"),
    ],
)
def test_claims_are_read_as_dutch_or_english(claim: str, expected: str) -> None:
    assert analysis_language(claim) == expected


def test_reading_claims_never_builds_the_seven_language_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    """It takes ~200 MB; a batch or server process that only reads claims keeps the 83 MB one."""
    built: list[tuple[str, ...]] = []
    real = language._detector

    def spy(codes: tuple[str, ...]) -> object:
        built.append(codes)
        return real(codes)

    monkeypatch.setattr(language, "_detector", spy)
    analysis_language("Rusland heeft 100.000 militairen aan de grens")
    analysis_language("Russia has 100,000 soldiers at the border")
    assert set(built) == {("nl", "en")}


def test_a_source_language_is_used_without_detection() -> None:
    assert analysis_language("Duizend militairen gaan naar Roemenië", "en") == "en"
    # a German source's sentence is read with the English rules, whatever a detector would say
    assert analysis_language("Duizend militairen gaan naar Roemenië", "de") == "en"
