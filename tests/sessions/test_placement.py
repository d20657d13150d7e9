from __future__ import annotations

from datetime import timedelta

from coach_graph.db import Database
from tests.sessions.conftest import Scene, at, count_rows, iso

SLOTS = """query($s: ID!, $f: DateTime!, $t: DateTime!) {
  availableSlots(serviceId: $s, from: $f, to: $t)
}"""


async def test_booking_a_free_time_inside_the_hours_creates_a_confirmed_session(
    scene: Scene,
) -> None:
    booked = await scene.book(at(1, 9), 60, pn="prep", cn="Zoom link")
    assert booked["status"] == "CONFIRMED"
    assert booked["startsAt"] == "2026-03-03T09:00:00Z"
    assert booked["endsAt"] == "2026-03-03T10:00:00Z"
    assert booked["durationMinutes"] == 60
    assert (booked["privateNotes"], booked["customerNotes"]) == ("prep", "Zoom link")


async def test_an_overlapping_booking_is_a_conflict_and_writes_nothing(
    scene: Scene, db: Database
) -> None:
    await scene.book(at(1, 9), 60)
    error = await scene.book_error(at(1, 9, 30), 30)
    assert error["extensions"]["code"] == "CONFLICT"
    assert "overlaps" in error["message"]
    assert await count_rows(db, "coaching_session") == 1


async def test_a_cancelled_session_frees_its_time(scene: Scene) -> None:
    first = await scene.book(at(1, 9), 60)
    await scene.as_coach("mutation($id: ID!) { cancelSession(id: $id) { status } }", id=first["id"])
    assert (await scene.book(at(1, 9), 60))["status"] == "CONFIRMED"


async def test_bookings_outside_the_hours_or_in_the_past_are_refused(
    scene: Scene, db: Database
) -> None:
    evening = await scene.book_error(at(1, 16, 30), 60)  # ends 17:30, after 17:00
    assert evening["extensions"]["code"] == "BAD_USER_INPUT"
    assert "availability" in evening["message"]
    saturday = await scene.book_error(at(5, 10), 60)
    assert saturday["extensions"]["code"] == "BAD_USER_INPUT"
    past = await scene.book_error(at(0, 9), 30)  # today 09:00, the clock says 10:00
    assert past["extensions"]["code"] == "BAD_USER_INPUT"
    assert "future" in past["message"]
    assert await count_rows(db, "coaching_session") == 0


async def test_a_start_without_an_offset_is_refused(scene: Scene) -> None:
    error = await scene.gql.error(
        """mutation($c: ID!, $s: ID!) {
             bookSession(clientId: $c, serviceId: $s, startsAt: "2026-03-03T09:00:00") { id } }""",
        {"c": str(scene.client.id), "s": scene.services[60]},
        scene.coach_token,
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "offset" in error["message"]


async def test_unknown_service_calendar_or_foreign_client_is_not_found(scene: Scene) -> None:
    other_coach = await scene.practice.coach()
    stranger = await scene.practice.client(other_coach)
    cases = [
        {"s": "999999"},
        {"cal": "999999"},
        {"c": str(stranger.id)},
        {"c": "not-an-id"},
    ]
    for extra in cases:
        error = await scene.book_error(at(1, 9), 60, **extra)
        assert error["extensions"]["code"] == "NOT_FOUND", extra


async def test_an_archived_service_takes_no_bookings(scene: Scene) -> None:
    await scene.as_coach(
        "mutation($id: ID!) { archiveService(id: $id) { id } }", id=scene.services[30]
    )
    error = await scene.book_error(at(1, 9), 30)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "archived" in error["message"]


async def test_available_slots_skip_booked_times_and_the_past(scene: Scene) -> None:
    await scene.book(at(1, 10), 60)
    data = await scene.as_coach(SLOTS, s=scene.services[60], f=iso(at(0, 0)), t=iso(at(2, 0)))
    slots = data["availableSlots"]
    # Monday: after now (10:00, which a booking refuses as not in the future) to 16:00;
    # Tuesday: 09:00-16:00 minus 09:15..10:45 (overlap 10-11).
    assert slots[0] == "2026-03-02T10:15:00Z"
    assert "2026-03-02T16:00:00Z" in slots and "2026-03-02T16:15:00Z" not in slots
    tuesday = [s for s in slots if s.startswith("2026-03-03")]
    assert "2026-03-03T09:00:00Z" in tuesday
    assert not any(f"2026-03-03T{h}" in s for s in tuesday for h in ("09:15", "10:00", "10:45"))
    assert "2026-03-03T11:00:00Z" in tuesday


async def test_slots_and_bookings_follow_the_coach_time_zone_across_daylight_saving(
    scene: Scene,
) -> None:
    coach = await scene.practice.coach(time_zone="Europe/Paris")
    client = await scene.practice.client(coach)
    token = await scene.practice.token(coach)
    services = await scene.gql.data("{ services { id durationMinutes } }", token=token)
    service = next(s["id"] for s in services["services"] if s["durationMinutes"] == 60)
    # Paris moves from UTC+1 to UTC+2 on Sunday 2026-03-29.
    friday = await scene.gql.data(
        SLOTS, {"s": service, "f": "2026-03-27T00:00:00Z", "t": "2026-03-28T00:00:00Z"}, token
    )
    monday = await scene.gql.data(
        SLOTS, {"s": service, "f": "2026-03-30T00:00:00Z", "t": "2026-03-31T00:00:00Z"}, token
    )
    assert friday["availableSlots"][0] == "2026-03-27T08:00:00Z"  # 09:00 CET
    assert monday["availableSlots"][0] == "2026-03-30T07:00:00Z"  # 09:00 CEST
    assert monday["availableSlots"][-1] == "2026-03-30T14:00:00Z"  # 16:00 CEST
    booked = await scene.gql.data(
        """mutation($c: ID!, $s: ID!) { bookSession(clientId: $c, serviceId: $s,
             startsAt: "2026-03-30T09:00:00+02:00") { startsAt } }""",
        {"c": str(client.id), "s": service},
        token,
    )
    assert booked["bookSession"]["startsAt"] == "2026-03-30T07:00:00Z"
    early = await scene.gql.error(
        """mutation($c: ID!, $s: ID!) { bookSession(clientId: $c, serviceId: $s,
             startsAt: "2026-03-30T08:00:00+01:00") { startsAt } }""",  # 07:00 UTC taken
        {"c": str(client.id), "s": service},
        token,
    )
    assert early["extensions"]["code"] == "CONFLICT"


async def test_book_follow_up_uses_the_same_client_and_service(scene: Scene) -> None:
    first = await scene.book(at(1, 9), 45)
    data = await scene.as_coach(
        """mutation($id: ID!, $t: DateTime!) { bookFollowUp(sessionId: $id, startsAt: $t) {
             startsAt durationMinutes service { id } client { id } } }""",
        id=first["id"],
        t=iso(at(8, 9) + timedelta(minutes=0)),
    )
    follow = data["bookFollowUp"]
    assert follow["durationMinutes"] == 45
    assert follow["service"]["id"] == scene.services[45]
    assert follow["client"]["id"] == str(scene.client.id)
