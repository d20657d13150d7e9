"""CORS for browsers on other origins: the dashboards named in ALLOWED_ORIGINS (the same list
that admits their websockets) may call /graphql over HTTP; any other origin gets no CORS header,
so its browser keeps the answer from the page.

No credentials: tokens travel in the Authorization header, never in cookies.
"""

from __future__ import annotations

from typing import Any

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
