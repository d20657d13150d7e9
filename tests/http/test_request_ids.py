"""An exception escaping a route still gets the request id, in its 500 and its log line (the
GraphQL case is in tests/test_http.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coach_graph.config import Settings
from coach_graph.logs import JsonFormatter
from coach_graph.web import install


async def _explode(request: Request) -> Response:
    raise RuntimeError("SELECT secret FROM table")


@pytest.fixture
async def failing_app() -> AsyncIterator[httpx.AsyncClient]:
    """A route that raises, behind the app's HTTP layer."""
    app = Starlette(routes=[Route("/explode", _explode, methods=["GET", "POST"])])
    install(app, Settings())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_an_exception_escaping_a_route_is_a_graphql_shaped_500_with_the_request_id(
    failing_app: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = await failing_app.get("/explode", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "boom-1"
    assert response.headers["x-content-type-options"] == "nosniff"
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "boom-1"}
    assert "boom-1" in error["message"]
    assert "SELECT" not in response.text and "RuntimeError" not in response.text
    (logged,) = [r for r in caplog.records if r.name == "coach_graph.errors"]
    assert logged.exc_info is not None
    assert json.loads(JsonFormatter().format(logged))["request_id"] == "boom-1"
    (access,) = [r for r in caplog.records if r.name == "coach_graph.access"]
    assert (access.status, access.path, access.method) == (500, "/explode", "GET")  # type: ignore[attr-defined]


def test_a_log_line_outside_any_request_has_no_request_id() -> None:
    record = logging.LogRecord("coach_graph", logging.INFO, "", 0, "started", None, None)
    assert "request_id" not in json.loads(JsonFormatter().format(record))
