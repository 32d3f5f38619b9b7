"""A real ``crosscheck serve`` process on loopback, for the API's wire-level tests and the browser test."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO

API_KEY = "test-key-0123456789abcdef"


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[str]
    index_dir: Path
    log_path: Path
    stdout: list[str] = field(default_factory=list)

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8").splitlines()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def start_server(
    index_dir: Path, log_path: Path, *args: str, env: dict[str, str] | None = None, ready_timeout: float = 180
) -> LiveServer:
    """``crosscheck serve --port 0`` on loopback; returns once /readyz says ready."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CROSSCHECK_")}
    environment.update({"CROSSCHECK_API_KEY": API_KEY, "CROSSCHECK_SEEDS_DIR": str(REPO / "seeds"), **(env or {})})
    log = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", "0", "--index-dir", str(index_dir), *args],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"crosscheck is serving on (http://\S+)", first)
    if not match:
        process.kill()
        raise AssertionError(f"no URL announced: {first!r}\n{log_path.read_text()}")
    server = LiveServer(match.group(1), process, index_dir, log_path, [first])
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    server.stop(signal.SIGKILL)
    raise AssertionError(f"server not ready after {ready_timeout}s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server for the session, over the bundled model; its index is built from the seeds on first start."""
    root = tmp_path_factory.mktemp("live")
    server = start_server(root / "index", root / "server.log")
    yield server
    server.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests on a live server load the real model: integration tests."""
    for item in items:
        if {"live_server", "real_client"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
