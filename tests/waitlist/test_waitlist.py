"""The waitlist (SPEC.md "Sessions", Waitlist): joining, leaving, listing, who is told when a
time opens, and how entries end."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from coach_graph import clock, events
from coach_graph.accounts.models import User
from coach_graph.clients.models import ConsentStatus
from coach_graph.db import Database
from coach_graph.errors import Conflict
from coach_graph.outbox.models import OutboxMessage
from coach_graph.sessions.events import SessionCancelled
from coach_graph.waitlist.models import WaitlistEntry
from tests.conftest import GraphQLClient, Practice, count_statements
from tests.sessions.conftest import Scene, at, count_rows, iso
from tests.waitlist.conftest import (
    CANCEL,
    JOIN,
    LEAVE,
    NOTIFICATIONS,
    RESCHEDULE,
    WAITLIST,
)

DELETE_CLIENT = "mutation($id: ID!) { deleteClient(id: $id) }"
BOOK_MINE = "mutation($s: ID!, $t: DateTime!) { bookMySession(serviceId: $s, startsAt: $t) { id } }"


async def waiter(scene: Scene, name: str, linked: bool = True) -> tuple[User, str]:
    """A client of the scene's coach (or, `linked=False`, a prospect who only signed up)."""
    coach = scene.coach if linked else None
    client = await scene.practice.client(coach, name, ConsentStatus.PENDING)
    return client, await scene.practice.token(client)


async def join(scene: Scene, token: str, minutes: int, start: Any, end: Any) -> dict[str, Any]:
    variables = {"c": str(scene.coach.id), "s": scene.services[minutes], "f": iso(start),
                 "t": iso(end)}  # fmt: skip
    return await scene.gql(JOIN, variables, token)


async def joined(scene: Scene, token: str, minutes: int, start: Any, end: Any) -> dict[str, Any]:
    body = await join(scene, token, minutes, start, end)
    assert not body.get("errors"), body
    entry: dict[str, Any] = body["data"]["joinWaitlist"]
    return entry


async def slot_notices(gql: GraphQLClient, token: str) -> list[dict[str, Any]]:
    data = await gql.data(NOTIFICATIONS, token=token)
    return [
        e["node"]
        for e in data["notifications"]["edges"]
        if e["node"]["kind"] == "WAITLIST_SLOT_OPENED"
    ]


async def mailed_notices(db: Database, recipient_id: int | None) -> int:
    async with db.session() as session:
        count = await session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.recipient_id == recipient_id,  # type: ignore[arg-type]
                OutboxMessage.kind == "WAITLIST_SLOT_OPENED",  # type: ignore[arg-type]
            )
        )
    return int(count or 0)


async def test_a_client_joins_and_both_sides_list_the_entry(scene: Scene) -> None:
    entry = await joined(scene, scene.client_token, 60, at(1, 0), at(3, 0))
    assert entry["clientName"] == "Client Cleo"
    assert entry["coach"] == {"id": str(scene.coach.id), "name": "Coach Carter"}
    assert entry["service"]["durationMinutes"] == 60
    assert entry["from"] == iso(at(1, 0)) and entry["to"] == iso(at(3, 0))
    mine = (await scene.as_client(WAITLIST))["waitlist"]
    theirs = (await scene.as_coach(WAITLIST))["waitlist"]
    assert [e["id"] for e in mine] == [entry["id"]] == [e["id"] for e in theirs]


async def test_a_signed_up_prospect_joins_and_others_do_not_see_it(scene: Scene) -> None:
    _, prospect = await waiter(scene, "Pia Prospect", linked=False)
    entry = await joined(scene, prospect, 30, at(1, 0), at(2, 0))
    assert entry["clientName"] == "Pia Prospect"
    assert (await scene.as_client(WAITLIST))["waitlist"] == []
    other_coach = await scene.practice.coach("Other Coach")
    other = await scene.gql.data(WAITLIST, token=await scene.practice.token(other_coach))
    assert other["waitlist"] == []
    assert [e["id"] for e in (await scene.as_coach(WAITLIST))["waitlist"]] == [entry["id"]]


