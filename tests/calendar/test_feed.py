"""Calendar feeds (SPEC.md "Sessions", Calendar feed): a private iCalendar URL per person, read
back by real parsers (`icalendar`, `recurring-ical-events`), with the mails' UIDs, the join
link, no cancelled session, the 90-days-back-to-365-ahead window, ETag/304, 404 for unknown,
replaced or deleted secrets, and the secret stored only as its SHA-256."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import icalendar
import pytest
import recurring_ical_events
import sqlalchemy as sa

from coach_graph import clock
from coach_graph.config import Settings
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.mail.job import mail_sender
from coach_graph.outbox.service import drain
from tests.mail.conftest import MAIL_FROM, PRACTICE, SmtpTestServer
from tests.mail.test_smtp_delivery import invitation, mails_about
from tests.sessions.conftest import Scene, at, count_rows, iso

TEMPLATE = "https://video.brightpath.test/room/{room}"
CREATE = "mutation { createCalendarFeed { url createdAt } }"
DELETE = "mutation { deleteCalendarFeed }"
FEED = "{ calendarFeed { url createdAt } }"
CANCEL = "mutation($id: ID!) { cancelSession(id: $id) { id } }"
MOVE = "mutation($id: ID!, $t: DateTime!) { rescheduleSession(id: $id, startsAt: $t) { id } }"
JOIN_URL = "query($id: ID!) { session(id: $id) { joinUrl } }"


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpTestServer) -> Settings:
    return settings.with_(
        smtp=smtp_server.server,
        mail_from=MAIL_FROM,
        practice_name=PRACTICE,
        meeting_url_template=TEMPLATE,
    )


async def create_feed(scene: Scene, token: str) -> str:
    data = await scene.gql.data(CREATE, token=token)
    url: str = data["createCalendarFeed"]["url"]
    return url


async def fetch(http: httpx.AsyncClient, url: str, **headers: str) -> httpx.Response:
    return await http.get(httpx.URL(url).path, headers=headers)


def events_of(body: bytes) -> dict[str, Any]:
    """The feed's VEVENTs by UID, parsed by `icalendar`."""
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def uid(session: dict[str, Any]) -> str:
    return f"session-{session['id']}@brightpath.test"


