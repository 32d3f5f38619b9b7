"""What routes ask for, as ``Annotated`` aliases: the loaded verifier, the corpus, settings, write access."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from service.api.errors import ServiceNotReady
from service.coalesce import Coalescer
from service.compiled import engine_build
from service.corpus import Corpus
from service.errors import CrosscheckError
from service.settings import Settings
from service.verify import Verifier

log = logging.getLogger("crosscheck.api")

# A request that arrives while its worker is still loading waits this long before it is answered 503.
# With several workers, a new or restarted one shares the listening socket and takes requests at once;
# waiting briefly turns what would be an error into a slow answer. /readyz never waits.
READY_WAIT_SECONDS = 30.0


class ServiceState:
    """One per app: the corpus, and the verifier once the index is loaded.

    Loading runs in a background thread started by the app's lifespan, so
    /healthz answers at once and /readyz says 503 until the index is in memory.
    """

    def __init__(self, settings: Settings, corpus: Corpus) -> None:
        self.settings = settings
        self.corpus = corpus
        self.verifier: Verifier | None = None
        self.checks: Coalescer | None = None  # concurrent checks, batched on the event loop
        self.error: str | None = None
        self.finished = threading.Event()  # loaded, or failed for good
        self.ready_wait = READY_WAIT_SECONDS

    def load(self) -> None:
        started = time.perf_counter()
        try:
            store = self.corpus.store(bootstrap=True, notify=log.info)
            verifier = Verifier(self.corpus)
            verifier.warm_up()
            self.checks = Coalescer(verifier)
            self.verifier = verifier
            counts = store.counts()
            log.info(
                "ready: %d sources, %d passages, model %s, index %s, engine %s (%.1fs)",
                counts.sources,
                counts.passages,
                store.model,
                self.settings.index_dir,
                engine_build(),
                time.perf_counter() - started,
            )
        except CrosscheckError as exc:
            self.error = str(exc)
            log.error("cannot serve: %s", exc)
        except Exception as exc:
            self.error = f"unexpected {type(exc).__name__} while loading the index: {exc}"
            log.exception("cannot serve")
        finally:
            self.finished.set()

    def close(self) -> None:
        if self.checks is not None:
            self.checks.close()

    def require_verifier(self) -> Verifier:
        if self.verifier is None:
            self.finished.wait(self.ready_wait)
        if self.verifier is None:
            raise ServiceNotReady(
                f"the index cannot be used: {self.error}" if self.error else "the index is still loading; retry shortly"
            )
        return self.verifier


# Dependencies are ``async def``: FastAPI runs a plain ``def`` dependency in its thread pool, and
# a thread hand-off per dependency cost more CPU than these attribute reads (measured).


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.crosscheck
    return state


async def get_state(request: Request) -> ServiceState:
    return _state(request)


StateDep = Annotated[ServiceState, Depends(get_state)]

# The dependencies below read the state themselves rather than through ``StateDep``: FastAPI's
# dependency tree costs per level, and one level less took ~0.03 ms off each ``POST /v1/verify``
# (its HTTP path alone: 0.585 against 0.615 ms of CPU), the route every load takes.


async def get_settings(request: Request) -> Settings:
    return _state(request).settings


async def _loaded(state: ServiceState) -> Verifier:
    if state.verifier is not None:
        return state.verifier
    return await run_in_threadpool(state.require_verifier)  # waits a moment for the index to load


async def get_verifier(request: Request) -> Verifier:
    return await _loaded(_state(request))


async def get_checks(request: Request) -> Coalescer:
    """Where single claims are checked: with the others waiting at the same time (see ``service.coalesce``)."""
    state = _state(request)
    await _loaded(state)
    assert state.checks is not None  # set before the verifier
    return state.checks


async def get_corpus(request: Request) -> Corpus:
    """The corpus, once loaded: reads and writes wait for the index like verification does."""
    state = _state(request)
    await _loaded(state)
    return state.corpus


SettingsDep = Annotated[Settings, Depends(get_settings)]
VerifierDep = Annotated[Verifier, Depends(get_verifier)]
ChecksDep = Annotated[Coalescer, Depends(get_checks)]
CorpusDep = Annotated[Corpus, Depends(get_corpus)]

_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="The server's CROSSCHECK_API_KEY", scheme_name="ApiKey"
)
_bearer = HTTPBearer(auto_error=False, description="The server's CROSSCHECK_API_KEY as a bearer token")


async def require_api_key(
    settings: SettingsDep,
    header_key: Annotated[str | None, Security(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> None:
    """Write access: the configured key in X-API-Key or Authorization: Bearer, compared in constant time."""
    if settings.api_key is None:
        raise HTTPException(
            403,
            "write routes are disabled on this server: start it with CROSSCHECK_API_KEY set "
            "(at least 16 characters, e.g. `openssl rand -hex 24`) to enable POST and DELETE /v1/documents",
        )
    offered = header_key if header_key is not None else (bearer.credentials if bearer is not None else None)
    if offered is None:
        raise HTTPException(
            401,
            "this route needs the API key: send it as X-API-Key: KEY or Authorization: Bearer KEY",
            headers={"WWW-Authenticate": "Bearer"},
        )
    expected = settings.api_key.get_secret_value().encode()
    if not hmac.compare_digest(offered.encode(), expected):
        raise HTTPException(401, "wrong API key", headers={"WWW-Authenticate": "Bearer"})


WriteAccess = Depends(require_api_key)
