"""The HTTP layer around the routes: request ids, access log, security headers, body limit
(middleware.py), and how /graphql reads requests and shapes answers (graphql_http.py)."""

from __future__ import annotations

from asgi_correlation_id import CorrelationIdMiddleware
from starlette.applications import Starlette

from coach_graph.config import Settings
from coach_graph.logs import new_request_id
from coach_graph.web.cors import ListedOriginsCORS, cors_options
from coach_graph.web.middleware import AccessLog, BodyLimit, SecurityHeaders, is_sane_request_id


def install(app: Starlette, settings: Settings) -> None:
    """Wrap `app`'s routes, outermost first: CORS (a preflight answered before anything else
    runs; the headers on every answer to a listed origin, errors included), the request id
    (kept from a sane X-Request-ID, else new, and sent back on every response), the security
    headers, the access log line (which answers an escaped exception with a 500), and the body
    limit."""
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLog)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        CorrelationIdMiddleware, validator=is_sane_request_id, generator=new_request_id
    )
    app.add_middleware(ListedOriginsCORS, **cors_options(settings))
