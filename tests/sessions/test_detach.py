"""Deleting a client (SPEC "Clients and consent"): upcoming PENDING and CONFIRMED sessions are
cancelled ("Client deleted") and their reminders never sent; past sessions keep their notes and
show "Deleted Client" with no profile."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.db import Database
from coach_graph.outbox.models import OutboxMessage
from coach_graph.sessions.reminders import REMINDER_KINDS, queue_reminders
from tests.sessions.conftest import Scene, at

DELETE = "mutation($id: ID!) { deleteClient(id: $id) }"
QUERY = """query($id: ID!) { session(id: $id) {
  clientName clientEmail client { id } privateNotes customerNotes status cancellationReason
  pendingRescheduleRequest { id } } }"""
SET_STATUS = """mutation($id: ID!, $s: SessionStatus!) {
  updateSessionStatus(id: $id, status: $s) { status } }"""


async def _unsent_reminders(db: Database) -> int:
    async with db.session() as session:
        count = await session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(
                col(OutboxMessage.kind).in_(REMINDER_KINDS), col(OutboxMessage.sent_at).is_(None)
            )
        )
        return int(count or 0)


async def test_deleting_a_client_cancels_upcoming_sessions_and_keeps_past_ones_with_notes(
    scene: Scene, db: Database, manual_clock: clock.ManualClock
) -> None:
    past = (await scene.book(at(1, 10), 60, pn="progress notes", cn="homework"))["id"]
    upcoming = (await scene.book(at(3, 9), 60, pn="plan"))["id"]
    pending = (
        await scene.as_coach(
            """mutation($c: ID!, $s: ID!) { bookSession(clientId: $c, serviceId: $s,
                 startsAt: "2026-03-05T11:00:00Z", status: PENDING) { id status } }""",
            c=str(scene.client.id),
            s=scene.services[30],
        )
    )["bookSession"]["id"]
    manual_clock.set(at(1, 11))
    await scene.as_coach(SET_STATUS, id=past, s="COMPLETED")
    asked = await scene.as_client(
        """mutation($id: ID!) { requestReschedule(sessionId: $id,
             startsAt: "2026-03-09T10:00:00Z") { status } }""",
        id=upcoming,
    )
    assert asked == {"requestReschedule": {"status": "PENDING"}}
    manual_clock.set(at(2, 9, 30))  # the 24-hour reminder of `upcoming` is due
    assert await queue_reminders(db) >= 1
    assert await _unsent_reminders(db) >= 1

    assert await scene.as_coach(DELETE, id=str(scene.client.id)) == {"deleteClient": True}

    assert (await scene.as_coach(QUERY, id=past))["session"] == {
        "clientName": "Deleted Client",
        "clientEmail": None,
        "client": None,
        "privateNotes": "progress notes",
        "customerNotes": "homework",
        "status": "COMPLETED",
        "cancellationReason": None,
        "pendingRescheduleRequest": None,
    }
    for sid in (upcoming, pending):
        data = (await scene.as_coach(QUERY, id=sid))["session"]
        assert (data["status"], data["cancellationReason"]) == ("CANCELLED", "Client deleted")
        assert data["clientName"] == "Deleted Client" and data["pendingRescheduleRequest"] is None
    # Their reminders are never sent: the queued one is gone and none is queued later.
    assert await _unsent_reminders(db) == 0
    manual_clock.set(at(3, 8, 5))
    assert await queue_reminders(db) == 0
    assert await _unsent_reminders(db) == 0
    # The client no longer sees them; the coach's history keeps all three.
    assert (await scene.as_client(QUERY, id=past)) == {"session": None}
    history = await scene.as_coach("{ sessions { totalCount edges { node { clientName } } } }")
    assert history["sessions"]["totalCount"] == 3
    # The cancelled slot is free again for another client.
    other = await scene.practice.client(scene.coach)
    booked = await scene.gql.data(
        """mutation($c: ID!, $s: ID!) { bookSession(clientId: $c, serviceId: $s,
             startsAt: "2026-03-05T09:00:00Z") { status } }""",
        {"c": str(other.id), "s": scene.services[60]},
        scene.coach_token,
    )
    assert booked == {"bookSession": {"status": "CONFIRMED"}}
    follow = await scene.gql.error(
        "mutation($id: ID!) { bookFollowUp(sessionId: $id, startsAt: "
        '"2026-03-10T09:00:00Z") { id } }',
        {"id": past},
        scene.coach_token,
    )
    assert follow["extensions"]["code"] == "CONFLICT"
