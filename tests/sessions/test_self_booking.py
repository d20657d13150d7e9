"""Self-booking through the API (SPEC.md "Sessions", Self-booking): the public booking page,
a client booking for themselves, the coach seeing and answering it, and every refusal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.notifications.service import NOTIFICATIONS_CHANNEL
from tests.conftest import GraphQLClient, Practice
from tests.messages.test_live import NOTIFICATIONS, subscribed
from tests.sessions.conftest import at, count_rows, iso
from tests.ws import app_socket

PROFILE = """query($id: ID!) {
  coachProfile(id: $id) {
    id name timeZone services { id name durationMinutes isFree price { amountMinor currency } }
  }
}"""
SIGN_UP = """mutation($e: String!, $p: String!, $n: String, $tz: String) {
  signUp(email: $e, password: $p, name: $n, timeZone: $tz) {
    token viewer { id role email name timeZone }
  }
}"""
BOOK_MINE = """mutation($s: ID!, $t: DateTime!, $n: String) {
  bookMySession(serviceId: $s, startsAt: $t, customerNotes: $n) {
    id status startsAt durationMinutes customerNotes clientName price { amountMinor }
  }
}"""
SESSIONS = "{ sessions { totalCount edges { node { id status clientName } } } }"
INBOX = "{ notifications { edges { node { kind title body } } } }"
PASSWORD = "a long enough password"


@dataclass
class Booking:
    """A coach (UTC, Monday to Friday 09:00-17:00) with one GRANTED client, and a prospect who
    signed up through the API."""

    gql: GraphQLClient
    practice: Practice
    coach: User
    coach_token: str
    prospect_id: str
    prospect_token: str
    services: dict[int, str]  # duration in minutes -> service id (30: paid, 15: free intro)

    async def book(self, minutes: int, starts_at: datetime, token: str | None = None) -> Any:
        variables = {"s": self.services[minutes], "t": iso(starts_at)}
        return await self.gql(BOOK_MINE, variables, token or self.prospect_token)

    async def booked(self, minutes: int, starts_at: datetime, token: str | None = None) -> Any:
        body = await self.book(minutes, starts_at, token)
        assert not body.get("errors"), body["errors"]
        return body["data"]["bookMySession"]

    async def refused(self, minutes: int, starts_at: datetime, token: str | None = None) -> str:
        body = await self.book(minutes, starts_at, token)
        assert body.get("errors") and body["data"] is None, body
        code: str = body["errors"][0]["extensions"]["code"]
        return code


async def sign_up(gql: GraphQLClient, email: str, name: str = "Pat Prospect") -> dict[str, Any]:
    data = await gql.data(SIGN_UP, {"e": email, "p": PASSWORD, "n": name, "tz": "Europe/Paris"})
    payload: dict[str, Any] = data["signUp"]
    return payload


@pytest.fixture
async def booking(gql: GraphQLClient, practice: Practice, manual_clock: Any) -> Booking:
    coach = await practice.coach("Coach Carter")
    await practice.client(coach, "Granted Gina")
    coach_token = await practice.token(coach)
    data = await gql.data(PROFILE, {"id": str(coach.id)})
    services = {s["durationMinutes"]: s["id"] for s in data["coachProfile"]["services"]}
    prospect = await sign_up(gql, "pat@example.test")
    return Booking(
        gql, practice, coach, coach_token, prospect["viewer"]["id"], prospect["token"], services
    )


# ---------------------------------------------------------------- the public booking page


async def test_anyone_reads_a_coach_profile_with_only_bookable_services(
    booking: Booking,
) -> None:
    gql, coach = booking.gql, booking.coach
    await gql.data(
        f'mutation {{ archiveService(id: "{booking.services[45]}") {{ id }} }}',
        None,
        booking.coach_token,
    )
    for token in (None, booking.prospect_token, booking.coach_token):
        profile = (await gql.data(PROFILE, {"id": str(coach.id)}, token))["coachProfile"]
        assert profile["name"] == "Coach Carter" and profile["timeZone"] == "UTC"
        assert [s["durationMinutes"] for s in profile["services"]] == [15, 30, 60]
        assert profile["services"][0]["isFree"] and not profile["services"][1]["isFree"]


async def test_a_coach_profile_shows_nothing_private(booking: Booking) -> None:
    for field in ("email", "clients", "calendars", "sessions", "availability"):
        error = await booking.gql.error(
            f"query($id: ID!) {{ coachProfile(id: $id) {{ {field} }} }}",
            {"id": str(booking.coach.id)},
        )
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (field, error)


async def test_a_client_unknown_or_malformed_id_has_no_profile(booking: Booking) -> None:
    for ident in (booking.prospect_id, "999999"):
        assert (await booking.gql.data(PROFILE, {"id": ident}))["coachProfile"] is None
    for ident in (" 1", "1_0", "\uff13"):
        error = await booking.gql.error(PROFILE, {"id": ident})
        assert error["extensions"]["code"] == "NOT_FOUND"


# ---------------------------------------------------------------- booking for oneself


async def test_a_self_booking_is_pending_links_the_prospect_and_tells_the_coach(
    booking: Booking,
) -> None:
    gql = booking.gql
    session = await booking.booked(15, at(1, 9))
    assert session["status"] == "PENDING" and session["durationMinutes"] == 15
    assert session["price"]["amountMinor"] == 0 and session["clientName"] == "Pat Prospect"
    coach_sessions = await gql.data(SESSIONS, None, booking.coach_token)
    assert {"id": session["id"], "status": "PENDING", "clientName": "Pat Prospect"} in [
        e["node"] for e in coach_sessions["sessions"]["edges"]
    ]
    consents = await gql.data(
        "{ consents(status: PENDING) { clientId clientEmail status } }", None, booking.coach_token
    )
    assert consents["consents"] == [
        {"clientId": booking.prospect_id, "clientEmail": "pat@example.test", "status": "PENDING"}
    ]
    inbox = await gql.data(INBOX, None, booking.coach_token)
    told = inbox["notifications"]["edges"][0]["node"]
    assert told["kind"] == "SESSION_BOOKED" and told["title"] == "New booking to confirm"
    assert "Pat Prospect" in told["body"]


async def test_the_coach_is_told_live(
    app: Starlette, booking: Booking, resources: Resources
) -> None:
    async with app_socket(app) as to_coach:
        await to_coach.init(booking.coach_token)
        await to_coach.subscribe("1", NOTIFICATIONS)
        await subscribed(resources, NOTIFICATIONS_CHANNEL)
        await booking.booked(30, at(1, 10))
        got = (await to_coach.next_data())["notificationCreated"]
        assert got["kind"] == "SESSION_BOOKED" and got["title"] == "New booking to confirm"


@pytest.mark.parametrize(
    ("mutation", "title"),
    [
        ('updateSessionStatus(id: "{id}", status: CONFIRMED)', "Session confirmed"),
        ('cancelSession(id: "{id}", reason: "Fully booked")', "Session cancelled"),
    ],
)
async def test_confirming_or_cancelling_tells_the_client(
    booking: Booking, mutation: str, title: str
) -> None:
    session = await booking.booked(30, at(1, 10))
    document = "mutation { " + mutation.format(id=session["id"]) + " { status } }"
    await booking.gql.data(document, None, booking.coach_token)
    inbox = await booking.gql.data(INBOX, None, booking.prospect_token)
    assert inbox["notifications"]["edges"][0]["node"]["title"] == title


async def test_one_free_intro_call_per_coach_ever(booking: Booking) -> None:
    first = await booking.booked(15, at(1, 9))
    await booking.gql.data(
        f'mutation {{ cancelSession(id: "{first["id"]}") {{ status }} }}', None, booking.coach_token
    )
    assert await booking.refused(15, at(2, 9)) == "CONFLICT"
    await booking.booked(30, at(2, 9))  # paid sessions are still welcome
    other = await booking.practice.coach()
    profile = await booking.gql.data(PROFILE, {"id": str(other.id)})
    intro = profile["coachProfile"]["services"][0]["id"]
    elsewhere = await booking.gql.data(
        BOOK_MINE, {"s": intro, "t": iso(at(1, 9))}, booking.prospect_token
    )
    assert elsewhere["bookMySession"]["status"] == "PENDING"  # one per coach


async def test_at_most_three_pending_self_bookings_per_coach(booking: Booking) -> None:
    booked = [await booking.booked(30, at(1, hour)) for hour in (9, 10, 11)]
    assert await booking.refused(30, at(1, 12)) == "CONFLICT"
    await booking.gql.data(
        f'mutation {{ updateSessionStatus(id: "{booked[0]["id"]}", status: CONFIRMED) {{ id }} }}',
        None,
        booking.coach_token,
    )
    await booking.booked(30, at(1, 12))


async def test_a_prospect_sees_only_their_own_sessions(booking: Booking) -> None:
    mine = await booking.booked(30, at(1, 9))
    other = await sign_up(booking.gql, "quinn@example.test", "Quinn")
    theirs = await booking.booked(30, at(1, 10), other["token"])
    seen = await booking.gql.data(SESSIONS, None, booking.prospect_token)
    assert [e["node"]["id"] for e in seen["sessions"]["edges"]] == [mine["id"]]
    one = f'{{ session(id: "{theirs["id"]}") {{ id }} }}'
    assert (await booking.gql.data(one, None, booking.prospect_token))["session"] is None
    client = f'{{ client(id: "{other["viewer"]["id"]}") {{ id }} }}'
    # The coach schedules with them, but their data waits for consent.
    assert (await booking.gql.data(client, None, booking.coach_token))["client"] is None


# ---------------------------------------------------------------- refusals


async def counts(db: Database) -> tuple[int, ...]:
    tables = ("coaching_session", "coach_client", "notification", "outbox_message")
    return tuple([await count_rows(db, t) for t in tables])


async def test_bad_bookings_are_refused_with_clear_codes_and_write_nothing(
    booking: Booking, db: Database, manual_clock: clock.ManualClock
) -> None:
    other = await booking.practice.client(booking.coach, "Other")
    await booking.gql.data(
        "mutation($c: ID!, $s: ID!) { bookSession(clientId: $c, serviceId: $s, "
        'startsAt: "2026-03-03T14:00:00Z") { id } }',
        {"c": str(other.id), "s": booking.services[60]},
        booking.coach_token,
    )
    await booking.gql.data(
        f'mutation {{ archiveService(id: "{booking.services[45]}") {{ id }} }}',
        None,
        booking.coach_token,
    )
    before = await counts(db)
    now = manual_clock.now()
    cases = [
        (30, now - timedelta(days=1), "BAD_USER_INPUT"),  # in the past
        (30, now + timedelta(hours=1, minutes=45), "BAD_USER_INPUT"),  # under 2 hours ahead
        (30, at(5, 10), "BAD_USER_INPUT"),  # a Saturday: outside the hours
        (30, at(1, 16, 45), "BAD_USER_INPUT"),  # runs past 17:00
        (30, at(1, 14, 30), "CONFLICT"),  # overlaps the coach's session
        (45, at(1, 9), "BAD_USER_INPUT"),  # archived service
    ]
    for minutes, starts_at, code in cases:
        assert await booking.refused(minutes, starts_at) == code, (minutes, starts_at)
    assert await booking.refused(30, at(1, 9), booking.coach_token) == "FORBIDDEN"
    body = await booking.gql(BOOK_MINE, {"s": booking.services[30], "t": iso(at(1, 9))})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    body = await booking.gql(BOOK_MINE, {"s": "999999", "t": iso(at(1, 9))}, booking.prospect_token)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await booking.gql(
        BOOK_MINE, {"s": booking.services[30], "t": "2026-03-03T09:00:00"}, booking.prospect_token
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # no offset
    body = await booking.gql(
        BOOK_MINE,
        {"s": booking.services[30], "t": iso(at(1, 9)), "n": "x" * 5001},
        booking.prospect_token,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await counts(db) == before
