from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from httpx_ws import AsyncWebSocketSession, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from starlette.applications import Starlette

from coach_graph.context import Resources
from coach_graph.sessions.reschedule import CHANNEL
from tests.sessions.conftest import Scene, at

SUBSCRIBE = """subscription { rescheduleRequestChanged {
  id status proposedStartsAt session { id privateNotes clientName } } }"""
REQUEST = """mutation($id: ID!, $t: DateTime!) {
  requestReschedule(sessionId: $id, startsAt: $t) { id status } }"""


def _subscribers(resources: Resources) -> int:
    # graphql-transport-ws has no "subscribed" acknowledgement: ask the broadcaster.
    return resources.realtime.subscriber_count(CHANNEL)


@asynccontextmanager
async def subscription(
    app: Starlette, resources: Resources, token: str
) -> AsyncIterator[AsyncWebSocketSession]:
    before = _subscribers(resources)
    async with (
        httpx.AsyncClient(transport=ASGIWebSocketTransport(app), base_url="http://test") as http,
        aconnect_ws("http://test/graphql", http, subprotocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        )
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
        for _ in range(200):
            if _subscribers(resources) > before:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the subscription never reached the broadcaster")
        yield ws


async def _next(ws: AsyncWebSocketSession) -> dict[str, Any]:
    message = await ws.receive_json(timeout=5)
    assert message["type"] == "next", message
    payload: dict[str, Any] = message["payload"]["data"]["rescheduleRequestChanged"]
    return payload


async def test_the_coach_is_pushed_a_new_request_and_the_client_its_outcome(
    scene: Scene, app: Starlette, resources: Resources
) -> None:
    sid = (await scene.book(at(2, 9), 60, pn="private"))["id"]
    async with (
        subscription(app, resources, scene.coach_token) as coach_ws,
        subscription(app, resources, scene.client_token) as client_ws,
    ):
        made = await scene.as_client(REQUEST, id=sid, t="2026-03-06T10:00:00Z")
        request_id = made["requestReschedule"]["id"]
        pushed = await _next(coach_ws)
        assert pushed["id"] == request_id and pushed["status"] == "PENDING"
        assert pushed["session"] == {
            "id": sid,
            "privateNotes": "private",
            "clientName": "Client Cleo",
        }
        await scene.as_coach(
            "mutation($id: ID!) { respondToRescheduleRequest(id: $id, approve: true) { id } }",
            id=request_id,
        )
        # The client sees only the outcome, never the coach's private notes.
        outcome = await _next(client_ws)
        assert outcome["id"] == request_id and outcome["status"] == "APPROVED"
        assert outcome["session"]["privateNotes"] is None
        assert (await _next(coach_ws))["status"] == "APPROVED"


async def test_a_subscriber_gets_nothing_of_another_coach_s_requests(
    scene: Scene, app: Starlette, resources: Resources
) -> None:
    other_coach = await scene.practice.coach()
    other_client = await scene.practice.client(other_coach)
    services = await scene.gql.data(
        "{ services { id durationMinutes } }", None, await scene.practice.token(other_coach)
    )
    other_service = next(s["id"] for s in services["services"] if s["durationMinutes"] == 60)
    theirs = await scene.gql.data(
        """mutation($c: ID!, $s: ID!) { bookSession(clientId: $c, serviceId: $s,
             startsAt: "2026-03-04T09:00:00Z") { id } }""",
        {"c": str(other_client.id), "s": other_service},
        await scene.practice.token(other_coach),
    )
    mine = (await scene.book(at(2, 10), 60))["id"]
    async with subscription(app, resources, scene.coach_token) as ws:
        # Routed by owner: the other coach's events never wake this subscription.
        assert set(resources.realtime._routes[CHANNEL]) == {"coach_id"}
        await scene.gql.data(
            REQUEST,
            {"id": theirs["bookSession"]["id"], "t": "2026-03-06T10:00:00Z"},
            await scene.practice.token(other_client),
        )
        await scene.as_client(REQUEST, id=mine, t="2026-03-06T13:00:00Z")
        # Events arrive in order: had the foreign one been delivered, it would come first.
        assert (await _next(ws))["session"]["id"] == mine


async def test_a_subscription_without_a_valid_token_is_closed(
    app: Starlette, resources: Resources
) -> None:
    async with (
        httpx.AsyncClient(transport=ASGIWebSocketTransport(app), base_url="http://test") as http,
        aconnect_ws("http://test/graphql", http, subprotocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {"authorization": "Bearer x"}})
        try:
            message = await ws.receive_json(timeout=5)
        except Exception as exc:  # the server closes the socket
            assert "4403" in repr(exc) or "4401" in repr(exc) or "close" in repr(exc).lower()
        else:
            raise AssertionError(f"expected the socket to close, got {message}")
