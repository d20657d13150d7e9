"""A small GraphQL-over-websocket client for tests, speaking graphql-transport-ws or the legacy
graphql-ws, over httpx-ws (in process against the ASGI app, or over TCP to uvicorn)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from starlette.applications import Starlette

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


async def until(condition: Callable[[], bool], within: float = 5.0, step: float = 0.01) -> None:
    """Wait (bounded) until the server reached a state the test can only observe."""
    for _ in range(int(within / step)):
        if condition():
            return
        await asyncio.sleep(step)
    raise AssertionError(f"condition not met within {within} s")


async def until_async(
    condition: Callable[[], Awaitable[bool]], within: float = 10.0, step: float = 0.05
) -> None:
    """`until` for a condition that must be fetched (e.g. over HTTP from another process)."""
    for _ in range(int(within / step)):
        if await condition():
            return
        await asyncio.sleep(step)
    raise AssertionError(f"condition not met within {within} s")


class GqlSocket:
    """One websocket connection and its protocol's message names."""

    def __init__(self, ws: AsyncWebSocketSession, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol

    async def init(self, token: str | None) -> dict[str, Any]:
        """connection_init with the bearer token; returns the server's answer."""
        payload = {"authorization": f"Bearer {token}"} if token is not None else {}
        await self.ws.send_json({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def subscribe(
        self, op_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self.ws.send_json(
            {"id": op_id, "type": kind, "payload": {"query": query, "variables": variables or {}}}
        )

    async def complete(self, op_id: str) -> None:
        kind = "complete" if self.protocol == TRANSPORT_WS else "stop"
        await self.ws.send_json({"id": op_id, "type": kind})

    async def receive(self, within: float = 5.0) -> dict[str, Any]:
        """The next message other than keep-alives (TimeoutError after `within` s)."""
        while True:
            message: dict[str, Any] = await self.ws.receive_json(timeout=within)
            if message.get("type") not in ("ka", "ping", "pong"):
                return message

    async def next_data(self, within: float = 5.0) -> dict[str, Any]:
        """The data of the next result, which must have no errors."""
        message = await self.receive(within)
        assert message["type"] in ("next", "data"), message
        assert not message["payload"].get("errors"), message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def closed_with(self, within: float = 5.0) -> int:
        """Wait until the server closes the socket; its close code (fails on any message)."""
        try:
            message = await self.ws.receive_json(timeout=within)
        except WebSocketDisconnect as closed:
            return closed.code
        raise AssertionError(f"expected the socket to close, got {message}")

    async def nothing(self, within: float = 0.3) -> None:
        """Assert that no message arrives for `within` s (only after a known event)."""
        try:
            message = await self.ws.receive_json(timeout=within)
        except TimeoutError:
            return
        raise AssertionError(f"expected no message, got {message}")


@asynccontextmanager
async def in_process(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client whose websockets reach `app` in process (its lifespan already entered)."""
    async with httpx.AsyncClient(
        transport=ASGIWebSocketTransport(app), base_url="http://test"
    ) as client:
        yield client


@asynccontextmanager
async def socket(
    client: httpx.AsyncClient, protocol: str = TRANSPORT_WS, url: str = "/graphql"
) -> AsyncIterator[GqlSocket]:
    async with aconnect_ws(url, client, subprotocols=[protocol]) as ws:
        yield GqlSocket(ws, protocol)


@asynccontextmanager
async def app_socket(app: Starlette, protocol: str = TRANSPORT_WS) -> AsyncIterator[GqlSocket]:
    """A websocket to the app in process (enter it inside the test's own task)."""
    async with in_process(app) as client, socket(client, protocol) as ws:
        yield ws