async def test_bad_input_is_refused_with_its_code_and_writes_nothing(
    scene: Scene, db: Database
) -> None:
    other_coach = await scene.practice.coach("Other Coach")
    other_services = await scene.gql.data(
        "{ services { id } }", token=await scene.practice.token(other_coach)
    )
    archived = (
        await scene.as_coach(
            "mutation($id: ID!) { archiveService(id: $id) { id } }", id=scene.services[45]
        )
    )["archiveService"]["id"]
    ok = {"c": str(scene.coach.id), "s": scene.services[60], "f": iso(at(1, 0)), "t": iso(at(2, 0))}
    cases = [
        ({"t": iso(at(1, 0))}, scene.client_token, "BAD_USER_INPUT"),  # to == from
        ({"t": iso(at(15, 1))}, scene.client_token, "BAD_USER_INPUT"),  # over 14 days
        ({"f": iso(at(-3, 0)), "t": iso(at(-1, 0))}, scene.client_token, "BAD_USER_INPUT"),
        ({"c": "999999"}, scene.client_token, "NOT_FOUND"),
        ({"c": str(scene.client.id)}, scene.client_token, "NOT_FOUND"),  # not a coach
        ({"s": other_services["services"][0]["id"]}, scene.client_token, "NOT_FOUND"),
        ({"s": archived}, scene.client_token, "BAD_USER_INPUT"),
        ({"s": "abc"}, scene.client_token, "NOT_FOUND"),  # malformed: like unknown
        ({}, scene.coach_token, "FORBIDDEN"),
        ({}, None, "UNAUTHENTICATED"),
    ]
    for change, token, code in cases:
        error = await scene.gql.error(JOIN, {**ok, **change}, token)
        assert error["extensions"]["code"] == code, (change, error)
        assert error["message"]
    assert await count_rows(db, "waitlist_entry") == 0


async def test_a_fourteen_day_range_is_accepted_and_one_that_began_earlier_today_too(
    scene: Scene,
) -> None:
    await joined(scene, scene.client_token, 60, at(0, 0), at(14, 0))  # from: midnight, passed


async def test_one_entry_per_coach_service_and_overlapping_range(
    scene: Scene, db: Database
) -> None:
    await joined(scene, scene.client_token, 60, at(1, 0), at(3, 0))
    error = await scene.gql.error(
        JOIN,
        {"c": str(scene.coach.id), "s": scene.services[60], "f": iso(at(2, 0)),
         "t": iso(at(4, 0))},
        scene.client_token,
    )  # fmt: skip
    assert error["extensions"]["code"] == "CONFLICT"
    await joined(scene, scene.client_token, 60, at(3, 0), at(5, 0))  # touching, not overlapping
    await joined(scene, scene.client_token, 30, at(2, 0), at(4, 0))  # another service
    assert await count_rows(db, "waitlist_entry") == 3


async def test_concurrent_overlapping_joins_of_one_client_make_one_entry(
    scene: Scene, db: Database
) -> None:
    ranges = [(at(1, h), at(2, h)) for h in range(8)]
    results = await asyncio.gather(*(join(scene, scene.client_token, 60, f, t) for f, t in ranges))
    won = [r for r in results if not r.get("errors")]
    codes = {r["errors"][0]["extensions"]["code"] for r in results if r.get("errors")}
    assert len(won) == 1 and codes == {"CONFLICT"}, results
    assert await count_rows(db, "waitlist_entry") == 1


