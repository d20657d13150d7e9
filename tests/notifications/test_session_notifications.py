"""Every notification of SPEC.md lands in its recipient's inbox with the change that causes it:
the client of bookings, coach moves and cancellations, reminders (once each), answers to their
reschedule requests and review requests; the coach of client reschedule requests and moves."""

from __future__ import annotations

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.db import Database
from coach_graph.sessions.reminders import queue_reminders
from tests.sessions.conftest import Scene, at, iso
from tests.sessions.conftest import scene as scene

INBOX = """{ notifications(first: 50) {
  unreadCount edges { node { kind title body session { id } } }
} }"""
MOVE = """mutation($id: ID!, $t: DateTime!) {
  rescheduleSession(id: $id, startsAt: $t, reason: "Travel") { id }
}"""
CANCEL = 'mutation($id: ID!) { cancelSession(id: $id, reason: "Ill") { id } }'
REQUEST = """mutation($id: ID!, $t: DateTime!) {
  requestReschedule(sessionId: $id, startsAt: $t, reason: "Exam") { id }
}"""
ANSWER = """mutation($id: ID!) {
  respondToRescheduleRequest(id: $id, approve: false, reason: "Full week") { id }
}"""


def kinds(inbox: dict[str, object]) -> list[tuple[str, str | None]]:
    edges = inbox["notifications"]["edges"]  # type: ignore[index]
    return [(e["node"]["kind"], (e["node"]["session"] or {}).get("id")) for e in edges]


async def test_the_client_is_told_of_bookings_moves_and_cancellations_with_the_session(
    scene: Scene,
) -> None:
    booked = (await scene.book(at(4, 9)))["id"]
    await scene.as_coach(MOVE, id=booked, t=iso(at(4, 11)))
    await scene.as_coach(CANCEL, id=booked)
    inbox = await scene.as_client(INBOX)
    assert kinds(inbox) == [
        ("SESSION_CANCELLED", booked),
        ("SESSION_RESCHEDULED", booked),
        ("SESSION_BOOKED", booked),
    ]
    assert inbox["notifications"]["unreadCount"] == 3
    assert "Reason: Ill" in inbox["notifications"]["edges"][0]["node"]["body"]
    assert (await scene.as_coach(INBOX))["notifications"]["edges"] == []


async def test_the_coach_is_told_of_a_request_and_the_client_of_the_answer(scene: Scene) -> None:
    booked = (await scene.book(at(2, 9)))["id"]  # 47 hours ahead: a request, not a move
    request = await scene.as_client(REQUEST, id=booked, t=iso(at(2, 11)))
    assert kinds(await scene.as_coach(INBOX)) == [("RESCHEDULE_REQUESTED", booked)]
    await scene.as_coach(ANSWER, id=request["requestReschedule"]["id"])
    assert kinds(await scene.as_client(INBOX))[0] == ("RESCHEDULE_ANSWERED", booked)


async def test_a_client_moving_a_session_far_ahead_tells_the_coach(scene: Scene) -> None:
    booked = (await scene.book(at(4, 9)))["id"]
    await scene.as_client(REQUEST, id=booked, t=iso(at(4, 13)))
    assert kinds(await scene.as_coach(INBOX)) == [("SESSION_RESCHEDULED", booked)]


async def test_reminders_reach_the_inbox_once_each(
    scene: Scene, db: Database, manual_clock: clock.ManualClock
) -> None:
    booked = (await scene.book(at(3, 9)))["id"]
    manual_clock.set(at(2, 9))
    assert await queue_reminders(db) == 1
    assert await queue_reminders(db) == 0
    manual_clock.set(at(3, 8))
    assert await queue_reminders(db) == 1
    inbox = await scene.as_client(INBOX)
    reminders = [k for k in kinds(inbox) if k[0] == "SESSION_REMINDER"]
    assert reminders == [("SESSION_REMINDER", booked)] * 2
    bodies = [e["node"]["body"] for e in inbox["notifications"]["edges"]][:2]
    assert bodies[0].endswith("starts in 1 hour.") and bodies[1].endswith("starts in 24 hours.")


async def test_times_are_told_in_the_recipients_time_zone(scene: Scene, db: Database) -> None:
    async with db.transaction() as session:
        for person, zone in ((scene.client, "America/New_York"), (scene.coach, "Europe/Berlin")):
            row = await session.get(User, person.id)
            assert row is not None
            row.time_zone = zone
    booked = (await scene.book(at(2, 9)))["id"]  # Wednesday 09:00 UTC, 47 hours ahead
    await scene.as_client(REQUEST, id=booked, t=iso(at(2, 11)))
    told_client = (await scene.as_client(INBOX))["notifications"]["edges"][0]["node"]
    assert told_client["body"] == (
        "The session of Wednesday 04 March 2026, 04:00 (America/New_York) is booked."
    )
    told_coach = (await scene.as_coach(INBOX))["notifications"]["edges"][0]["node"]
    assert told_coach["body"] == (
        "Your client asks to move the session of Wednesday 04 March 2026, 10:00 (Europe/Berlin). "
        "Reason: Exam"
    )
    assert "UTC" not in told_client["body"] + told_coach["body"]
