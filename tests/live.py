"""A real ``crosscheck serve`` process on loopback, for the API's wire-level tests and the browser tests.

The session-wide ``live_server`` fixture over it is in tests/conftest.py, so every test package shares one server."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent  # not from tests.conftest, which imports this module

API_KEY = "test-key-0123456789abcdef"


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[str]
    index_dir: Path
    log_path: Path
    stdout: list[str] = field(default_factory=list)

    def log_lines(self) -> list[str]:
        """The complete lines logged so far (a line being written while this reads is left for later)."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return text[: text.rfind("\n") + 1].splitlines()

    def another(self, root: Path, *args: str) -> LiveServer:
        """A second server over a copy of this one's index (no ingest, so ready in seconds): for a test that
        writes to its server or stops it without disturbing the others."""
        index_dir = root / "index"
        shutil.copytree(self.index_dir, index_dir, ignore=shutil.ignore_patterns(".lock"))
        return start_server(index_dir, root / "server.log", *args)

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
            ready = httpx.get(f"{server.url}/readyz", timeout=5)
        except httpx.TransportError:
            ready = None
        if ready is not None and ready.status_code == 200:
            return server
        if ready is not None and ready.json().get("status") == "failed":  # no point waiting out the timeout
            server.stop(signal.SIGKILL)
            raise AssertionError(f"the server cannot serve: {ready.json().get('message')}\n{log_path.read_text()}")
        time.sleep(0.5)
    server.stop(signal.SIGKILL)
    raise AssertionError(f"server not ready after {ready_timeout}s:\n{log_path.read_text()}")
