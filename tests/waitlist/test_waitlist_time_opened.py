"""Time opened for the waitlist (SPEC.md "Sessions", Waitlist): removed time off (and added
extra hours) tells every waiting client whose range and service fit of the first free slot
inside both ranges (for extra hours: bookable only now), in their own zone, and no one else; a
freed time is offered only where the client could book it themselves (minimum notice, booking
window)."""

from __future__ import annotations

import asyncio
from typing import Any

from coach_graph import events
from coach_graph.db import Database
from coach_graph.errors import Conflict
from coach_graph.sessions.events import TimeOffRemoved
from tests.sessions.conftest import Scene, at, iso
from tests.sessions.test_availability_exceptions import LIST, REMOVE, add
from tests.sessions.test_booking_rules import set_rules
from tests.waitlist.conftest import CANCEL
from tests.waitlist.test_waitlist import joined, mailed_notices, slot_notices, waiter


async def test_removed_time_off_tells_the_fitting_entries_and_no_one_else(
    scene: Scene, db: Database
) -> None:
    # Wednesday 09:00-10:00 is off; a session 09:30-10:30 was booked before it. Removing it
    # frees 09:00-09:30: 15- and 30-minute sessions fit at 09:00, longer ones nowhere.
    await scene.book(at(2, 9, 30), 60)
    off = await add(scene, at(2, 9), at(2, 10), False, "Dentist")
    fit_a, token_a = await waiter(scene, "Ann")
    fit_b, token_b = await waiter(scene, "Ben", linked=False)
    too_long, token_long = await waiter(scene, "Lea")
    taken, token_taken = await waiter(scene, "Tia")
    elsewhere, token_else = await waiter(scene, "Ola")
    await joined(scene, token_a, 30, at(2, 0), at(3, 0))
    await joined(scene, token_b, 15, at(0, 0), at(5, 0))
    await joined(scene, token_long, 60, at(2, 0), at(3, 0))  # wrong service: does not fit
    await joined(scene, token_taken, 15, at(2, 9, 30), at(2, 12))  # its part is booked
    await joined(scene, token_else, 30, at(3, 0), at(4, 0))  # Thursday

    assert (await scene.as_coach(REMOVE, id=off["id"]))["removeAvailabilityException"] is True

    for user, token in ((fit_a, token_a), (fit_b, token_b)):
        (notice,) = await slot_notices(scene.gql, token)
        assert notice["title"] == "A time opened with Coach Carter"
        assert "Wednesday 04 March 2026, 09:00 (UTC)" in notice["body"], notice["body"]
        assert await mailed_notices(db, user.id) == 1
    for user, token in ((too_long, token_long), (taken, token_taken), (elsewhere, token_else)):
        assert await slot_notices(scene.gql, token) == []
        assert await mailed_notices(db, user.id) == 0


async def test_the_first_slot_inside_both_ranges_is_named_in_the_clients_zone(
    scene: Scene, db: Database
) -> None:
    # Wednesday off all day; the range begins 11:20, 11:00-12:30 is taken: the first slot of
    # 60 minutes in both ranges on the 15-minute grid is 12:30 (21:30 in Tokyo).
    await scene.book(at(2, 11), 60)
    await scene.book(at(2, 12), 30)
    off = await add(scene, at(2, 0), at(3, 0), False, "Holiday")
    tokyo = await scene.practice.client(None, "Tokyo Toshi", time_zone="Asia/Tokyo")
    token = await scene.practice.token(tokyo)
    entry = await joined(scene, token, 60, at(2, 11, 20), at(4, 0))
    await scene.as_coach(REMOVE, id=off["id"])
    (notice,) = await slot_notices(scene.gql, token)
    assert "Wednesday 04 March 2026, 21:30 (Asia/Tokyo)" in notice["body"], notice["body"]
    assert entry["from"] == iso(at(2, 11, 20))
    assert await mailed_notices(db, tokyo.id) == 1


async def test_a_client_waiting_with_several_fitting_entries_is_told_once(
    scene: Scene, db: Database
) -> None:
    off = await add(scene, at(2, 9), at(2, 17), False, None)
    waiting, token = await waiter(scene, "Ann")
    await joined(scene, token, 60, at(2, 0), at(3, 0))
    await joined(scene, token, 30, at(1, 0), at(4, 0))
    await scene.as_coach(REMOVE, id=off["id"])
    assert len(await slot_notices(scene.gql, token)) == 1
    assert await mailed_notices(db, waiting.id) == 1


async def test_removed_extra_hours_or_time_off_outside_open_hours_tell_no_one(
    scene: Scene, db: Database
) -> None:
    extra = await add(scene, at(5, 10), at(5, 14), True, "Weekend clinic")
    off = await add(scene, at(6, 9), at(6, 17), False, "Sunday")  # no hours on Sunday anyway
    waiting, token = await waiter(scene, "Ann")
    await joined(scene, token, 60, at(5, 0), at(7, 0))  # Saturday and Sunday
    await scene.as_coach(REMOVE, id=extra["id"])
    await scene.as_coach(REMOVE, id=off["id"])
    assert await slot_notices(scene.gql, token) == []
    assert await mailed_notices(db, waiting.id) == 0


