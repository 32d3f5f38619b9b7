"""``crosscheck serve`` as a real process on loopback: announcing, logging, limits on the wire, workers, shutdown."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from index.store import open_store
from tests.live import LiveServer
from tests.service.api.conftest import AUTH

DOC = {"source_id": "live-doc", "text": "Vierduizend mariniers gaan naar Litouwen. Dat meldt het ministerie."}


def test_serve_announces_its_url_and_answers(live_server: LiveServer) -> None:
    assert live_server.stdout[0].startswith(f"crosscheck is serving on {live_server.url}")
    assert httpx.get(f"{live_server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{live_server.url}/readyz").json()
    assert ready["status"] == "ready" and ready["sources"] == 5 and ready["model"] == "use-multilingual-v3"
    assert "crosscheck" in httpx.get(f"{live_server.url}/").text
    logs = [json.loads(line) for line in live_server.log_lines()]
    assert any("building one from the bundled seeds" in entry["message"] for entry in logs)  # first start


def test_access_log_is_one_json_line_per_request(live_server: LiveServer) -> None:
    httpx.post(
        f"{live_server.url}/v1/verify",
        json={"claim": "Spain sent a frigate to the Black Sea"},
        headers={"X-Request-ID": "log-check-1", "Origin": "chrome-extension://abcdefghijklmnop"},
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        entries = [json.loads(line) for line in live_server.log_lines()]  # every line is JSON
        mine = [e for e in entries if e.get("request_id") == "log-check-1" and e["logger"] == "crosscheck.access"]
        if mine:
            break
        time.sleep(0.2)
    (entry,) = mine
    assert entry["method"] == "POST" and entry["path"] == "/v1/verify" and entry["status"] == 200
    assert entry["duration_ms"] > 0 and entry["bytes"] > 0 and entry["client"].startswith("127.0.0.1:")
    assert entry["origin"] == "chrome-extension://abcdefghijklmnop"
    assert "Spain" not in json.dumps(entry)  # claims are not logged


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=10)
    return sock


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    try:
        while b"\r\n\r\n" not in data or len(data) < data.find(b"\r\n\r\n") + 40:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


def _read_kept_alive(sock: socket.socket) -> bytes:
    """One whole response (head and Content-Length body) from a connection kept open; its head."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before a response"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_a_declared_oversize_body_is_refused_before_any_of_it_is_sent(live_server: LiveServer) -> None:
    sock = _connect(live_server.url)
    sock.sendall(
        b"POST /v1/verify HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Content-Length: 10000000000\r\n\r\n"
    )
    response = _read_response(sock)  # nothing of the 10 GB was sent
    sock.close()
    assert response.startswith(b"HTTP/1.1 413 "), response[:200]
    assert b'"payload_too_large"' in response


