"""Recurring series (SPEC.md "Sessions", Recurring series): weekly and monthly occurrences at
the same wall-clock time in the coach's zone across both daylight-saving changes (London, New
York, Sydney, and Lord Howe's 30-minute shift), each placed by the one placement rule with the
rest listed as skipped; THIS_AND_FOLLOWING moves (all or nothing) and cancellations, one
invitation, event and set of reminders per occurrence; bad input refused, writing nothing;
two series racing for one coach's times."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coach_graph import clock, events
from coach_graph.accounts.models import User
from coach_graph.db import Database
from coach_graph.sessions.events import SessionBooked, SessionCancelled, SessionRescheduled
from coach_graph.sessions.reminders import queue_reminders
from tests.conftest import GraphQLClient, Practice
from tests.sessions.conftest import Scene, at, count_rows, iso

SERIES = """mutation($c: ID!, $s: ID!, $t: DateTime!, $r: RecurrenceInput!, $pn: String) {
  bookSeries(clientId: $c, serviceId: $s, startsAt: $t, recurrence: $r, privateNotes: $pn) {
    id frequency interval skipped sessions { id startsAt status privateNotes }
  }
}"""
MOVE = """mutation($id: ID!, $t: DateTime!, $scope: SeriesScope) {
  rescheduleSession(id: $id, startsAt: $t, scope: $scope, reason: "Summer hours") {
    id startsAt
  }
}"""
CANCEL = """mutation($id: ID!, $scope: SeriesScope) {
  cancelSession(id: $id, scope: $scope, reason: "Moving away") { id status }
}"""
OF_SESSION = """query($id: ID!) { session(id: $id) {
  id series { id frequency interval skipped sessions { id startsAt status } } } }"""

SEEN: list[object] = []


async def _seen(session: AsyncSession, event: object) -> None:
    SEEN.append(event)


for _kind in (SessionBooked, SessionRescheduled, SessionCancelled):
    events.subscribe(_kind, _seen)


@pytest.fixture(autouse=True)
def _forget_events() -> None:
    SEEN.clear()


def seen(kind: type, coach_id: int | None) -> list[Any]:
    return [e for e in SEEN if isinstance(e, kind) and getattr(e, "coach_id", None) == coach_id]


@dataclass
class Coach:
    gql: GraphQLClient
    user: User
    client: User
    token: str
    client_token: str
    services: dict[int, str]

    async def series(self, starts_at: datetime, minutes: int = 60, **recurrence: Any) -> Any:
        variables = {
            "c": str(self.client.id),
            "s": self.services[minutes],
            "t": iso(starts_at),
            "r": recurrence,
        }
        return await self.gql(SERIES, variables, self.token)

    async def booked(self, starts_at: datetime, minutes: int = 60, **recurrence: Any) -> Any:
        body = await self.series(starts_at, minutes, **recurrence)
        assert not body.get("errors"), body["errors"]
        return body["data"]["bookSeries"]


async def coach_in(gql: GraphQLClient, practice: Practice, time_zone: str) -> Coach:
    user = await practice.coach(time_zone=time_zone)
    client = await practice.client(user)
    token = await practice.token(user)
    data = await gql.data("{ services { id durationMinutes } }", token=token)
    services = {s["durationMinutes"]: s["id"] for s in data["services"]}
    return Coach(gql, user, client, token, await practice.token(client), services)


def local(moment: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(tz)


@pytest.mark.parametrize(
    ("zone", "shift"),
    [
        ("Europe/London", 60),
        ("America/New_York", 60),
        ("Australia/Sydney", 60),
        ("Australia/Lord_Howe", 30),
    ],
)
async def test_a_weekly_series_keeps_its_wall_clock_time_across_both_changes(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock, zone: str, shift: int
) -> None:
    tz = ZoneInfo(zone)
    coach = await coach_in(gql, practice, zone)
    first = datetime(2026, 3, 3, 10, 0, tzinfo=tz)  # a Tuesday; 40 weeks run into December
    series = await coach.booked(first, frequency="WEEKLY", count=40)
    assert series["skipped"] == [] and len(series["sessions"]) == 40
    starts = [local(s["startsAt"], tz) for s in series["sessions"]]
    assert all((s.weekday(), s.hour, s.minute) == (1, 10, 0) for s in starts)
    assert [b - a for a, b in pairwise(starts)] == [timedelta(days=7)] * 39
    offsets = [s.utcoffset() for s in starts]
    assert len(set(offsets)) == 2  # both changes crossed, UTC time moved
    assert abs(max(offsets) - min(offsets)) == timedelta(minutes=shift)  # type: ignore[operator]
    assert len({s["startsAt"][11:16] for s in series["sessions"]}) == 2  # in UTC

    # Months later (the clock moved), from the first June occurrence on, 10:00 becomes 11:00:
    # every later occurrence, on either side of the next change, is at 11:00 local.
    manual_clock.set(datetime(2026, 6, 1, 0, 0, tzinfo=UTC))
    coach.token = await practice.token(coach.user)  # the first one expired meanwhile
    june = next(s for s in series["sessions"] if local(s["startsAt"], tz).month == 6)
    moved = await gql.data(
        MOVE,
        {
            "id": june["id"],
            "t": iso(local(june["startsAt"], tz) + timedelta(hours=1)),
            "scope": "THIS_AND_FOLLOWING",
        },
        coach.token,
    )
    assert local(moved["rescheduleSession"]["startsAt"], tz).hour == 11
    after = (await gql.data(OF_SESSION, {"id": june["id"]}, coach.token))["session"]["series"]
    for s in after["sessions"]:
        when = local(s["startsAt"], tz)
        expected = 11 if when >= local(june["startsAt"], tz) else 10
        assert (when.weekday(), when.hour, when.minute) == (1, expected, 0), s
    assert len(seen(SessionRescheduled, coach.user.id)) == sum(
        1 for s in series["sessions"] if s["startsAt"] >= june["startsAt"]
    )


async def test_a_monthly_series_keeps_the_weekday_of_the_month(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock
) -> None:
    tz = ZoneInfo("Europe/London")
    coach = await coach_in(gql, practice, "Europe/London")
    second_tuesday = await coach.booked(
        datetime(2026, 3, 10, 9, 0, tzinfo=tz), frequency="MONTHLY", count=6
    )
    days = [local(s["startsAt"], tz) for s in second_tuesday["sessions"]]
    assert [(d.month, d.day, d.hour) for d in days] == [
        (3, 10, 9), (4, 14, 9), (5, 12, 9), (6, 9, 9), (7, 14, 9), (8, 11, 9),
    ]  # fmt: skip
    assert second_tuesday["frequency"] == "MONTHLY" and second_tuesday["interval"] == 1
    # A fifth Tuesday becomes the last Tuesday of each month; every other month, until August.
    last = await coach.booked(
        datetime(2026, 3, 31, 14, 0, tzinfo=tz),
        frequency="MONTHLY",
        interval=2,
        until=iso(datetime(2026, 9, 30, tzinfo=UTC)),
    )
    assert [local(s["startsAt"], tz).date().isoformat() for s in last["sessions"]] == [
        "2026-03-31", "2026-05-26", "2026-07-28", "2026-09-29",
    ]  # fmt: skip


async def outbox_kinds(db: Database, session_ids: list[str]) -> list[tuple[int, str]]:
    """(session id, kind) of every outbox message about those sessions, in order."""
    async with db.session() as session:
        rows = await session.execute(
            sa.text(
                "SELECT session_id, kind FROM outbox_message WHERE session_id IN "
                f"({', '.join(str(int(i)) for i in session_ids)}) ORDER BY id"
            )
        )
        return [(int(r[0]), str(r[1])) for r in rows.all()]


async def weekly(scene: Scene, starts_at: datetime, count: int, **extra: Any) -> dict[str, Any]:
    data = await scene.as_coach(
        SERIES,
        c=str(scene.client.id),
        s=scene.services[60],
        t=iso(starts_at),
        r={"frequency": "WEEKLY", "count": count, **extra},
    )
    result: dict[str, Any] = data["bookSeries"]
    return result


async def test_taken_or_unavailable_occurrences_are_skipped_and_listed(
    scene: Scene, db: Database
) -> None:
    other = await scene.book(at(14, 9), 60)  # Monday 16 March 09:00 is taken
    await scene.as_coach(
        """mutation($s: DateTime!, $e: DateTime!) { addAvailabilityException(
             input: {startsAt: $s, endsAt: $e, available: false}) { id } }""",
        s=iso(at(21, 0)),
        e=iso(at(22, 0)),
    )  # Monday 23 March is time off
    data = await scene.as_coach(
        SERIES,
        c=str(scene.client.id),
        s=scene.services[60],
        t=iso(at(7, 9)),  # Monday 9 March
        r={"frequency": "WEEKLY", "count": 6},
        pn="Weekly check-in",
    )
    series = data["bookSeries"]
    assert series["skipped"] == ["2026-03-16T09:00:00Z", "2026-03-23T09:00:00Z"]
    assert [s["startsAt"] for s in series["sessions"]] == [
        "2026-03-09T09:00:00Z", "2026-03-30T09:00:00Z", "2026-04-06T09:00:00Z",
        "2026-04-13T09:00:00Z",
    ]  # fmt: skip
    assert {(s["status"], s["privateNotes"]) for s in series["sessions"]} == {
        ("CONFIRMED", "Weekly check-in")
    }
    assert await count_rows(db, "coaching_session") == 5
    ids = [s["id"] for s in series["sessions"]]
    # Each occurrence is an ordinary session: its own mail (with its invite) and event.
    assert await outbox_kinds(db, ids) == [(int(i), "SESSION_BOOKED") for i in ids]
    assert {e.session_id for e in seen(SessionBooked, scene.coach.id)} >= {int(i) for i in ids}
    # The client sees the series through any of its sessions; the other session has none.
    mine = await scene.as_client(OF_SESSION, id=ids[1])
    assert mine["session"]["series"]["skipped"] == series["skipped"]
    assert [s["id"] for s in mine["session"]["series"]["sessions"]] == ids
    assert (await scene.as_coach(OF_SESSION, id=other["id"]))["session"]["series"] is None


async def test_a_fortnightly_series_runs_until_its_end_date(scene: Scene) -> None:
    data = await scene.as_coach(
        SERIES,
        c=str(scene.client.id),
        s=scene.services[30],
        t=iso(at(8, 14)),  # Tuesday 10 March 14:00
        r={"frequency": "WEEKLY", "interval": 2, "until": iso(at(50, 14))},  # included
    )
    series = data["bookSeries"]
    assert series["interval"] == 2 and series["skipped"] == []
    assert [s["startsAt"][:10] for s in series["sessions"]] == [
        "2026-03-10", "2026-03-24", "2026-04-07", "2026-04-21",
    ]  # fmt: skip


async def test_a_following_move_is_all_or_nothing_and_names_what_does_not_fit(
    scene: Scene, db: Database
) -> None:
    series = await weekly(scene, at(7, 9), 5)  # Mondays 9, 16, 23, 30 March, 6 April
    ids = [s["id"] for s in series["sessions"]]
    blocker = await scene.book(at(28, 11), 60)  # Monday 30 March 11:00
    error = await scene.gql.error(
        MOVE, {"id": ids[1], "t": iso(at(14, 11)), "scope": "THIS_AND_FOLLOWING"}, scene.coach_token
    )
    assert error["extensions"]["code"] == "CONFLICT"
    assert f"session {ids[3]}" in error["message"] and "1 of 4" in error["message"]
    after = (await scene.as_coach(OF_SESSION, id=ids[0]))["session"]["series"]["sessions"]
    assert [s["startsAt"] for s in after] == [s["startsAt"] for s in series["sessions"]]
    assert await outbox_kinds(db, ids) == [(int(i), "SESSION_BOOKED") for i in ids]

    await scene.as_coach(CANCEL, id=blocker["id"])
    moved = await scene.as_coach(MOVE, id=ids[1], t=iso(at(14, 11)), scope="THIS_AND_FOLLOWING")
    assert moved["rescheduleSession"]["startsAt"] == "2026-03-16T11:00:00Z"
    after = (await scene.as_coach(OF_SESSION, id=ids[0]))["session"]["series"]["sessions"]
    assert [s["startsAt"][11:16] for s in after] == ["09:00", "11:00", "11:00", "11:00", "11:00"]
    kinds = await outbox_kinds(db, ids)
    assert [k for k in kinds if k[1] == "SESSION_RESCHEDULED"] == [
        (int(i), "SESSION_RESCHEDULED") for i in ids[1:]
    ]
    moves = [e for e in seen(SessionRescheduled, scene.coach.id) if str(e.session_id) in ids]
    assert sorted(str(e.session_id) for e in moves) == sorted(ids[1:])
    # THIS (the default) moves one occurrence only.
    await scene.as_coach(MOVE, id=ids[2], t=iso(at(21, 15)))
    after = (await scene.as_coach(OF_SESSION, id=ids[0]))["session"]["series"]["sessions"]
    assert [s["startsAt"][11:16] for s in after] == ["09:00", "11:00", "15:00", "11:00", "11:00"]


async def test_reminders_move_with_the_following_occurrences(
    scene: Scene, db: Database, manual_clock: clock.ManualClock
) -> None:
    series = await weekly(scene, at(2, 9), 3)  # Wednesdays 4, 11, 18 March
    ids = [s["id"] for s in series["sessions"]]
    manual_clock.set(at(1, 9, 30))  # 23.5 hours before the first: its 24-hour reminder is due
    assert await queue_reminders(db) == 1
    await scene.as_coach(MOVE, id=ids[0], t=iso(at(2, 13)), scope="THIS_AND_FOLLOWING")
    assert [k for k in await outbox_kinds(db, ids) if k[1].startswith("REMINDER")] == []
    manual_clock.set(at(1, 13, 30))
    assert await queue_reminders(db) == 1  # the reminder for the new time


async def test_a_following_cancel_cancels_every_later_non_final_occurrence(
    scene: Scene, db: Database
) -> None:
    series = await weekly(scene, at(7, 9), 5)
    ids = [s["id"] for s in series["sessions"]]
    await scene.as_coach(CANCEL, id=ids[3])  # THIS: one occurrence
    done = await scene.as_coach(CANCEL, id=ids[2], scope="THIS_AND_FOLLOWING")
    assert done["cancelSession"]["status"] == "CANCELLED"
    after = (await scene.as_coach(OF_SESSION, id=ids[0]))["session"]["series"]["sessions"]
    assert [s["status"] for s in after] == ["CONFIRMED", "CONFIRMED"] + ["CANCELLED"] * 3
    cancelled = [k for k in await outbox_kinds(db, ids) if k[1] == "SESSION_CANCELLED"]
    assert sorted(cancelled) == sorted((int(i), "SESSION_CANCELLED") for i in ids[2:])
    events_seen = [e for e in seen(SessionCancelled, scene.coach.id) if str(e.session_id) in ids]
    assert sorted(str(e.session_id) for e in events_seen) == sorted(ids[2:])
    again = await scene.gql.error(
        CANCEL, {"id": ids[2], "scope": "THIS_AND_FOLLOWING"}, scene.coach_token
    )
    assert again["extensions"]["code"] == "CONFLICT"
    # The freed times take new bookings.
    assert (await scene.book(at(21, 9), 60))["status"] == "CONFIRMED"


async def test_bad_series_are_refused_and_write_nothing(scene: Scene, db: Database) -> None:
    start = iso(at(7, 9))
    cases = [
        {"frequency": "WEEKLY", "count": 53},
        {"frequency": "WEEKLY", "count": 0},
        {"frequency": "WEEKLY", "interval": 5, "count": 4},
        {"frequency": "WEEKLY", "interval": 0, "count": 4},
        {"frequency": "MONTHLY", "interval": 13, "count": 4},
        {"frequency": "WEEKLY"},
        {"frequency": "WEEKLY", "count": 4, "until": iso(at(60, 0))},
        {"frequency": "WEEKLY", "until": iso(at(6, 0))},  # before the first start
        {"frequency": "WEEKLY", "until": iso(at(7 + 7 * 60, 0))},  # 61 occurrences
    ]
    for recurrence in cases:
        body = await scene.gql(
            SERIES,
            {"c": str(scene.client.id), "s": scene.services[60], "t": start, "r": recurrence},
            scene.coach_token,
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", recurrence
    variables = {
        "c": str(scene.client.id),
        "s": scene.services[60],
        "r": {"frequency": "WEEKLY", "count": 2},
    }
    past = await scene.gql.error(SERIES, {**variables, "t": iso(at(0, 9))}, scene.coach_token)
    assert past["extensions"]["code"] == "BAD_USER_INPUT"
    saturday = await scene.gql.error(SERIES, {**variables, "t": iso(at(5, 9))}, scene.coach_token)
    assert saturday["extensions"]["code"] == "CONFLICT" and "None of the 2" in saturday["message"]
    other_coach = await scene.practice.coach()
    stranger = await scene.practice.client(other_coach)
    foreign = await scene.gql.error(
        SERIES, {**variables, "t": start, "c": str(stranger.id)}, scene.coach_token
    )
    assert foreign["extensions"]["code"] == "NOT_FOUND"
    client = await scene.gql.error(SERIES, {**variables, "t": start}, scene.client_token)
    assert client["extensions"]["code"] == "FORBIDDEN"
    await scene.as_coach(
        "mutation($id: ID!) { archiveService(id: $id) { id } }", id=scene.services[60]
    )
    archived = await scene.gql.error(SERIES, {**variables, "t": start}, scene.coach_token)
    assert archived["extensions"]["code"] == "BAD_USER_INPUT"
    assert await count_rows(db, "session_series") == 0
    assert await count_rows(db, "coaching_session") == 0
    assert await count_rows(db, "outbox_message") == 0


async def test_only_the_series_coach_moves_it_and_only_its_people_see_it(scene: Scene) -> None:
    series = await weekly(scene, at(7, 9), 3)
    ids = [s["id"] for s in series["sessions"]]
    other_coach = await scene.practice.coach()
    other_token = await scene.practice.token(other_coach)
    for query, variables in (
        (MOVE, {"id": ids[0], "t": iso(at(7, 11)), "scope": "THIS_AND_FOLLOWING"}),
        (CANCEL, {"id": ids[0], "scope": "THIS_AND_FOLLOWING"}),
    ):
        assert (await scene.gql.error(query, variables, other_token))["extensions"][
            "code"
        ] == "NOT_FOUND"
        assert (await scene.gql.error(query, variables, scene.client_token))["extensions"][
            "code"
        ] == "FORBIDDEN"
    assert (await scene.gql.data(OF_SESSION, {"id": ids[0]}, other_token))["session"] is None


async def test_two_series_racing_for_one_coach_book_each_time_once(
    scene: Scene, db: Database
) -> None:
    """Two clients' series overlapping in two weeks, booked at once: whichever takes the
    schedule first books them, the other lists them as skipped; no time is booked twice."""
    second = await scene.practice.client(scene.coach)
    results = await asyncio.gather(
        scene.gql(
            SERIES,
            {
                "c": str(scene.client.id),
                "s": scene.services[60],
                "t": iso(at(7, 9)),
                "r": {"frequency": "WEEKLY", "count": 4},
            },
            scene.coach_token,
        ),
        scene.gql(
            SERIES,
            {
                "c": str(second.id),
                "s": scene.services[60],
                "t": iso(at(21, 9)),
                "r": {"frequency": "WEEKLY", "count": 4},
            },
            scene.coach_token,
        ),
    )
    first, other = (r["data"]["bookSeries"] for r in results)
    booked = [s["startsAt"] for s in first["sessions"] + other["sessions"]]
    assert len(booked) == len(set(booked)) == 6
    shared = {"2026-03-23T09:00:00Z", "2026-03-30T09:00:00Z"}
    assert set(first["skipped"] + other["skipped"]) == shared
    assert first["skipped"] in ([], sorted(shared)) and other["skipped"] in ([], sorted(shared))
    assert await count_rows(db, "coaching_session") == 6


async def test_a_following_move_racing_a_booking_of_its_target_lets_one_win(
    scene: Scene, db: Database
) -> None:
    series = await weekly(scene, at(7, 9), 4)
    ids = [s["id"] for s in series["sessions"]]
    move, booking = await asyncio.gather(
        scene.gql(
            MOVE,
            {"id": ids[0], "t": iso(at(7, 13)), "scope": "THIS_AND_FOLLOWING"},
            scene.coach_token,
        ),
        scene.gql(
            """mutation($c: ID!, $s: ID!, $t: DateTime!) {
                 bookSession(clientId: $c, serviceId: $s, startsAt: $t) { id } }""",
            {"c": str(scene.client.id), "s": scene.services[60], "t": iso(at(28, 13))},
            scene.coach_token,
        ),
    )
    outcomes = [bool(move.get("errors")), bool(booking.get("errors"))]
    assert outcomes in ([True, False], [False, True]), (move, booking)
    loser = move if move.get("errors") else booking
    assert loser["errors"][0]["extensions"]["code"] == "CONFLICT"
    after = (await scene.as_coach(OF_SESSION, id=ids[0]))["session"]["series"]["sessions"]
    hours = {s["startsAt"][11:13] for s in after}
    assert hours == ({"09"} if move.get("errors") else {"13"})


def test_a_wall_time_the_clock_skips_is_not_an_occurrence_that_exists() -> None:
    """Lord Howe moves from 02:00 to 02:30 on 4 October 2026: a 02:15 occurrence that day does
    not exist (bookSeries lists it as skipped); the weeks around it keep 02:15."""
    from coach_graph.sessions.models import RecurrenceFrequency
    from coach_graph.sessions.series import Recurrence, occurrences

    tz = ZoneInfo("Australia/Lord_Howe")
    starts = occurrences(
        datetime(2026, 9, 27, 2, 15, tzinfo=tz), tz, Recurrence(RecurrenceFrequency.WEEKLY, count=3)
    )
    assert [o.exists for o in starts] == [True, False, True]
    assert [o.starts_at.astimezone(tz).strftime("%H:%M") for o in (starts[0], starts[2])] == [
        "02:15",
        "02:15",
    ]
    assert starts[2].starts_at - starts[0].starts_at == timedelta(days=14, minutes=-30)
