"""A freed time under real concurrency, against a real uvicorn on 127.0.0.1: every waiting
client is told at once (live too), they all try to book it at the same moment, exactly one
wins and the others get CONFLICT; only the winner's entry ends."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.applications import Starlette

from coach_graph.context import Resources
from coach_graph.notifications.service import NOTIFICATIONS_CHANNEL
from tests.conftest import Practice
from tests.messages.test_live import NOTIFICATIONS, subscribed
from tests.sessions.conftest import Scene, at, iso
from tests.sessions.test_self_booking_race import post
from tests.waitlist.conftest import CANCEL, JOIN, WAITLIST
from tests.ws import app_socket

BOOK_MINE = "mutation($s: ID!, $t: DateTime!) { bookMySession(serviceId: $s, startsAt: $t) { id } }"
INBOX = "{ notifications { edges { node { kind body } } } }"


async def test_racing_waiting_clients_for_a_freed_time_exactly_one_books_it(
    server: httpx.AsyncClient,
    scene: Scene,
    practice: Practice,
) -> None:
    freed = await scene.book(at(1, 14), 60)
    tokens = []
    for n in range(6):
        prospect = await practice.client(None, f"Waiting {n}")
        token = await practice.token(prospect)
        variables = {"c": str(scene.coach.id), "s": scene.services[60], "f": iso(at(1, 0)),
                     "t": iso(at(2, 0))}  # fmt: skip
        joined = await post(server, JOIN, variables, token)
        assert not joined.get("errors"), joined
        tokens.append(token)

    cancelled = await post(server, CANCEL, {"id": freed["id"]}, scene.coach_token)
    assert not cancelled.get("errors"), cancelled
    for token in tokens:
        inbox = (await post(server, INBOX, {}, token))["data"]["notifications"]["edges"]
        assert [e["node"]["kind"] for e in inbox] == ["WAITLIST_SLOT_OPENED"]

    slot = {"s": scene.services[60], "t": iso(at(1, 14))}
    results = await asyncio.gather(*(post(server, BOOK_MINE, slot, t) for t in tokens))
    won = [i for i, r in enumerate(results) if not r.get("errors")]
    lost = [r["errors"][0]["extensions"]["code"] for r in results if r.get("errors")]
    assert len(won) == 1 and lost == ["CONFLICT"] * 5, results
    for i, token in enumerate(tokens):
        waiting: list[Any] = (await post(server, WAITLIST, {}, token))["data"]["waitlist"]
        assert len(waiting) == (0 if i == won[0] else 1)


async def test_the_waiting_client_is_told_live(
    app: Starlette, scene: Scene, resources: Resources
) -> None:
    freed = await scene.book(at(1, 14), 60)
    prospect = await scene.practice.client(None, "Live Liv")
    token = await scene.practice.token(prospect)
    variables = {"c": str(scene.coach.id), "s": scene.services[30], "f": iso(at(1, 0)),
                 "t": iso(at(2, 0))}  # fmt: skip
    await scene.gql.data(JOIN, variables, token)
    async with app_socket(app) as socket:
        await socket.init(token)
        await socket.subscribe("1", NOTIFICATIONS)
        await subscribed(resources, NOTIFICATIONS_CHANNEL)
        await scene.as_coach(CANCEL, id=freed["id"])
        got = (await socket.next_data())["notificationCreated"]
    assert got["kind"] == "WAITLIST_SLOT_OPENED"
    assert got["title"] == "A time opened with Coach Carter"
