"""Websocket handshakes from other origins are refused unless ALLOWED_ORIGINS names them."""

from __future__ import annotations

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, WebSocketUpgradeError, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from starlette.applications import Starlette

from coach_graph.app import create_app
from coach_graph.config import Settings
from tests.ws import TRANSPORT_WS


async def _handshake(app: Starlette, origin: str | None) -> bool:
    headers = {"Origin": origin} if origin else {}
    async with httpx.AsyncClient(
        transport=ASGIWebSocketTransport(app), base_url="http://test"
    ) as client:
        try:
            async with aconnect_ws(
                "/graphql", client, subprotocols=[TRANSPORT_WS], headers=headers
            ):
                return True
        except WebSocketUpgradeError:
            return False
        except WebSocketDisconnect as refused:
            assert refused.code == 1008  # policy violation: the origin is not allowed
            return False


async def test_a_cross_origin_handshake_is_refused_by_default(app: Starlette) -> None:
    assert await _handshake(app, "https://evil.example") is False
    assert await _handshake(app, None) is True  # a non-browser client


@pytest.fixture
async def dashboard_app(settings: Settings) -> Starlette:
    return create_app(settings.with_(allowed_origins=("https://dash.example",)), jobs=[])


async def test_a_listed_dashboard_origin_may_connect(dashboard_app: Starlette) -> None:
    async with dashboard_app.router.lifespan_context(dashboard_app):
        assert await _handshake(dashboard_app, "https://dash.example") is True
        assert await _handshake(dashboard_app, "https://evil.example") is False
