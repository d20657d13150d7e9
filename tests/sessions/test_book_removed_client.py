"""Booking with a client the coach removes at the same moment: the booking's access check is
inside its write, so either the booking comes first (and the removal then cancels the session
like any other) or the removal does (and the booking is NOT_FOUND); never a live session with a
removed client, never an internal error."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.clients.models import CoachClient
from coach_graph.db import Database
from coach_graph.sessions.models import CoachingSession, SessionStatus
from tests.sessions.conftest import BOOK, Scene, at, iso

DELETE = "mutation($id: ID!) { deleteClient(id: $id) }"
ROUNDS = 12


async def _live_sessions_of(db: Database, coach_id: int, client_id: int) -> int:
    async with db.session() as session:
        count = await session.scalar(
            sa.select(sa.func.count()).where(
                col(CoachingSession.coach_id) == coach_id,
                col(CoachingSession.client_id) == client_id,
                col(CoachingSession.status).in_(
                    [SessionStatus.PENDING.value, SessionStatus.CONFIRMED.value]
                ),
            )
        )
    return int(count or 0)


async def test_a_booking_racing_the_client_s_removal_is_not_found_or_cancelled(
    scene: Scene, db: Database
) -> None:
    outcomes: set[str] = set()
    for n in range(ROUNDS):
        client = await scene.practice.client(scene.coach, f"Racer {n}")
        book: dict[str, Any] = {
            "c": str(client.id),
            "s": scene.services[60],
            "t": iso(at(7 + (n // 5) * 7 + n % 5, 10)),  # weekdays, inside the hours
        }
        booked, removed = await asyncio.gather(
            scene.gql(BOOK, book, scene.coach_token),
            scene.gql(DELETE, {"id": str(client.id)}, scene.coach_token),
        )
        assert not removed.get("errors"), removed
        assert removed["data"]["deleteClient"] is True
        if booked.get("errors"):
            codes = [e["extensions"]["code"] for e in booked["errors"]]
            assert codes == ["NOT_FOUND"], booked
            outcomes.add("not found")
        else:
            assert booked["data"]["bookSession"]["status"] == "CONFIRMED"
            outcomes.add("booked, then cancelled")
        assert client.id is not None and scene.coach.id is not None
        assert await _live_sessions_of(db, scene.coach.id, client.id) == 0
        async with db.session() as session:
            link = await session.scalar(
                sa.select(CoachClient).where(col(CoachClient.client_id) == client.id)
            )
        assert link is None
    assert outcomes  # each round ended one of the two ways


async def test_booking_a_removed_client_is_not_found_and_writes_nothing(
    scene: Scene, db: Database
) -> None:
    client = await scene.practice.client(scene.coach, "Gone")
    await scene.gql.data(DELETE, {"id": str(client.id)}, scene.coach_token)
    book = {"c": str(client.id), "s": scene.services[60], "t": iso(at(7, 10))}
    error = await scene.gql.error(BOOK, book, scene.coach_token)
    assert error["extensions"]["code"] == "NOT_FOUND"
    async with db.session() as session:
        count = await session.scalar(
            sa.select(sa.func.count()).where(col(CoachingSession.client_id) == client.id)
        )
    assert count == 0