async def test_extra_hours_tell_of_the_first_start_bookable_only_now(
    scene: Scene, db: Database
) -> None:
    saturday, token_sat = await waiter(scene, "Sam")
    tuesday, token_tue = await waiter(scene, "Tom")
    inside, token_inside = await waiter(scene, "Ida")
    await joined(scene, token_sat, 60, at(5, 0), at(6, 0))
    await joined(scene, token_tue, 30, at(1, 0), at(2, 0))
    await joined(scene, token_inside, 30, at(3, 0), at(4, 0))  # Thursday
    await add(scene, at(5, 10), at(5, 14), True, "Weekend clinic")
    # Tuesday 16:00-19:00 after weekly hours to 17:00: 16:45-17:15 is the first new time.
    await add(scene, at(1, 16), at(1, 19), True, None)
    await add(scene, at(3, 10), at(3, 12), True, None)  # inside Thursday's hours: nothing new
    (notice,) = await slot_notices(scene.gql, token_sat)
    assert "Saturday 07 March 2026, 10:00 (UTC)" in notice["body"], notice["body"]
    (notice,) = await slot_notices(scene.gql, token_tue)
    assert "Tuesday 03 March 2026, 16:45 (UTC)" in notice["body"], notice["body"]
    assert await slot_notices(scene.gql, token_inside) == []
    assert [await mailed_notices(db, u.id) for u in (saturday, tuesday, inside)] == [1, 1, 0]


async def test_a_freed_time_inside_the_minimum_notice_tells_no_one(scene: Scene) -> None:
    # Now is Monday 10:00; the notice is 2 hours. The coach's own 11:00 booking is cancelled:
    # a client could not book 11:00, so no one is told.
    soon = await scene.book(at(0, 11), 60)
    _, token = await waiter(scene, "Ann")
    await joined(scene, token, 60, at(0, 0), at(1, 0))
    await scene.as_coach(CANCEL, id=soon["id"])
    assert await slot_notices(scene.gql, token) == []
    # Time off from 10:30 removed: the first slot a client may book is 12:00.
    off = await add(scene, at(0, 10, 30), at(0, 14), False, None)
    await scene.as_coach(REMOVE, id=off["id"])
    (notice,) = await slot_notices(scene.gql, token)
    assert "Monday 02 March 2026, 12:00 (UTC)" in notice["body"], notice["body"]


async def test_a_freed_time_beyond_the_booking_window_tells_no_one(scene: Scene) -> None:
    far = await scene.book(at(3, 14), 60)  # Thursday
    await set_rules(scene, 2, 2, 0)  # clients book up to 2 days ahead
    _, token = await waiter(scene, "Ann")
    await joined(scene, token, 60, at(3, 0), at(4, 0))
    await scene.as_coach(CANCEL, id=far["id"])
    assert await slot_notices(scene.gql, token) == []


async def test_a_removal_rolled_back_tells_no_one(scene: Scene, db: Database) -> None:
    """The waitlist reacts inside the removing transaction: when a later reaction refuses the
    removal, the time off stays and the notices roll back with it."""
    off = await add(scene, at(2, 9), at(2, 12), False, None)
    waiting, token = await waiter(scene, "Ann")
    await joined(scene, token, 60, at(2, 0), at(3, 0))

    async def refuse(_session: Any, _event: TimeOffRemoved) -> None:
        raise Conflict("refused after the waitlist reacted")

    events.subscribe(TimeOffRemoved, refuse)
    try:
        error = await scene.gql.error(REMOVE, {"id": off["id"]}, scene.coach_token)
    finally:
        events._handlers[TimeOffRemoved].remove(refuse)
    assert error["extensions"]["code"] == "CONFLICT"
    listed = await scene.as_coach(LIST, f=iso(at(2, 0)), t=iso(at(3, 0)))
    assert [e["id"] for e in listed["availabilityExceptions"]] == [off["id"]]
    assert await slot_notices(scene.gql, token) == []
    assert await mailed_notices(db, waiting.id) == 0
    await scene.as_coach(REMOVE, id=off["id"])
    (notice,) = await slot_notices(scene.gql, token)
    assert "Wednesday 04 March 2026, 09:00 (UTC)" in notice["body"]


async def test_concurrent_removals_each_remove_once_and_tell_each_client_once(
    scene: Scene, db: Database
) -> None:
    wednesday = await add(scene, at(2, 9), at(2, 17), False, None)
    thursday = await add(scene, at(3, 9), at(3, 17), False, None)
    waiting = [await waiter(scene, name) for name in ("Wen", "Thu")]
    await joined(scene, waiting[0][1], 60, at(2, 0), at(3, 0))
    await joined(scene, waiting[1][1], 30, at(3, 0), at(4, 0))

    ids = [wednesday["id"], thursday["id"]] * 3
    results = await asyncio.gather(*(scene.gql(REMOVE, {"id": i}, scene.coach_token) for i in ids))
    for removed in (wednesday["id"], thursday["id"]):
        mine = [r for i, r in zip(ids, results, strict=True) if i == removed]
        won = [r for r in mine if not r.get("errors")]
        codes = [r["errors"][0]["extensions"]["code"] for r in mine if r.get("errors")]
        assert len(won) == 1 and codes == ["NOT_FOUND"] * 2, mine
    for (user, token), day in zip(waiting, ("Wednesday 04", "Thursday 05"), strict=True):
        (notice,) = await slot_notices(scene.gql, token)
        assert f"{day} March 2026, 09:00 (UTC)" in notice["body"], notice["body"]
        assert await mailed_notices(db, user.id) == 1
