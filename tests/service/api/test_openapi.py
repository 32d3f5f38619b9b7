"""The OpenAPI contract: every route documented with examples, docs served offline, and a property-based run.

The schemathesis run generates requests from /openapi.json (valid ones and ones
that break it) against the live app over the bundled model, and checks that
nothing answers 5xx, that valid input is accepted and invalid input refused,
and that every response matches the schema of its status code.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.corpus import Corpus
from service.settings import Settings
from tests.service.api.conftest import API_KEY

HERE = Path(__file__).resolve().parent

ROUTES = {
    ("/v1/verify", "post"),
    ("/v1/verify/batch", "post"),
    ("/v1/verify/csv", "post"),
    ("/v1/search", "post"),
    ("/v1/sources", "get"),
    ("/v1/documents", "post"),
    ("/v1/documents/{source_id}", "delete"),
    ("/healthz", "get"),
    ("/readyz", "get"),
}


def test_every_route_is_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert documented == ROUTES
    for path, method in ROUTES:
        operation = spec["paths"][path][method]
        assert operation.get("summary") and operation.get("description"), (path, method)
        if path.startswith("/v1/"):
            assert "500" in operation["responses"] and "503" in operation["responses"], (path, method)
    schemas = spec["components"]["schemas"]
    for request in ("VerifyRequest", "BatchRequest", "SearchRequest", "DocumentRequest"):
        assert schemas[request]["examples"], request
        assert schemas[request]["additionalProperties"] is False
    assert schemas["VerificationResult"]["example"]["verdict"] == "supported"
    assert schemas["ErrorBody"]["example"]["error"] == "validation_error"
    for path, method, status in (("/v1/search", "post", "200"), ("/v1/sources", "get", "200")):
        assert spec["paths"][path][method]["responses"][status]["content"]["application/json"]["example"]


def test_write_routes_declare_their_security(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The server's CROSSCHECK_API_KEY",
    }
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    for path, method in (("/v1/documents", "post"), ("/v1/documents/{source_id}", "delete")):
        assert spec["paths"][path][method]["security"] == [{"ApiKey": []}, {"HTTPBearer": []}]
        assert {"401", "403"} <= set(spec["paths"][path][method]["responses"])
    assert "security" not in spec["paths"]["/v1/verify"]["post"]


def test_interactive_docs_need_no_cdn(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in docs.text and "/openapi.json" in docs.text
    assert "cdn.jsdelivr.net" not in docs.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert client.get(f"/docs-assets/{asset}").status_code == 200


# -- property-based run of the schema --------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory, seed_index_dir: Path, real_embedder: Any) -> Iterator[str]:
    """The app over the real model and a copy of the seed index (the run adds and deletes documents),
    served by uvicorn on a loopback port from a thread of this process."""
    index_dir = tmp_path_factory.mktemp("fuzz") / "index"
    shutil.copytree(seed_index_dir, index_dir)
    settings = Settings(index_dir=index_dir, api_key=API_KEY, access_log=False)
    app = create_app(settings, Corpus(settings, embedder=real_embedder))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not (server.started and app.state.crosscheck.finished.is_set()):
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.1)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.mark.integration
def test_api_conforms_to_its_schema(fuzzed_server: str, tmp_path: Path) -> None:
    """schemathesis, every check, all phases, bounded by schemathesis.toml beside this file."""
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{fuzzed_server}/openapi.json",
        "--header",
        f"X-API-Key: {API_KEY}",
        "--checks",
        "all",
        "--workers",
        "1",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert f"Tested: {len(ROUTES)}" in output and "failures" not in output.lower().split("summary")[-1], output