async def test_a_coachs_feed_lists_their_sessions_as_a_real_parser_reads_them(
    scene: Scene, http: httpx.AsyncClient
) -> None:
    first = await scene.book(at(1, 9), 60, cn="Bring the workbook")
    pending = await scene.gql.data(  # the client's own booking: PENDING
        "mutation($s: ID!, $t: DateTime!) { bookMySession(serviceId: $s, startsAt: $t) { id } }",
        {"s": scene.services[30], "t": iso(at(2, 11))},
        scene.client_token,
    )
    cancelled = await scene.book(at(3, 9), 60)
    await scene.as_coach(CANCEL, id=cancelled["id"])

    url = await create_feed(scene, scene.coach_token)
    assert url.startswith("http://test/calendar/") and url.endswith(".ics")
    response = await fetch(http, url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"] == "private"
    assert response.headers["etag"].startswith('"')

    events = events_of(response.content)
    assert set(events) == {uid(first), f"session-{pending['bookMySession']['id']}@brightpath.test"}
    event = events[uid(first)]
    assert str(event["SUMMARY"]) == "60-minute session with Client Cleo"
    assert event.decoded("DTSTART") == at(1, 9) and event.decoded("DTEND") == at(1, 10)
    assert b"DTSTART:20260303T090000Z\r\n" in response.content  # times in UTC
    assert str(event["DESCRIPTION"]) == "Bring the workbook"
    link = (await scene.as_coach(JOIN_URL, id=first["id"]))["session"]["joinUrl"]
    assert str(event["LOCATION"]) == link
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(events[f"session-{pending['bookMySession']['id']}@brightpath.test"]["STATUS"]) == (
        "TENTATIVE"
    )
    # recurring-ical-events (what calendar tools use to expand feeds) finds them in a range.
    calendar = icalendar.Calendar.from_ical(response.content)
    found = recurring_ical_events.of(calendar).between(at(0, 0), at(7, 0))
    assert sorted(e.decoded("DTSTART") for e in found) == [at(1, 9), at(2, 11)]


async def test_a_clients_feed_lists_their_own_sessions_naming_the_coach(
    scene: Scene, http: httpx.AsyncClient
) -> None:
    mine = await scene.book(at(1, 9), 60)
    other = await scene.practice.client(scene.coach, "Other Olga")
    await scene.gql.data(
        "mutation($c: ID!, $s: ID!, $t: DateTime!) { bookSession(clientId: $c, serviceId: $s,"
        " startsAt: $t) { id } }",
        {"c": str(other.id), "s": scene.services[60], "t": iso(at(1, 13))},
        scene.coach_token,
    )
    url = await create_feed(scene, scene.client_token)
    events = events_of((await fetch(http, url)).content)
    assert list(events) == [uid(mine)]
    assert str(events[uid(mine)]["SUMMARY"]) == "60-minute session with Coach Carter"


async def test_feed_events_carry_the_uids_of_the_mails_invitations(
    scene: Scene,
    resources: Resources,
    smtp_server: SmtpTestServer,
    http: httpx.AsyncClient,
) -> None:
    booked = await scene.book(at(2, 9), 60)
    await drain(resources.db, mail_sender(resources.db, resources.settings))
    [mail] = mails_about(await smtp_server.mailbox.wait_for(1), booked["id"])
    _, invited = invitation(mail)
    for token in (scene.coach_token, scene.client_token):
        event = events_of((await fetch(http, await create_feed(scene, token))).content)
        assert str(invited["UID"]) in event
        assert str(event[str(invited["UID"])]["LOCATION"]) == str(invited["LOCATION"])


async def test_the_window_is_90_days_back_to_365_days_ahead(
    scene: Scene, http: httpx.AsyncClient, manual_clock: clock.ManualClock
) -> None:
    old = await scene.book(at(1, 9), 60)  # 91 days back once the clock moves
    recent = await scene.book(at(3, 9), 60)  # 89 days back
    near_end = await scene.book(at(92 + 364, 9), 60)  # 364 days ahead
    too_far = await scene.book(at(92 + 366, 9), 60)  # 366 days ahead
    url = await create_feed(scene, scene.coach_token)
    manual_clock.set(at(92, 9))
    events = events_of((await fetch(http, url)).content)
    assert set(events) == {uid(recent), uid(near_end)}
    assert uid(old) not in events and uid(too_far) not in events


async def test_an_unchanged_feed_is_304_and_a_change_makes_a_new_etag(
    scene: Scene, http: httpx.AsyncClient
) -> None:
    session = await scene.book(at(1, 9), 60)
    url = await create_feed(scene, scene.coach_token)
    first = await fetch(http, url)
    tag = first.headers["etag"]
    again = await fetch(http, url, **{"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag and again.headers["cache-control"] == "private"
    assert (await fetch(http, url)).content == first.content  # the same bytes each time

    await scene.as_coach(MOVE, id=session["id"], t=iso(at(1, 11)))
    moved = await fetch(http, url, **{"If-None-Match": tag})
    assert moved.status_code == 200 and moved.headers["etag"] != tag
    event = events_of(moved.content)[uid(session)]
    assert event.decoded("DTSTART") == at(1, 11) and int(event["SEQUENCE"]) == 1
    await scene.as_coach(CANCEL, id=session["id"])
    assert events_of((await fetch(http, url)).content) == {}


async def test_replaced_deleted_and_unknown_secrets_are_404(
    scene: Scene, http: httpx.AsyncClient
) -> None:
    old = await create_feed(scene, scene.coach_token)
    new = await create_feed(scene, scene.coach_token)
    assert old != new
    assert (await fetch(http, old)).status_code == 404
    assert (await fetch(http, new)).status_code == 200
    for path in ("/calendar/nothing.ics", "/calendar/" + "x" * 500 + ".ics"):
        response = await http.get(path)
        assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    assert (await scene.as_coach(DELETE))["deleteCalendarFeed"] is True
    assert (await fetch(http, new)).status_code == 404
    assert (await scene.as_coach(DELETE))["deleteCalendarFeed"] is False
    assert (await scene.as_coach(FEED))["calendarFeed"] is None


async def test_the_secret_is_shown_once_and_stored_only_as_its_hash(
    scene: Scene, db: Database, manual_clock: clock.ManualClock
) -> None:
    url = await create_feed(scene, scene.client_token)
    secret = httpx.URL(url).path.removeprefix("/calendar/").removesuffix(".ics")
    assert len(secret) >= 22  # at least 128 random bits, URL-safe base64
    shown = (await scene.as_client(FEED))["calendarFeed"]
    assert secret not in shown["url"] and shown["url"].endswith(".ics")
    assert shown["url"].startswith(f"http://test/calendar/{secret[:4]}")
    assert shown["createdAt"] == iso(manual_clock.now())
    async with db.session() as session:
        stored = (await session.execute(sa.text("SELECT * FROM calendar_feed"))).all()
    assert len(stored) == 1
    assert hashlib.sha256(secret.encode()).hexdigest() in stored[0]
    assert all(secret not in str(value) for value in stored[0])
    assert (await scene.as_coach(FEED))["calendarFeed"] is None  # each person their own


async def test_signed_out_requests_are_refused_and_write_nothing(
    scene: Scene, db: Database
) -> None:
    for mutation in (CREATE, DELETE, FEED):
        error = await scene.gql.error(mutation)
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert await count_rows(db, "calendar_feed") == 0


async def test_concurrent_creations_leave_one_working_url(
    scene: Scene, http: httpx.AsyncClient, db: Database
) -> None:
    results = await asyncio.gather(*(scene.gql(CREATE, token=scene.coach_token) for _ in range(8)))
    assert all(not r.get("errors") for r in results), results
    urls = [r["data"]["createCalendarFeed"]["url"] for r in results]
    statuses = [(await fetch(http, url)).status_code for url in urls]
    assert sorted(statuses) == [200] + [404] * 7
    assert await count_rows(db, "calendar_feed") == 1


async def test_many_concurrent_fetches_of_one_feed_answer_the_same_bytes(
    scene: Scene, http: httpx.AsyncClient
) -> None:
    for day in range(1, 5):
        await scene.book(at(day, 9), 60)
    url = await create_feed(scene, scene.coach_token)
    responses = await asyncio.gather(*(fetch(http, url) for _ in range(12)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert len(events_of(responses[0].content)) == 4


def test_a_deleted_clients_session_stays_in_the_coachs_feed_naming_no_one() -> None:
    """Rendering a coach's feed row whose client was deleted (no attendee, "Deleted Client")."""
    from coach_graph.calendar_feed.ics import EventCache, render
    from coach_graph.calendar_feed.service import FeedContent

    start = datetime(2026, 3, 3, 9, tzinfo=UTC)
    row = (7, start, start + timedelta(hours=1), "CONFIRMED", 2, start, None, "room", "Call",
           None, None)  # fmt: skip
    content = FeedContent("Coach Carter", "carter@example.test", True, [row])
    body = asyncio.run(
        render(content, domain="example.test", meeting_url_template="{room}", cache=EventCache())
    )
    (event,) = events_of(body).values()
    assert str(event["SUMMARY"]) == "Call with Deleted Client"
    assert "ATTENDEE" not in event and str(event["LOCATION"]) == "room"


async def test_names_and_notes_outside_ascii_come_back_whole_from_the_feed(
    scene: Scene, http: httpx.AsyncClient, resources: Resources
) -> None:
    """Accents, ß, Ł, CJK and emoji, long enough that the lines are folded (RFC 5545 folds at 75
    octets, never inside a character), read back by a real parser exactly as written."""
    from coach_graph.accounts.models import User

    name = "Émile Łukasz Straße 李小龍 🙂 " * 3
    notes = "Über das Gespräch 話し合い 🧘‍♀️ — " * 4
    async with resources.db.transaction() as session:
        await session.execute(
            sa.update(User).where(User.id == scene.client.id).values(name=name.strip())  # type: ignore[arg-type]
        )
    booked = await scene.book(at(1, 9), 60, cn=notes.strip())
    response = await fetch(http, await create_feed(scene, scene.coach_token))
    assert response.status_code == 200
    event = events_of(response.content)[uid(booked)]
    assert str(event["SUMMARY"]) == f"60-minute session with {name.strip()}"
    assert str(event["DESCRIPTION"]) == notes.strip()
    lines = response.content.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    for line in lines:  # folded between characters: each line is valid UTF-8 on its own
        line.decode("utf-8")
