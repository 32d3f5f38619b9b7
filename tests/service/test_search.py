"""Cross-lingual search over the seed corpus with the bundled model (integration)."""

from __future__ import annotations

from typing import Any

import pytest

THOUSAND_TO_ROMANIA = {
    "000_64af60602162f07a": {"Duizend soldaten die al in Duitsland zijn, worden naar Roemenië gestuurd."},
    "002_31380c5700cbb35e": {"Duizend soldieren die al in Duitsland zijn, worden naar Roemenië gestuurd."},
    "004_f612fa7a56b26ca2": {
        "1.000 militairen die op dit ogenblik al in Duitsland gestationeerd zijn, gaan naar Roemenië.",
        "Daarnaast zullen nog eens een duizendtal troepen die momenteel in Duitsland gestationeerd zijn, "
        "ingezet worden in Roemenië.",
    },
}


@pytest.mark.parametrize("query", ["1,000 troops moved to Romania", "Duizend militairen gaan naar Roemenië"])
def test_thousand_troops_to_romania_is_each_sources_top_passage(seed_corpus: Any, query: str) -> None:
    (result,) = seed_corpus.search([query])
    top = {group.source.source_id: group.hits[0].passage.text for group in result.sources}
    for source_id, expected in THOUSAND_TO_ROMANIA.items():
        assert top[source_id] in expected


def test_every_source_is_listed_with_similarities_in_order(seed_corpus: Any) -> None:
    (result,) = seed_corpus.search(["1,000 troops moved to Romania"], top_k=3)
    assert len(result.sources) == 5
    bests = [group.best for group in result.sources]
    assert bests == sorted(bests, reverse=True)
    for group in result.sources:
        sims = [hit.similarity for hit in group.hits]
        assert sims == sorted(sims, reverse=True) and len(sims) == 3
        assert all(-1.0 <= s <= 1.0 for s in sims)


def test_queries_are_embedded_in_one_batch(seed_corpus: Any) -> None:
    results = seed_corpus.search(["Crimea was annexed by Russia in 2014.", "Rutte offered Ukraine help"])
    assert [r.query for r in results] == ["Crimea was annexed by Russia in 2014.", "Rutte offered Ukraine help"]
    assert "Krim" in results[0].sources[0].hits[0].passage.text
    assert "cyberaanvallen" in " ".join(h.passage.text for g in results[1].sources for h in g.hits)
