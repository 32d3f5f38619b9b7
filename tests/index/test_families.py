"""Story families at ingest: the seeds' shared wire report, constructed copies with small edits,
unrelated articles kept apart, replacements, deletes and a crash between the two writes, on both
store backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from index.documents import Document, iter_documents
from index.families import ALIGN_RATIO, Families, families_path
from index.ingest import ingest
from index.sentences import split_sentences
from index.store import PassageStore, open_store
from tests.conftest import SEEDS, FakeEmbedder

EMBEDDER = FakeEmbedder()

WIRE = (
    "Het Amerikaanse leger stuurt deze week tweeduizend militairen naar Polen en Duitsland. "
    "De troepen vertrekken vanaf de legerbasis Fort Bragg in de staat North Carolina. "
    "Daarnaast verhuist een eenheid van duizend soldaten van Duitsland naar Roemenië. "
    "Volgens het Pentagon gaat het om een tijdelijke maatregel om de bondgenoten gerust te stellen. "
    "Rusland noemt de inzet van de extra militairen een destructieve stap die de spanningen verhoogt."
)
# the same wire copy as another outlet prints it: a word changed, one dropped, a typo, a figure reformatted
REWORDED = (
    "Het Amerikaanse leger stuurt deze week 2.000 militairen naar Polen en Duitsland. "
    "De troepen vertrekken vanaf legerbasis Fort Bragg in de staat North Carolina. "
    "Daarnaast verhuist een eenheid van duizend soldaaten van Duitsland naar Roemenie. "
    "Volgens het Pentagon gaat het om een tijdelijke maatregel om bondgenoten gerust te stellen. "
    "Een eigen correspondent sprak in Warschau met inwoners die de komst van de soldaten toejuichen."
)
# another article that quotes two sentences of the wire copy inside its own reporting
QUOTING = (
    "In Boekarest wordt positief gereageerd op de Amerikaanse plannen. "
    "Daarnaast verhuist een eenheid van duizend soldaten van Duitsland naar Roemenië. "
    "Volgens het Pentagon gaat het om een tijdelijke maatregel om de bondgenoten gerust te stellen. "
    "De Roemeense president sprak van een historische dag voor de veiligheid van het land."
)
# the same event reported independently: no sentence in common
INDEPENDENT = (
    "Washington verplaatst ongeveer duizend militairen vanuit Duitse kazernes naar Roemeense bodem. "
    "Dat maakte een woordvoerder van het ministerie van Defensie dinsdag bekend tijdens een persconferentie. "
    "Ook vertrekken twee bataljons uit de Verenigde Staten naar Polen, schrijft de krant verder."
)
UNRELATED = (
    "De gemeenteraad van Utrecht heeft ingestemd met een nieuwe fietsenstalling bij het station. "
    "Er komen ruim twaalfduizend plekken bij, verdeeld over drie verdiepingen onder het plein. "
    "De bouw begint volgend voorjaar en duurt naar verwachting twee jaar."
)

OpenStore = Callable[[], PassageStore]


@pytest.fixture(params=["faiss", pytest.param("milvus", marks=pytest.mark.milvus)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PassageStore]:
    if request.param == "milvus":
        pytest.importorskip("milvus_lite")
    opened = open_store(
        tmp_path / "index", model=EMBEDDER.model_id, dimension=EMBEDDER.dimension, backend=request.param
    )
    yield opened
    opened.close()


@pytest.fixture
def families(tmp_path: Path) -> Iterator[Families]:
    opened = Families(families_path(tmp_path / "index"))
    yield opened
    opened.close()


def doc(source_id: str, text: str, published: str | None = None) -> Document:
    return Document(source_id, text, published=published, language="nl", title=source_id)


def put(store: PassageStore, families: Families, *documents: Document) -> None:
    ingest(store, EMBEDDER, documents, families=families)


def family_of(store: PassageStore, families: Families) -> dict[str, str]:
    ids = [s.source_id for s in store.sources()]
    return {source_id: r.family for source_id, r in families.relations(store, ids).items()}


def test_the_seeds_shared_wire_report_is_found(store: PassageStore, families: Families) -> None:
    """000 and 002 print the same ANP copy (Tweeduizend militairen ... North Carolina ... Roemenië, and the
    Russian demands); 001 carries the same background paragraphs as 000 (the outlet's boilerplate on
    NATO and the Crimea); 003 and 004 are written on their own (004 translates Kirby's quote itself)."""
    ingest(store, EMBEDDER, iter_documents([SEEDS]), families=families)
    relations = families.relations(store, [s.source_id for s in store.sources()])
    seed = {key[:3]: r for key, r in relations.items()}
    links = {k: {link.other[:3]: (link.relation, link.shared) for link in r.links} for k, r in seed.items()}
    assert links["000"] == {"001": ("copies", 6), "002": ("shares_text", 9)}
    assert links["001"] == {"000": ("copied_by", 6)}
    assert links["002"] == {"000": ("shares_text", 9)}
    assert links["003"] == {} and links["004"] == {}
    assert seed["000"].family == seed["001"].family == seed["002"].family == "000_64af60602162f07a"
    assert len({r.family for r in seed.values()}) == 3


def test_copies_with_small_edits_and_a_quoted_passage_are_linked(store: PassageStore, families: Families) -> None:
    put(store, families, doc("wire", WIRE, "2022-02-02"), doc("reworded", REWORDED, "2022-02-03"))
    put(store, families, doc("quoting", QUOTING, "2022-02-04"), doc("independent", INDEPENDENT, "2022-02-02"))
    put(store, families, doc("unrelated", UNRELATED, "2022-02-02"))
    relations = families.relations(store, ["wire", "reworded", "quoting", "independent", "unrelated"])
    assert {link.other: link.relation for link in relations["wire"].links} == {
        "reworded": "copied_by",
        "quoting": "copied_by",
    }
    # the quoted sentences are in the reworded copy too
    assert [(link.other, link.shared) for link in relations["reworded"].links] == [("quoting", 2), ("wire", 4)]
    assert relations["reworded"].ids("copies") == ["wire"] and relations["reworded"].ids("copied_by") == ["quoting"]
    assert [(link.other, link.shared) for link in relations["quoting"].links] == [("reworded", 2), ("wire", 2)]
    assert relations["independent"].links == () and relations["unrelated"].links == ()
    assert {r.family for k, r in relations.items() if k in {"wire", "reworded", "quoting"}} == {"quoting"}
    assert relations["independent"].family == "independent"


def test_one_shared_sentence_is_not_a_copy(store: PassageStore, families: Families) -> None:
    """Two outlets quoting the same one-line statement are two reports (MIN_SHARED)."""
    quote = "Daarnaast verhuist een eenheid van duizend soldaten van Duitsland naar Roemenië."
    put(store, families, doc("a", f"{UNRELATED} {quote}"), doc("b", f"{INDEPENDENT} {quote}"))
    assert families.relations(store, ["a"])["a"].links == ()


def test_replacement_and_delete_keep_families_right(store: PassageStore, families: Families) -> None:
    put(store, families, doc("wire", WIRE), doc("copy", REWORDED))
    assert family_of(store, families) == {"copy": "copy", "wire": "copy"}
    put(store, families, doc("copy", UNRELATED))  # the copy replaced by an unrelated article
    assert family_of(store, families) == {"copy": "copy", "wire": "wire"}
    put(store, families, doc("copy", REWORDED))  # and back
    assert family_of(store, families) == {"copy": "copy", "wire": "copy"}
    store.delete("wire")
    assert families.relations(store, ["copy"])["copy"].links == ()  # ignored at once
    families.forget("wire")
    put(store, families, doc("wire", UNRELATED))  # the id again, other text: no stale link comes back
    assert families.relations(store, ["copy"])["copy"].links == ()


def test_a_crash_between_the_two_writes_leaves_nothing_wrong(store: PassageStore, families: Families) -> None:
    """The families are written first; rows of a document the store never committed are not read, and
    the rerun of the ingest writes them again."""
    put(store, families, doc("wire", WIRE))
    copy = doc("copy", REWORDED)
    families.prepare([(copy, split_sentences(copy.text, "nl"))], store)  # then the process dies
    assert families.relations(store, ["wire"])["wire"].links == ()
    put(store, families, copy)
    assert [link.other for link in families.relations(store, ["wire"])["wire"].links] == ["copy"]


def test_an_index_built_before_families_is_signed_once(tmp_path: Path, store: PassageStore) -> None:
    ingest(store, EMBEDDER, [doc("wire", WIRE), doc("copy", REWORDED)])  # no families file yet
    families = Families(families_path(tmp_path / "late"))
    assert not families.complete
    put(store, families, doc("unrelated", UNRELATED))
    assert families.complete
    assert [link.other for link in families.relations(store, ["wire"])["wire"].links] == ["copy"]
    families.close()


def test_the_alignment_threshold_sits_between_copies_and_translations() -> None:
    """On the seeds the copied sentences score 84-100 and Kirby's quote, translated twice, 78."""
    from rapidfuzz import fuzz

    from index.families import normalize

    copied = fuzz.ratio(
        normalize("Tweeduizend militairen worden gestationeerd in Duitsland en Polen."),
        normalize("Military Tweeduizend worden gestationeerd in Duitsland en Polen."),
    )
    translated = fuzz.ratio(
        normalize("Het is belangrijk dat we een sterk signaal afgeven aan de heer Poetin en aan de wereld"),
        normalize(
            "Het is belangrijk dat we een sterk signaal sturen aan mijnheer Poetin en, eerlijk gezegd, aan de wereld"
        ),
    )
    assert translated < ALIGN_RATIO <= copied