async def test_a_client_leaves_their_entry_and_no_one_else_can_end_it(scene: Scene) -> None:
    entry = await joined(scene, scene.client_token, 60, at(1, 0), at(3, 0))
    _, stranger = await waiter(scene, "Sam Stranger")
    error = await scene.gql.error(LEAVE, {"id": entry["id"]}, stranger)
    assert error["extensions"]["code"] == "NOT_FOUND"
    error = await scene.gql.error(LEAVE, {"id": entry["id"]}, scene.coach_token)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert (await scene.as_client(LEAVE, id=entry["id"]))["leaveWaitlist"] is True
    assert (await scene.as_client(WAITLIST))["waitlist"] == []
    assert (await scene.as_coach(WAITLIST))["waitlist"] == []
    error = await scene.gql.error(LEAVE, {"id": entry["id"]}, scene.client_token)
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_a_cancellation_tells_every_waiting_client_whose_range_and_service_fit(
    scene: Scene, db: Database
) -> None:
    # Tuesday 10:00-10:30 is booked and cancelled; 10:30-11:00 stays taken, so a 60-minute
    # session cannot start at 10:00, a 30- or 15-minute one can.
    freed = await scene.book(at(1, 10), 30)
    await scene.book(at(1, 10, 30), 30)
    fit_a, token_a = await waiter(scene, "Ann")
    fit_b, token_b = await waiter(scene, "Ben", linked=False)
    too_long, token_long = await waiter(scene, "Lea")
    elsewhere, token_else = await waiter(scene, "Ola")
    await joined(scene, token_a, 30, at(1, 0), at(2, 0))
    await joined(scene, token_b, 15, at(0, 0), at(5, 0))
    await joined(scene, token_long, 60, at(1, 0), at(2, 0))
    await joined(scene, token_else, 30, at(2, 0), at(4, 0))

    await scene.as_coach(CANCEL, id=freed["id"])

    for user, token in ((fit_a, token_a), (fit_b, token_b)):
        (notice,) = await slot_notices(scene.gql, token)
        assert notice["title"] == "A time opened with Coach Carter"
        assert "Tuesday 03 March 2026, 10:00 (UTC)" in notice["body"], notice["body"]
        assert notice["session"] is None  # someone else's cancelled session is not shown
        assert await mailed_notices(db, user.id) == 1
    for user, token in ((too_long, token_long), (elsewhere, token_else)):
        assert await slot_notices(scene.gql, token) == []
        assert await mailed_notices(db, user.id) == 0


async def test_a_client_waiting_with_several_fitting_entries_is_told_once(
    scene: Scene, db: Database
) -> None:
    freed = await scene.book(at(1, 14), 60)
    waiting, token = await waiter(scene, "Ann")
    await joined(scene, token, 60, at(1, 0), at(2, 0))
    await joined(scene, token, 30, at(0, 0), at(3, 0))
    await scene.as_coach(CANCEL, id=freed["id"])
    assert len(await slot_notices(scene.gql, token)) == 1
    assert await mailed_notices(db, waiting.id) == 1


async def test_the_client_who_cancelled_is_not_told_of_their_own_time(scene: Scene) -> None:
    await joined(scene, scene.client_token, 60, at(1, 0), at(2, 0))
    session = await scene.book(at(1, 14), 60)
    await scene.as_client(
        "mutation($id: ID!) { cancelMySession(sessionId: $id) { id } }", id=session["id"]
    )
    assert await slot_notices(scene.gql, scene.client_token) == []


async def test_a_move_frees_the_old_time_for_the_waiting_clients(scene: Scene) -> None:
    session = await scene.book(at(1, 14), 60)
    _, token = await waiter(scene, "Ann")
    await joined(scene, token, 60, at(1, 0), at(2, 0))
    await scene.as_coach(RESCHEDULE, id=session["id"], t=iso(at(2, 14)))
    (notice,) = await slot_notices(scene.gql, token)
    assert "Tuesday 03 March 2026, 14:00 (UTC)" in notice["body"]


