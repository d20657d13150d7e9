"""CORS for browsers on other origins: the dashboards named in ALLOWED_ORIGINS (the same list
that admits their websockets) may call /graphql over HTTP; any other origin gets no CORS header,
so its browser keeps the answer from the page.

No credentials: tokens travel in the Authorization header, never in cookies.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from coach_graph.config import Settings

ALLOWED_METHODS = ("GET", "POST")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-Request-ID")
EXPOSED_HEADERS = ("X-Request-ID",)


def cors_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of starlette's CORSMiddleware for these settings."""
    return {
        "allow_origins": list(settings.allowed_origins),
        "allow_methods": list(ALLOWED_METHODS),
        "allow_headers": list(ALLOWED_HEADERS),
        "expose_headers": list(EXPOSED_HEADERS),
        "allow_credentials": False,
        "max_age": settings.cors_max_age_seconds,
    }


class ListedOriginsCORS(CORSMiddleware):
    """starlette's CORSMiddleware, saying nothing to an unlisted origin: its preflight gets a
    bare 400 and its requests no CORS header (starlette would still list the methods, headers
    and max-age it grants listed origins, and the exposed headers)."""

    async def simple_response(
        self, scope: Scope, receive: Receive, send: Send, request_headers: Headers
    ) -> None:
        origin = request_headers.get("origin")
        if origin is None or not self.is_allowed_origin(origin=origin):
            await self.app(scope, receive, send)
            return
        await super().simple_response(scope, receive, send, request_headers)

    def preflight_response(self, request_headers: Headers) -> Response:
        if not self.is_allowed_origin(origin=request_headers["origin"]):
            return PlainTextResponse("Disallowed CORS origin", status_code=400)
        return super().preflight_response(request_headers)
