"""docs/api.md: every curl example runs, as written, against a real server and answers the status it shows."""

from __future__ import annotations

import os
import re
import subprocess

from tests.conftest import REPO
from tests.live import API_KEY, LiveServer

DOC = REPO / "docs" / "api.md"
EXAMPLE = re.compile(r"```bash\n(curl .*?)```\n\nResponse `(\d{3})`", re.S)
ROUTES = [
    ("POST", "/v1/verify"),
    ("POST", "/v1/verify/batch"),
    ("POST", "/v1/verify/csv"),
    ("POST", "/v1/search"),
    ("GET", "/v1/sources"),
    ("POST", "/v1/documents"),
    ("DELETE", "/v1/documents/"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
]


def examples() -> list[tuple[str, int]]:
    return [(command.strip(), int(status)) for command, status in EXAMPLE.findall(DOC.read_text(encoding="utf-8"))]


def test_every_route_has_a_curl_example() -> None:
    commands = [command for command, _ in examples()]
    for method, path in ROUTES:
        uses = [c for c in commands if f"http://127.0.0.1:8000{path}" in c]
        if method == "DELETE":
            uses = [c for c in uses if "-X DELETE" in c]
        elif method == "POST":
            uses = [c for c in uses if "--data" in c or "--form" in c]
        assert uses, f"no curl example for {method} {path}"


def test_the_examples_work_against_a_running_server(live_server: LiveServer) -> None:
    env = {**os.environ, "CROSSCHECK_API_KEY": API_KEY}
    for command, status in examples():
        runnable = command.replace("http://127.0.0.1:8000", live_server.url)
        run = subprocess.run(
            ["bash", "-c", f"{runnable} -o /dev/null -w '%{{http_code}}'"],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,  # the CSV example uploads docs/examples/claims.csv
            timeout=60,
            check=False,
        )
        assert run.returncode == 0, (command, run.stderr)
        assert run.stdout.strip() == str(status), (command, run.stdout)
