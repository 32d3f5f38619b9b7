"""Reads during writes see whole generations; writes are visible to every worker and survive a restart."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.service.api.conftest import AUTH

# A document whose three sentences all mention "Litouwen": a search sees all three or none.
LITHUANIA = {
    "source_id": "litouwen",
    "text": "Vierduizend mariniers gaan naar Litouwen. Litouwen ontvangt ook tanks. "
    "De regering van Litouwen is blij met de steun.",
}


def test_reads_continue_during_writes_and_never_see_half_a_write(client: TestClient) -> None:
    stop = threading.Event()
    seen: list[tuple[str, Any]] = []
    failures: list[str] = []

    def read() -> None:
        while not stop.is_set():
            sources = client.get("/v1/sources")
            search = client.post("/v1/search", json={"query": "Litouwen", "top_k": 3})
            if sources.status_code != 200 or search.status_code != 200:
                failures.append(f"{sources.status_code} {search.status_code}")
                continue
            ids = {s["source_id"]: s["sentence_count"] for s in sources.json()}
            seen.append(("sources", ids.get("litouwen")))
            hits = [s for s in search.json()["sources"] if s["source_id"] == "litouwen"]
            seen.append(("search", len(hits[0]["passages"]) if hits else None))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    for _ in range(6):
        assert client.post("/v1/documents", json=LITHUANIA, headers=AUTH).status_code == 201
        assert client.delete("/v1/documents/litouwen", headers=AUTH).status_code == 204
    stop.set()
    for reader in readers:
        reader.join(timeout=30)

    assert not failures
    assert {count for kind, count in seen if kind == "sources"} <= {None, 3}
    assert {count for kind, count in seen if kind == "search"} <= {None, 3}
    assert len(seen) > 20  # reads went on while the writes ran


def test_a_write_survives_a_restart(make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    index_dir = tmp_path / "persist"
    first = make_client(index_dir=index_dir, api_key=AUTH["X-API-Key"])
    assert first.post("/v1/documents", json=LITHUANIA, headers=AUTH).status_code == 201
    assert first.delete("/v1/documents/000_64af60602162f07a", headers=AUTH).status_code == 204
    first.__exit__(None, None, None)  # the process goes away

    second = make_client(index_dir=index_dir)
    ids = [s["source_id"] for s in second.get("/v1/sources").json()]
    assert "litouwen" in ids and "000_64af60602162f07a" not in ids
    hits = second.post("/v1/search", json={"query": "mariniers Litouwen", "top_k": 1}).json()
    assert hits["sources"][0]["source_id"] == "litouwen"


def test_a_write_in_one_worker_is_seen_by_another(make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    """Two apps on one index directory stand for two worker processes, each with its own snapshot."""
    index_dir = tmp_path / "shared"
    one = make_client(index_dir=index_dir, api_key=AUTH["X-API-Key"])
    two = make_client(index_dir=index_dir, api_key=AUTH["X-API-Key"])
    generation = two.get("/readyz").json()["generation"]

    assert one.post("/v1/documents", json=LITHUANIA, headers=AUTH).status_code == 201
    assert "litouwen" in [s["source_id"] for s in two.get("/v1/sources").json()]
    assert two.get("/readyz").json()["generation"] == generation + 1
    verified = two.post("/v1/verify", json={"claim": "mariniers naar Litouwen", "sources": ["litouwen"]})
    assert verified.status_code == 200

    assert two.delete("/v1/documents/litouwen", headers=AUTH).status_code == 204
    assert "litouwen" not in [s["source_id"] for s in one.get("/v1/sources").json()]