def test_a_streamed_oversize_body_is_refused_while_it_streams(live_server: LiveServer) -> None:
    sock = _connect(live_server.url)
    sock.sendall(
        b"POST /v1/verify HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * 65536
    sent = 0
    try:
        for _ in range(40):  # 2.5 MiB against the default 2 MiB limit, and never the final chunk
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading: that is the point
    response = _read_response(sock)
    sock.close()
    assert response.startswith(b"HTTP/1.1 413 "), response[:200]
    assert sent <= 40 * 65536


def test_workers_share_writes_which_survive_a_restart_and_shutdown_is_graceful(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """Two worker processes over one index: a write through one is read by both; after SIGTERM the
    process exits 0 and the write is a complete generation on disk. (Reading it back through a
    restarted app is test_consistency.py's; here the index is opened directly, without the model.)"""
    server = live_server.another(tmp_path, "--workers", "2")
    try:
        assert httpx.post(f"{server.url}/v1/documents", json=DOC, headers=AUTH).status_code == 201
        # New connections until both workers have answered: the kernel hands each accept to whichever
        # worker is waiting, so how many it takes varies (a worker still warming up takes none).
        pids: set[int] = set()
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=server.url) as client:
            while len(pids) < 2 and time.monotonic() < deadline:
                for _ in range(10):
                    response = client.get("/v1/sources", headers={"Connection": "close"})
                    assert "live-doc" in [s["source_id"] for s in response.json()]
                entries = [json.loads(line) for line in server.log_lines()]
                pids = {e["pid"] for e in entries if e["logger"] == "crosscheck.access" and e["path"] == "/v1/sources"}
        assert len(pids) == 2, "both workers answered"

        # Connections opened all at once (as wrk and connection pools open theirs) are spread over the
        # workers too: each worker listens on its own SO_REUSEPORT socket.
        burst = [_connect(server.url) for _ in range(16)]
        for n, sock in enumerate(burst):
            request = f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: burst-{n}\r\nConnection: close\r\n\r\n"
            sock.sendall(request.encode())
        for sock in burst:
            assert _read_response(sock).startswith(b"HTTP/1.1 200 ")
            sock.close()
        entries = [json.loads(line) for line in server.log_lines()]
        burst_pids = {e["pid"] for e in entries if str(e.get("request_id", "")).startswith("burst-")}
        assert len(burst_pids) == 2, "a burst of connections went to one worker"

        # Kept-alive connections even out: a worker holding two or more connections more than the
        # other asks clients to reconnect (service.api.balance), until a round of requests finds
        # the split even and nobody is asked.
        pool = [_connect(server.url) for _ in range(24)]
        splits = []
        for round_ in range(20):
            asked = 0
            for n, sock in enumerate(pool):
                sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: pool-{round_}-{n}\r\n\r\n".encode())
                head = _read_kept_alive(sock)
                assert head.startswith(b"HTTP/1.1 200 "), head
                if b"\r\nconnection: close" in head.lower():
                    asked += 1
                    sock.close()
                    pool[n] = _connect(server.url)
            answered_by: list[int] = []
            deadline = time.monotonic() + 10
            while len(answered_by) < len(pool) and time.monotonic() < deadline:  # both workers' lines, all in
                entries = [json.loads(line) for line in server.log_lines()]
                prefix = f"pool-{round_}-"
                answered_by = [e["pid"] for e in entries if str(e.get("request_id", "")).startswith(prefix)]
            splits.append(sorted(answered_by.count(pid) for pid in set(answered_by)))
            if not asked:
                break
        assert not asked, f"still asking clients to reconnect after 20 rounds: {splits}"
        assert len(splits[-1]) == 2 and splits[-1][1] - splits[-1][0] <= 1, splits
        for sock in pool:
            sock.close()
    finally:
        code = server.stop(signal.SIGTERM)
    assert code == 0
    messages = [json.loads(line)["message"] for line in server.log_lines()]  # every line JSON, warnings too
    assert sum("Application shutdown complete" in m for m in messages) == 2

    reopened = open_store(server.index_dir, model="use-multilingual-v3")
    assert reopened.source("live-doc").sentence_count == 2  # type: ignore[union-attr]
    assert [p.text for p in reopened.source_passages("live-doc")] == [
        "Vierduizend mariniers gaan naar Litouwen.",
        "Dat meldt het ministerie.",
    ]


def _serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CROSSCHECK_")} | env
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", "0", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_refuses_bad_settings_in_one_line(tmp_path: Path) -> None:
    short = _serve(tmp_path, CROSSCHECK_API_KEY="short")
    assert short.returncode == 1
    assert short.stderr.strip().splitlines()[-1].startswith("Error: invalid settings: CROSSCHECK_API_KEY:")
    assert "Traceback" not in short.stderr
    origins = _serve(tmp_path, CROSSCHECK_CORS_ORIGINS="https://ok.example,https://bad.example/path")
    assert origins.returncode == 1 and "CROSSCHECK_CORS_ORIGINS" in origins.stderr and "not an origin" in origins.stderr
    nothing = _serve(tmp_path, "--index-dir", str(tmp_path / "none"), CROSSCHECK_SEEDS_DIR=str(tmp_path / "absent"))
    assert nothing.returncode == 1 and "no seed corpus" in nothing.stderr


def test_the_listening_socket_gets_nagle_turned_off_per_connection() -> None:
    """Without TCP_NODELAY each response after the first on a kept-alive connection waited ~40 ms."""
    import asyncio

    from service.api.server import bind

    async def accepted_nodelay() -> int:
        sock = bind("127.0.0.1", 0)
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                raw = transport.get_extra_info("socket")
                seen.set_result(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        _, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
        value = await asyncio.wait_for(seen, 5)
        writer.close()
        server.close()
        return value

    assert asyncio.run(accepted_nodelay()) == 1


def test_kept_alive_requests_do_not_stall(live_server: LiveServer) -> None:
    timings = []
    with httpx.Client(base_url=live_server.url) as client:  # one connection, reused
        for _ in range(20):
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            timings.append(time.perf_counter() - started)
    assert sorted(timings)[len(timings) // 2] < 0.025  # a delayed-ACK stall is 40 ms