async def test_a_time_that_has_passed_or_an_expired_range_tells_no_one(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    session = await scene.book(at(1, 14), 60)
    _, token = await waiter(scene, "Ann")
    await joined(scene, token, 60, at(1, 0), at(1, 15))
    later = await scene.book(at(2, 14), 60)
    await joined(scene, token, 60, at(2, 0), at(2, 12))  # a range before the freed time
    manual_clock.set(at(1, 15))  # the first range has passed: expired, not listed
    assert [e["from"] for e in (await scene.gql.data(WAITLIST, token=token))["waitlist"]] == [
        iso(at(2, 0))
    ]
    await scene.as_coach(CANCEL, id=session["id"])  # its time has passed too
    await scene.as_coach(CANCEL, id=later["id"])  # outside the open range
    assert await slot_notices(scene.gql, token) == []


async def test_booking_inside_the_range_ends_the_entry_outside_it_does_not(
    scene: Scene, db: Database
) -> None:
    await joined(scene, scene.client_token, 60, at(2, 0), at(3, 0))
    await joined(scene, scene.client_token, 30, at(5, 0), at(7, 0))
    await scene.book(at(1, 10), 60)  # before both ranges
    assert len((await scene.as_client(WAITLIST))["waitlist"]) == 2
    await scene.book(at(2, 11), 30)  # inside the first: it ends, whatever the service
    assert [e["from"] for e in (await scene.as_client(WAITLIST))["waitlist"]] == [iso(at(5, 0))]
    async with db.session() as session:
        reasons = (await session.scalars(sa.select(WaitlistEntry.end_reason))).all()
    assert sorted(r or "" for r in reasons) == ["", "BOOKED"]


async def test_a_self_booking_inside_the_range_ends_the_prospects_entry(scene: Scene) -> None:
    _, prospect = await waiter(scene, "Pia", linked=False)
    await joined(scene, prospect, 30, at(1, 0), at(3, 0))
    booked = await scene.gql(BOOK_MINE, {"s": scene.services[30], "t": iso(at(1, 15))}, prospect)
    assert not booked.get("errors"), booked
    assert (await scene.gql.data(WAITLIST, token=prospect))["waitlist"] == []


async def test_a_removed_client_leaves_the_coachs_waitlist(scene: Scene) -> None:
    await joined(scene, scene.client_token, 60, at(1, 0), at(3, 0))
    await scene.as_coach(DELETE_CLIENT, id=str(scene.client.id))
    assert (await scene.as_coach(WAITLIST))["waitlist"] == []


async def test_a_cancellation_rolled_back_tells_no_one(scene: Scene, db: Database) -> None:
    """The waitlist reacts inside the cancelling transaction: when a later reaction refuses
    the cancellation, the notices roll back with it."""
    session = await scene.book(at(1, 14), 60)
    waiting, token = await waiter(scene, "Ann")
    await joined(scene, token, 60, at(1, 0), at(2, 0))

    async def refuse(_session: Any, _event: SessionCancelled) -> None:
        raise Conflict("refused after the waitlist reacted")

    events.subscribe(SessionCancelled, refuse)
    try:
        error = await scene.gql.error(CANCEL, {"id": session["id"]}, scene.coach_token)
    finally:
        events._handlers[SessionCancelled].remove(refuse)
    assert error["extensions"]["code"] == "CONFLICT"
    assert await slot_notices(scene.gql, token) == []
    assert await mailed_notices(db, waiting.id) == 0
    await scene.as_coach(CANCEL, id=session["id"])
    assert len(await slot_notices(scene.gql, token)) == 1


async def test_the_coach_lists_entries_earliest_range_first(
    scene: Scene, practice: Practice
) -> None:
    for day in (4, 2, 3):
        _, token = await waiter(scene, f"Day {day}")
        await joined(scene, token, 60, at(day, 0), at(day, 0) + timedelta(days=1))
    listed = (await scene.as_coach(WAITLIST))["waitlist"]
    assert [e["clientName"] for e in listed] == ["Day 2", "Day 3", "Day 4"]


@pytest.mark.without_execution_check  # counts what one request costs in production
async def test_listing_costs_the_same_statements_for_few_and_many_entries(
    scene: Scene, db: Database
) -> None:
    async def statements() -> int:
        with count_statements(db) as seen:
            listed = (await scene.as_coach(WAITLIST))["waitlist"]
        assert all(e["service"]["durationMinutes"] and e["coach"]["id"] for e in listed)
        return len(seen)

    for n in range(3):
        _, token = await waiter(scene, f"Few {n}")
        await joined(scene, token, [15, 30, 60][n], at(1, 0), at(2, 0))
    few = await statements()
    for n in range(12):
        _, token = await waiter(scene, f"Many {n}")
        await joined(scene, token, [15, 30, 45, 60][n % 4], at(1, 0), at(2, 0))
    assert await statements() == few
