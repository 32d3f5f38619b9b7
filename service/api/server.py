"""``crosscheck serve``: the API and the web page under uvicorn.

Workers are separate processes, each loading the model and the index
(``--workers 2`` with one encoder thread each uses both cores of a small
machine). SIGTERM or Ctrl+C stops accepting connections, lets requests in
flight finish (up to ``SHUTDOWN_GRACE_SECONDS``) and exits 0.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import click

from index.embedding import shared_cpu_environment
from service.api.balance import TABLE_ENV, ConnectionTable, CountedHttpToolsProtocol
from service.errors import ConfigurationError
from service.settings import Settings, settings_with

SHUTDOWN_GRACE_SECONDS = 20
# How long a worker may not answer the supervisor's ping before it is killed and replaced. Importing
# the model's libraries can starve the worker's ping thread of the GIL for seconds on a busy machine;
# uvicorn's default (5 s) killed workers that were only loading.
WORKER_HEALTHCHECK_SECONDS = 60
APP_FACTORY = "service.api.app:app_from_env"
# Fields of a log record that are not extra context.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "color_message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        payload.update({k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS})
        if record.exc_info:
            payload["traceback"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def log_config(debug: bool) -> dict[str, Any]:
    """Everything the server logs, as JSON lines on stderr; libraries' chatter only when debugging."""
    quiet = "DEBUG" if debug else "WARNING"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": "INFO"},
        "loggers": {
            "uvicorn": {"level": "INFO"},
            "uvicorn.access": {"level": "WARNING"},  # replaced by crosscheck.access
            **{
                name: {"level": quiet}
                for name in ("sentence_transformers", "transformers", "trafilatura", "htmldate", "faiss")
            },
        },
    }


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check(settings: Settings) -> list[str]:
    """Refuse what cannot work; return notes on what works but deserves a word."""
    notes = []
    if settings.cors_origins == ("*",):
        notes.append("CORS admits every origin (CROSSCHECK_CORS_ORIGINS=*): any web page can call this API")
    if settings.api_key is None:
        notes.append("write routes are off (no CROSSCHECK_API_KEY): POST and DELETE /v1/documents answer 403")
    elif not is_loopback(settings.host):
        notes.append("the API key travels in clear over HTTP: put a TLS-terminating proxy in front of this server")
    if not settings.seeds_dir.is_dir() and not (settings.index_dir / "CURRENT").is_file():
        raise ConfigurationError(
            f"no index at {settings.index_dir} and no seed corpus at {settings.seeds_dir} to build one from; "
            "set CROSSCHECK_INDEX_DIR to an index or CROSSCHECK_SEEDS_DIR to a directory of articles"
        )
    return notes


def run(settings: Settings) -> None:
    """Bind, say where, and serve until stopped; workers read their settings from the environment."""
    import uvicorn

    from service.api.supervisor import Supervisor

    for note in check(settings):
        click.echo(f"note: {note}", err=True)
    _export(settings)
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        http=CountedHttpToolsProtocol if settings.workers > 1 else "auto",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=log_config(settings.debug),
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
    if settings.workers == 1:
        config.load_app()  # an app that cannot be built fails here, before the URL is announced
    sockets = [bind(settings.host, settings.port, reuse_port=settings.workers > 1)]
    port = sockets[0].getsockname()[1]
    # one listening socket per worker, so the kernel spreads connections over the workers
    sockets += [bind(settings.host, port, reuse_port=True) for _ in range(settings.workers - 1)]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{port}"
    click.echo(f"crosscheck is serving on {url}  (API docs: {url}/docs; Ctrl+C stops it)", err=False)
    sys.stdout.flush()
    server = uvicorn.Server(config)
    # workers count their open connections in a shared table, to even them out (service.api.balance)
    table = ConnectionTable.create(settings.workers) if settings.workers > 1 else None
    if table is not None:
        os.environ[TABLE_ENV] = f"{table.name}:{settings.workers}"
    try:
        if settings.workers > 1:
            Supervisor(config, sockets).run()
        else:
            server.run(sockets=sockets)
    except KeyboardInterrupt:
        pass
    finally:
        if table is not None:
            table.close()
            table.unlink()
    if settings.workers == 1 and not server.started:
        raise ConfigurationError("the server did not start; the log above says why")


def bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """The listening socket, made here rather than by uvicorn, with the protocol named.

    asyncio turns Nagle's algorithm off only on sockets whose protocol is TCP; uvicorn's own
    ``bind_socket`` leaves it unset (0), so on a kept-alive connection every response after the
    first waited ~40 ms for the client's delayed ACK. ``reuse_port`` lets several sockets,
    one per worker, listen on one port.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)  # worker processes serve on it
    return sock


def _export(settings: Settings) -> None:
    """Settings given as options reach the worker processes through their environment."""
    values: dict[str, Any] = {
        "INDEX_DIR": settings.index_dir,
        "MODEL": settings.model,
        "SEEDS_DIR": settings.seeds_dir,
        "HOST": settings.host,
        "PORT": settings.port,
        "WORKERS": settings.workers,
    }
    for key, value in values.items():
        os.environ[f"CROSSCHECK_{key}"] = str(value)
    if settings.workers > 1:
        # the workers share the CPUs rather than each taking all of them
        os.environ.update(shared_cpu_environment(settings.workers, settings.threads))


@click.command()
@click.option("--host", help="Address to bind (env CROSSCHECK_HOST; default 127.0.0.1, this machine only).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (env CROSSCHECK_PORT; default 8000; 0: any free).")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes (env CROSSCHECK_WORKERS; default 1).")
@click.option(
    "--index-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Index directory (env CROSSCHECK_INDEX_DIR); built from the bundled seeds if empty.",
)
@click.option("--model", metavar="NAME", help="Embedding model (env CROSSCHECK_MODEL).")
def serve(host: str | None, port: int | None, workers: int | None, index_dir: Path | None, model: str | None) -> None:
    """Run the HTTP API and the web page.

    The index is loaded (or built from the bundled seeds) in the background:
    /healthz answers at once, /readyz turns 200 when claims can be checked.

    \b
    Examples:
      crosscheck serve
      crosscheck serve --port 9000 --index-dir ./index
      CROSSCHECK_API_KEY=$(openssl rand -hex 24) crosscheck serve --host 0.0.0.0 --workers 2
    """
    from pydantic import ValidationError

    try:
        settings = settings_with(host=host, port=port, workers=workers, index_dir=index_dir, model=model)
    except ValidationError as exc:
        problems = "; ".join(f"CROSSCHECK_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"invalid settings: {problems}") from None
    run(settings)
