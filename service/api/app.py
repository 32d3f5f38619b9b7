"""The FastAPI application: ``create_app(settings, corpus=None)``.

One app per process. Under ``crosscheck serve --workers N`` each worker
builds its own from the environment (``app_from_env``) and holds its own
view of the passage store; a write in one worker is committed on disk and the
others pick it up on their next request (``Corpus.store()`` refreshes, loading
only what changed).
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from service.api import errors, routes
from service.api.balance import ConnectionTable, Rebalance, current
from service.api.deps import ServiceState
from service.api.middleware import REQUEST_ID_HEADER, Guard, RequestContext, origin_regex
from service.corpus import Corpus
from service.settings import Settings, get_settings

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
# The page is plain files from this server: nothing inline, nothing from elsewhere.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
# Swagger UI at /docs: its one inline script (the set-up call) allowed by its hash, nothing else inline
# runs; it sets styles inline and draws its icons from data: URIs.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' {script}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
DESCRIPTION = """\
Cross-source claim verification. Give a claim; get, for each news source in the
corpus, the passages that support or conflict with it and why, and an overall verdict.

* Errors have one shape: `{"error", "message", "fields", "request_id"}`.
* Write routes (`POST`/`DELETE /v1/documents`) need `CROSSCHECK_API_KEY`, sent as
  `X-API-Key` or `Authorization: Bearer`; without a configured key they answer 403.
* Request bodies over `CROSSCHECK_MAX_BODY_BYTES` answer 413.

The web page is at [/](/); the guide with curl examples is `docs/api.md`.
"""
TAGS = [
    {"name": "verify", "description": "Check claims and search passages"},
    {"name": "corpus", "description": "The sources in the index; adding and removing them needs the API key"},
    {"name": "service", "description": "Liveness and readiness probes"},
]


def create_app(
    settings: Settings | None = None, corpus: Corpus | None = None, *, connections: ConnectionTable | None = None
) -> FastAPI:
    """The app over ``corpus`` (default: one built from ``settings``); the index loads in the background.

    ``connections``: the table of open connections per worker, with which a worker holding more than
    its part of the kept-alive connections asks clients to reconnect (``service.api.balance``).
    """
    settings = settings or get_settings()
    state = ServiceState(settings, corpus or Corpus(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loader = threading.Thread(target=state.load, name="crosscheck-load", daemon=True)
        loader.start()
        yield
        # Nothing to flush: every write is committed on disk before it is acknowledged,
        # and a load still running at shutdown is abandoned (an interrupted first ingest leaves no index,
        # so the next start builds it again).

    app = FastAPI(
        title="crosscheck",
        version=_version(),
        summary="Which news sources support or conflict with a claim, and why",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        swagger_ui_parameters={"defaultModelsExpandDepth": 0, "tryItOutEnabled": True},
    )
    app.state.crosscheck = state
    errors.install(app)
    app.include_router(routes.router)
    _add_pages(app)
    app.openapi = _openapi_with_limits(app, settings)  # type: ignore[method-assign]

    # add_middleware wraps: the last added is the outermost
    app.add_middleware(Guard, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex=origin_regex(settings.cors_origins),
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Content-Type", "Authorization", "X-API-Key", REQUEST_ID_HEADER],
        expose_headers=[
            REQUEST_ID_HEADER,
            "Retry-After",
            "Content-Disposition",
            "X-Crosscheck-Input-Encoding",
            "X-Crosscheck-Input-Encoding-Doubt",
            "X-Crosscheck-Claim-Column",
        ],
        max_age=600,
    )
    app.add_middleware(RequestContext, log_requests=settings.access_log)
    if connections is not None:
        app.add_middleware(Rebalance, table=connections)
    return app


def app_from_env() -> FastAPI:
    """The uvicorn factory each worker process calls: settings from ``CROSSCHECK_*``."""
    # tqdm (through sentence-transformers) would otherwise create a multiprocessing lock, a named
    # semaphore that outlives a worker stopped by its supervisor and is reported as leaked.
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())
    return create_app(Settings(), connections=current())


def _version() -> str:
    try:
        return metadata.version("crosscheck")
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        return "0+unknown"


def _add_pages(app: FastAPI) -> None:
    """The web page at /, its files under /static, and Swagger UI at /docs from bundled files (works offline)."""

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", headers=PAGE_HEADERS)

    app.mount("/static", PageFiles(directory=WEB_DIR), name="static")
    swagger = resources.files("fastapi_offline").joinpath("static")
    app.mount("/docs-assets", StaticFiles(directory=str(swagger)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="crosscheck API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        return HTMLResponse(bytes(page.body), headers=_docs_headers(bytes(page.body).decode()))


class PageFiles(StaticFiles):
    """The page's files, each with the page's headers: index.html is reachable here too, and was without its CSP."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update(PAGE_HEADERS)
        return response


def _docs_headers(page: str) -> dict[str, str]:
    """The page's headers for Swagger UI, its CSP allowing the page's own inline scripts by their hashes."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return {**PAGE_HEADERS, "Content-Security-Policy": DOCS_POLICY.format(script=hashes)}


def _openapi_with_limits(app: FastAPI, settings: Settings) -> Callable[[], dict[str, Any]]:
    """The generated schema, with the limits this server was configured with stated in it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            components = schema.get("components", {}).get("schemas", {})
            for model, field in (("VerifyRequest", "claim"), ("SearchRequest", "query")):
                components[model]["properties"][field]["maxLength"] = settings.max_claim_chars
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi
