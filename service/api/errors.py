"""One shape for every error response, and the one table from domain errors to status codes.

A client sees ``{"error": code, "message": text, "fields": [...], "request_id": id}``
whatever went wrong, including a 413 from the body limit and a 500 from a bug;
never a traceback (that goes to the server log under the same request id).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.types import Scope

from service.errors import (
    BatchTooLargeError,
    ConfigurationError,
    CrosscheckError,
    DocumentError,
    DocumentTooLargeError,
    EmbedderError,
    FetchError,
    FetchRefusedError,
    IndexCorruptError,
    IndexNotFoundError,
    InvalidClaimError,
    InvalidInputError,
    ModelMismatchError,
    UnknownSourceError,
)

log = logging.getLogger("crosscheck.api")


class ServiceNotReady(CrosscheckError):
    """The index is still loading, or failed to load; /readyz says which."""


class FieldError(BaseModel):
    field: str = Field(description="The request field at fault, as the client wrote it: claim, sources[1], body")
    location: Literal["body", "path", "query", "header"] = "body"
    message: str
    type: str = Field(description="Machine-readable kind: missing, string_too_long, invalid_claim, ...")


class ErrorBody(BaseModel):
    """The body of every 4xx and 5xx response."""

    model_config = {
        "json_schema_extra": {
            "example": {
                "error": "validation_error",
                "message": "claim: the claim is empty (only whitespace)",
                "fields": [
                    {
                        "field": "claim",
                        "location": "body",
                        "message": "the claim is empty (only whitespace)",
                        "type": "value_error",
                    }
                ],
                "request_id": "5f0c7a3e9b2d4c1e8a6f0b3d2c1e4f5a",
            }
        }
    }

    error: str = Field(description="Machine-readable code, e.g. validation_error, unknown_source, not_ready")
    message: str = Field(description="What went wrong, for people")
    fields: list[FieldError] = Field(default_factory=list, description="The request fields at fault, if any")
    request_id: str | None = Field(default=None, description="Also in the X-Request-ID header and the server log")


# Most specific class first is not needed: the exception's MRO is walked, so a
# subclass listed here wins over its base.
DOMAIN_ERRORS: dict[type[Exception], tuple[int, str]] = {
    ServiceNotReady: (503, "not_ready"),
    BatchTooLargeError: (413, "too_many_claims"),
    DocumentTooLargeError: (413, "document_too_large"),
    InvalidClaimError: (422, "invalid_claim"),
    InvalidInputError: (422, "invalid_input"),
    FetchRefusedError: (422, "fetch_refused"),
    # 422, not 502: the request named a page that cannot be made into a document (gone, too large, not HTML,
    # unreachable); the client can act on it, and the service itself is fine
    FetchError: (422, "fetch_failed"),
    DocumentError: (422, "invalid_document"),
    UnknownSourceError: (404, "unknown_source"),
    IndexNotFoundError: (503, "index_unavailable"),
    IndexCorruptError: (503, "index_unavailable"),
    ModelMismatchError: (503, "index_unavailable"),
    EmbedderError: (503, "model_unavailable"),
    ConfigurationError: (500, "configuration_error"),
    CrosscheckError: (400, "bad_request"),
}
# Fields named by errors that carry none themselves.
DEFAULT_FIELDS: dict[type[Exception], str] = {UnknownSourceError: "sources", FetchError: "url"}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "not_ready",
}
RETRY_AFTER_SECONDS = "5"


def request_id_of(scope: Scope) -> str | None:
    state = scope.get("state") or {}
    value = state.get("request_id")
    return value if isinstance(value, str) else None


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    request_id: str | None,
    fields: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=code, message=message, fields=list(fields), request_id=request_id)
    headers = dict(headers or {})
    if status == 503:
        headers.setdefault("Retry-After", RETRY_AFTER_SECONDS)
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def error_bytes(status: int, code: str, message: str, *, request_id: str | None) -> bytes:
    """The same body for middleware that answers before the app runs."""
    body = ErrorBody(error=code, message=message, request_id=request_id)
    return json.dumps(body.model_dump()).encode()


def _field_name(loc: Sequence[int | str]) -> tuple[str, str]:
    """('body', 'sources', 2) -> ('body', 'sources[2]'); a bare ('body',) names the body itself."""
    where = str(loc[0]) if loc else "body"
    location = where if where in {"body", "path", "query", "header"} else "body"
    parts = list(loc[1:]) if loc and loc[0] in {"body", "path", "query", "header"} else list(loc)
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return location, name or "body"


def _clean(message: str) -> str:
    # pydantic prefixes messages of our own validators; the rest reads better without it
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def validation_fields(errors: Sequence[Any]) -> list[FieldError]:
    fields = []
    for error in errors:
        location, name = _field_name(tuple(error.get("loc", ())))
        kind = str(error.get("type", "invalid"))
        message = _clean(str(error.get("msg", "invalid value")))
        if kind == "json_invalid":
            ctx = error.get("ctx") or {}
            message = f"the body is not valid JSON: {ctx.get('error', 'decode error')}"
            name = "body"
        fields.append(FieldError(field=name, location=location, message=message, type=kind))  # type: ignore[arg-type]
    return fields


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = validation_fields(exc.errors())
    summary = "; ".join(f"{f.field}: {f.message}" for f in fields[:5]) or "invalid request"
    return error_response(422, "validation_error", summary, request_id=request_id_of(request.scope), fields=fields)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if isinstance(exc.__cause__, UnicodeDecodeError):  # FastAPI's "error parsing the body"
        message = f"the body is not UTF-8 text: {exc.__cause__.reason} at byte {exc.__cause__.start}"
    return error_response(
        exc.status_code,
        code,
        message,
        request_id=request_id_of(request.scope),
        headers=dict(exc.headers or {}),
    )


def domain_status(exc: Exception) -> tuple[int, str, str | None]:
    """(status, code, field) for a domain error."""
    for cls in type(exc).__mro__:
        if cls in DOMAIN_ERRORS:
            status, code = DOMAIN_ERRORS[cls]
            field = getattr(exc, "field", None) or next(
                (DEFAULT_FIELDS[c] for c in type(exc).__mro__ if c in DEFAULT_FIELDS), None
            )
            return status, code, field
    return 500, "internal_error", None


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    status, code, field = domain_status(exc)
    if status >= 500:
        log.error("%s: %s", code, exc, extra={"request_id": request_id_of(request.scope)})
    fields = [FieldError(field=field, message=str(exc), type=code)] if field else []
    return error_response(status, code, str(exc), request_id=request_id_of(request.scope), fields=fields)


def install(app: FastAPI) -> None:
    """Register the handlers; unexpected exceptions are answered by ``middleware.Guard``."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(CrosscheckError, _domain_error)


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses a route can answer."""
    descriptions = {
        400: "The body could not be read (it is not UTF-8)",
        401: "Missing or wrong API key",
        403: "Write routes are disabled: the server has no CROSSCHECK_API_KEY",
        404: "A source named in the request is not in the index",
        413: "The request body is larger than CROSSCHECK_MAX_BODY_BYTES",
        422: "A field is missing, malformed or out of range; `fields` names it",
        500: "An unexpected error; the server log has the traceback under `request_id`",
        503: "The index is still loading or cannot be read; see /readyz",
    }
    return {status: {"model": ErrorBody, "description": descriptions[status]} for status in statuses}
