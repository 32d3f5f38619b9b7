"""Pure ASGI middleware: request ids and access logs, CORS origins, the body limit, the last-resort 500.

Order, outermost first: ``RequestContext`` -> CORS -> ``Guard`` -> the app, so a
413 or 500 still carries CORS headers (a browser can read it) and every request,
preflights included, gets an id and one access-log line.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import error_bytes, request_id_of

log = logging.getLogger("crosscheck.api")
access_log = logging.getLogger("crosscheck.access")

REQUEST_ID_HEADER = "X-Request-ID"
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class RequestContext:
    """Gives each request an id (the client's X-Request-ID if sane) and logs one JSON line per request."""

    def __init__(self, app: ASGIApp, *, log_requests: bool = True) -> None:
        self.app = app
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = offered if offered and _CLIENT_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 0
        sent = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.log_requests:
                client = scope.get("client")
                access_log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status or "-",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status or None,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "bytes": sent,
                        "client": f"{client[0]}:{client[1]}" if client else None,
                        "origin": Headers(scope=scope).get("origin"),
                    },
                )


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit:,} bytes")


class Guard:
    """Refuses bodies over the limit before they are read whole; turns an unexpected exception into a JSON 500.

    A declared Content-Length over the limit is answered at once, without
    reading a byte; a body sent without one (chunked) is counted as it
    streams and refused as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            too_large = declared.isdigit()
            await self._answer(
                scope,
                send,
                413 if too_large else 400,
                "payload_too_large" if too_large else "bad_request",
                str(BodyTooLarge(limit).detail) if too_large else "Content-Length is not a number",
            )
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except Exception:
            request_id = request_id_of(scope)
            log.exception("unhandled error in %s %s", scope["method"], scope["path"], extra={"request_id": request_id})
            if started:  # too late for a clean answer: let the server drop the connection
                raise
            await self._answer(scope, send, 500, "internal_error", f"internal error (request id {request_id})")

    async def _answer(self, scope: Scope, send: Send, status: int, code: str, message: str) -> None:
        body = error_bytes(status, code, message, request_id=request_id_of(scope))
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 413:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def origin_regex(patterns: Iterable[str]) -> str | None:
    """One regular expression for the configured origin patterns (see ``Settings.cors_origins``).

    ``*`` stands for one host label or id (``chrome-extension://*``) and, after
    ``:``, for any port or none (``http://localhost:*``).
    """
    alternatives = []
    for pattern in patterns:
        if pattern == "*":
            return ".*"
        base, colon, port = pattern.rpartition(":")
        if colon and port == "*" and "://" in base and not base.endswith("/"):
            host, port_re = base, r"(?::\d{1,5})?"
        else:
            host, port_re = pattern, ""
        alternatives.append(re.escape(host).replace(r"\*", r"[A-Za-z0-9-]+") + port_re)
    return "|".join(f"(?:{a})" for a in alternatives) or None
