"""What every HTTP response passes through: its access log line, security headers, the body
limit, and a GraphQL-shaped 500 (with the request id) should anything escape a route.

The request id itself comes from asgi-correlation-id's middleware (see `install`); the log
formatter puts it on every line (coach_graph/logs.py).
"""

from __future__ import annotations

import logging
import re
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coach_graph import logs
from coach_graph.errors import ErrorCode
from coach_graph.graphiql import CONTENT_SECURITY_POLICY
from coach_graph.web.graphql_http import error_response
from coach_graph.web.request_note import RequestNote, noting

access_log = logging.getLogger("coach_graph.access")
error_log = logging.getLogger("coach_graph.errors")

# An incoming X-Request-ID is kept when it looks like one; anything else is replaced.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def is_sane_request_id(value: str) -> bool:
    return _SANE_REQUEST_ID.fullmatch(value) is not None


def _status_of(message: Message, status: int | None) -> int | None:
    return message["status"] if message["type"] == "http.response.start" else status


class AccessLog:
    """One JSON line per request on "coach_graph.access": request id, method, path (never the
    query string), status, latency, operation name and viewer id. Nothing else of the request is
    logged: no variables, tokens or passwords. An exception escaping the app is logged with its
    request id and answered with a GraphQL-shaped INTERNAL 500 carrying that id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        note = RequestNote()
        status: int | None = None

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            status = _status_of(message, status)
            await send(message)

        try:
            with noting(note):
                await self.app(scope, receive, send_noting_status)
        except Exception:
            request_id = logs.request_id()
            error_log.exception("internal error (request %s) at %s", request_id, scope["path"])
            if status is None:
                response = error_response(
                    Headers(scope=scope),
                    500,
                    f"Internal error; quote request id {request_id} when reporting it.",
                    ErrorCode.INTERNAL,
                    requestId=request_id,
                )
                await response(scope, receive, send_noting_status)
        finally:
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                    "operation": note.operation,
                    "viewer_id": note.viewer_id,
                },
            )


class SecurityHeaders:
    """`X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` on every response,
    `Cache-Control: no-store` on /graphql and exports, the CSP on HTML pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        no_store = path == "/graphql" or path.startswith("/exports/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(SECURITY_HEADERS)
                if no_store:
                    headers["Cache-Control"] = "no-store"
                if headers.get("content-type", "").startswith("text/html"):
                    # The GraphiQL page's strict policy, unless the page set one itself.
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    """Raised by the counting `receive` when a body grows past the limit."""


class BodyLimit:
    """A request body over `max_bytes` gets 413 before it is read whole: a declared
    Content-Length is checked before the app runs; a chunked body is counted as it arrives.

    The connection stays open: uvicorn discards what the client still sends of that body
    (never buffered, never handed to the app), so the client reads a clean 413 instead of a
    connection reset in the middle of its upload."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        status: int | None = None

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            status = _status_of(message, status)
            await send(message)

        try:
            await self.app(scope, counting_receive, send_noting_status)
        except BodyTooLarge:
            if status is not None:  # a route that answered before reading: nothing to refuse
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            Headers(scope=scope),
            413,
            f"The request body is larger than {self.max_bytes} bytes.",
            maxBodyBytes=self.max_bytes,
        )
        await response(scope, receive, send)
