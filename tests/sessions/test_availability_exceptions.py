"""Availability exceptions (SPEC.md "Sessions"): time off takes no booking or move of any kind
and leaves `availableSlots`; extra hours are bookable like weekly hours; sessions already inside
new time off stay and are listed as its conflicts; bad input and other people's exceptions are
refused, writing nothing; a booking racing new time off is either refused or listed."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from coach_graph.db import Database
from tests.sessions.conftest import Scene, at, count_rows, iso

ADD = """mutation($s: DateTime!, $e: DateTime!, $a: Boolean!, $n: String) {
  addAvailabilityException(input: {startsAt: $s, endsAt: $e, available: $a, note: $n}) {
    id startsAt endsAt available note conflicts { id startsAt status }
  }
}"""
LIST = """query($f: DateTime!, $t: DateTime!) {
  availabilityExceptions(from: $f, to: $t) { id available note conflicts { id } }
}"""
REMOVE = "mutation($id: ID!) { removeAvailabilityException(id: $id) }"
SLOTS = """query($s: ID!, $f: DateTime!, $t: DateTime!) {
  availableSlots(serviceId: $s, from: $f, to: $t)
}"""
MOVE = """mutation($id: ID!, $t: DateTime!) {
  rescheduleSession(id: $id, startsAt: $t) { startsAt }
}"""
FOLLOW_UP = """mutation($id: ID!, $t: DateTime!) {
  bookFollowUp(sessionId: $id, startsAt: $t) { id }
}"""
BOOK_MINE = (
    """mutation($s: ID!, $t: DateTime!) { bookMySession(serviceId: $s, startsAt: $t) { id } }"""
)
REQUEST = """mutation($id: ID!, $t: DateTime!) {
  requestReschedule(sessionId: $id, startsAt: $t) { id status }
}"""
RESPOND = """mutation($id: ID!) {
  respondToRescheduleRequest(id: $id, approve: true) { status }
}"""


async def add(
    scene: Scene, start: datetime, end: datetime, available: bool, note: str | None = None
) -> dict[str, Any]:
    variables = {"s": iso(start), "e": iso(end), "a": available, "n": note}
    data = await scene.as_coach(ADD, **variables)
    result: dict[str, Any] = data["addAvailabilityException"]
    return result


async def slots(
    scene: Scene, start: datetime, end: datetime, token: str | None = None, minutes: int = 60
) -> list[str]:
    variables = {"s": scene.services[minutes], "f": iso(start), "t": iso(end)}
    data = await scene.gql.data(SLOTS, variables, token or scene.coach_token)
    result: list[str] = data["availableSlots"]
    return result


async def test_time_off_refuses_every_kind_of_booking_and_move_and_leaves_the_slots(
    scene: Scene, db: Database
) -> None:
    booked = await scene.book(at(1, 14), 60)  # Tuesday 14:00, outside the time off
    await add(scene, at(2, 9), at(2, 12), False, "Dentist")  # Wednesday morning off
    refusals = [
        await scene.book_error(at(2, 10), 60),
        await scene.gql.error(
            MOVE, {"id": booked["id"], "t": iso(at(2, 11, 30))}, scene.coach_token
        ),
        await scene.gql.error(
            FOLLOW_UP, {"id": booked["id"], "t": iso(at(2, 9))}, scene.coach_token
        ),
        await scene.gql.error(
            BOOK_MINE, {"s": scene.services[30], "t": iso(at(2, 11))}, scene.client_token
        ),
    ]
    for error in refusals:
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert "time off" in error["message"] and "Dentist" in error["message"]
    assert await count_rows(db, "coaching_session") == 1
    wednesday = await slots(scene, at(2, 0), at(3, 0))
    assert wednesday[0] == "2026-03-04T12:00:00Z"
    assert not any(s < "2026-03-04T12:00:00Z" for s in wednesday)


async def test_a_client_request_into_time_off_is_refused_and_so_is_approving_one(
    scene: Scene, db: Database
) -> None:
    far = await scene.book(at(4, 9), 60)  # Friday, 95 hours ahead: a request would apply at once
    near = await scene.book(at(2, 9), 60)  # Wednesday, 47 hours ahead: the coach decides
    request = await scene.as_client(REQUEST, id=near["id"], t=iso(at(2, 14)))
    assert request["requestReschedule"]["status"] == "PENDING"
    await add(scene, at(7, 0), at(8, 0), False)  # next Monday off
    error = await scene.gql.error(
        REQUEST, {"id": far["id"], "t": iso(at(7, 9))}, scene.client_token
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "time off" in error["message"]
    await add(scene, at(2, 13), at(2, 17), False)  # then the afternoon of the proposal
    refused = await scene.gql.error(
        RESPOND, {"id": request["requestReschedule"]["id"]}, scene.coach_token
    )
    assert refused["extensions"]["code"] == "BAD_USER_INPUT"
    session = await scene.as_coach(
        "query($id: ID!) { session(id: $id) { startsAt } }", id=near["id"]
    )
    assert session["session"]["startsAt"] == "2026-03-04T09:00:00Z"


async def test_extra_hours_are_bookable_like_weekly_hours_and_join_them(scene: Scene) -> None:
    saturday = (at(5, 10), at(5, 14))
    assert await slots(scene, at(5, 0), at(6, 0)) == []
    await add(scene, *saturday, True, "Saturday clinic")
    listed = await slots(scene, at(5, 0), at(6, 0))
    assert listed[0] == "2026-03-07T10:00:00Z" and listed[-1] == "2026-03-07T13:00:00Z"
    assert (await scene.book(at(5, 10), 60))["status"] == "CONFIRMED"
    # Tuesday 17:00-19:00 extends the weekly 09:00-17:00: a session from 16:30 fits across.
    assert (await scene.book_error(at(1, 16, 30), 60))["extensions"]["code"] == "BAD_USER_INPUT"
    await add(scene, at(1, 17), at(1, 19), True)
    assert (await scene.book(at(1, 16, 30), 60))["startsAt"] == "2026-03-03T16:30:00Z"
    assert "2026-03-03T18:00:00Z" in await slots(scene, at(1, 0), at(2, 0))
    # Time off wins over extra hours it overlaps.
    await add(scene, at(5, 12), at(5, 14), False)
    assert (await scene.book_error(at(5, 12), 60))["extensions"]["code"] == "BAD_USER_INPUT"


async def test_sessions_inside_new_time_off_stay_and_are_listed_as_conflicts(
    scene: Scene,
) -> None:
    inside = await scene.book(at(3, 10), 60)  # Thursday
    edge = await scene.book(at(3, 16, 30), 30)  # Thursday, ends 17:00
    cancelled = await scene.book(at(3, 12), 60)
    await scene.as_coach("mutation($id: ID!) { cancelSession(id: $id) { id } }", id=cancelled["id"])
    outside = await scene.book(at(4, 10), 60)  # Friday
    block = await add(scene, at(3, 0), at(4, 0), False, "Holiday")
    assert [c["id"] for c in block["conflicts"]] == [inside["id"], edge["id"]]
    assert all(c["status"] == "CONFIRMED" for c in block["conflicts"])
    assert block["conflicts"][0]["startsAt"] == "2026-03-05T10:00:00Z"  # not moved
    extra = await add(scene, at(5, 9), at(5, 12), True)
    assert extra["conflicts"] == []
    listed = (await scene.as_coach(LIST, f=iso(at(0, 0)), t=iso(at(7, 0))))[
        "availabilityExceptions"
    ]
    assert [(e["id"], e["available"], e["note"]) for e in listed] == [
        (block["id"], False, "Holiday"),
        (extra["id"], True, None),
    ]
    assert [c["id"] for c in listed[0]["conflicts"]] == [inside["id"], edge["id"]]
    assert outside["id"] not in [c["id"] for c in listed[0]["conflicts"]]
    # Moving a conflicting session out of the time off clears it from the list.
    await scene.as_coach(MOVE, id=inside["id"], t=iso(at(4, 14)))
    listed = (await scene.as_coach(LIST, f=iso(at(0, 0)), t=iso(at(7, 0))))[
        "availabilityExceptions"
    ]
    assert [c["id"] for c in listed[0]["conflicts"]] == [edge["id"]]


async def test_removing_time_off_frees_it_and_only_the_owner_sees_or_removes_it(
    scene: Scene, db: Database
) -> None:
    block = await add(scene, at(1, 9), at(1, 17), False)
    other = await scene.practice.coach()
    other_token = await scene.practice.token(other)
    for token in (other_token, scene.client_token, None):
        error = await scene.gql.error(REMOVE, {"id": block["id"]}, token)
        assert error["extensions"]["code"] in ("NOT_FOUND", "FORBIDDEN", "UNAUTHENTICATED")
    theirs = await scene.gql.data(LIST, {"f": iso(at(0, 0)), "t": iso(at(7, 0))}, other_token)
    assert theirs["availabilityExceptions"] == []
    for token in (scene.client_token, None):
        error = await scene.gql.error(LIST, {"f": iso(at(0, 0)), "t": iso(at(7, 0))}, token)
        assert error["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")
    assert (await scene.as_coach(REMOVE, id=block["id"]))["removeAvailabilityException"] is True
    assert (await scene.book(at(1, 10), 60))["status"] == "CONFIRMED"
    error = await scene.gql.error(REMOVE, {"id": block["id"]}, scene.coach_token)
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert await count_rows(db, "availability_exception") == 0


async def test_bad_exceptions_are_refused_and_write_nothing(scene: Scene, db: Database) -> None:
    cases = [
        (at(1, 12), at(1, 9), None),  # ends before it starts
        (at(1, 9), at(1, 9), None),  # empty
        (at(1, 9), at(400, 9), None),  # over 366 days
        (at(-3, 9), at(-2, 9), None),  # over already
        (at(1, 9), at(1, 12), "x" * 1001),  # note too long
        (at(1, 9), at(1, 12), "bad\x00note"),  # a control character
    ]
    for start, end, note in cases:
        error = await scene.gql.error(
            ADD, {"s": iso(start), "e": iso(end), "a": False, "n": note}, scene.coach_token
        )
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (start, end, error)
    no_offset = await scene.gql.error(
        """mutation { addAvailabilityException(input: {startsAt: "2026-03-03T09:00:00",
             endsAt: "2026-03-03T12:00:00Z", available: false}) { id } }""",
        None,
        scene.coach_token,
    )
    assert no_offset["extensions"]["code"] == "BAD_USER_INPUT"
    client = await scene.gql.error(
        ADD, {"s": iso(at(1, 9)), "e": iso(at(1, 12)), "a": False}, scene.client_token
    )
    assert client["extensions"]["code"] == "FORBIDDEN"
    too_long = await scene.gql.error(
        LIST, {"f": iso(at(0, 0)), "t": iso(at(400, 0))}, scene.coach_token
    )
    assert too_long["extensions"]["code"] == "BAD_USER_INPUT"
    assert await count_rows(db, "availability_exception") == 0


async def test_a_booking_racing_new_time_off_is_refused_or_listed_never_lost(
    scene: Scene, db: Database
) -> None:
    """Each round a client's booking and the coach's time off over it are sent together: the
    schedule's turn decides, and either the booking is refused or it is a listed conflict."""
    listed = 0
    for day in range(1, 4):  # three: a client holds at most three bookings awaiting the coach
        start = at(day, 9)
        booking, block = await asyncio.gather(
            scene.gql(BOOK_MINE, {"s": scene.services[30], "t": iso(start)}, scene.client_token),
            scene.gql(
                ADD, {"s": iso(at(day, 8)), "e": iso(at(day, 12)), "a": False}, scene.coach_token
            ),
        )
        assert not block.get("errors"), block
        conflicts = [c["id"] for c in block["data"]["addAvailabilityException"]["conflicts"]]
        if booking.get("errors"):
            assert booking["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
            assert "time off" in booking["errors"][0]["message"]
            assert conflicts == []
        else:
            assert conflicts == [booking["data"]["bookMySession"]["id"]]
            listed += 1
    assert await count_rows(db, "coaching_session") == listed
