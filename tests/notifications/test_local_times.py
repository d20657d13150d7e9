"""Times told to a person are their own local time, naming their zone, never bare UTC (SPEC
"Messages and notifications"): a client in Asia/Tokyo and a coach in America/New_York book,
confirm, move, cancel, are reminded and answer reschedule requests, and each reads every time
in their own zone, in the inbox, in the mail (through a real SMTP server) and, for the coach,
in the reschedule request's alert."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.alerts.models import Alert
from coach_graph.db import Database
from coach_graph.outbox.service import drain
from coach_graph.sessions.reminders import queue_reminders
from tests.conftest import GraphQLClient, Practice
from tests.mail.conftest import SmtpTestServer, smtp_sender
from tests.mail.conftest import smtp_server as smtp_server
from tests.sessions.conftest import BOOK, SERVICES, at, iso

TOKYO, NEW_YORK = "(Asia/Tokyo)", "(America/New_York)"
INBOX = "{ notifications(first: 50) { edges { node { kind title body } } } }"
MOVE = """mutation($id: ID!, $t: DateTime!) {
  rescheduleSession(id: $id, startsAt: $t, reason: "Travel") { id }
}"""
CANCEL = 'mutation($id: ID!) { cancelSession(id: $id, reason: "Ill") { id } }'
CONFIRM = "mutation($id: ID!) { updateSessionStatus(id: $id, status: CONFIRMED) { id } }"
REQUEST = """mutation($id: ID!, $t: DateTime!) {
  requestReschedule(sessionId: $id, startsAt: $t, reason: "Exam") { id status }
}"""
ANSWER = """mutation($id: ID!) {
  respondToRescheduleRequest(id: $id, approve: true) { id status }
}"""
SELF_BOOK = """mutation($s: ID!, $t: DateTime!) {
  bookMySession(serviceId: $s, startsAt: $t) { id status }
}"""
CANCEL_MINE = 'mutation($id: ID!) { cancelMySession(sessionId: $id, reason: "Flu") { id } }'


async def bodies(gql: GraphQLClient, token: str) -> list[str]:
    """The person's notifications, oldest first, as "title | body"."""
    edges = (await gql.data(INBOX, token=token))["notifications"]["edges"]
    return [f"{e['node']['title']} | {e['node']['body']}" for e in reversed(edges)]


def readable(mail: EmailMessage) -> str:
    """What a person reads of a mail: its subject and its plain text."""
    text = mail.get_body(preferencelist=("plain",))
    assert text is not None
    return f"{mail['Subject']}\n{text.get_content()}"


async def test_each_person_reads_every_time_in_their_own_zone(
    gql: GraphQLClient,
    practice: Practice,
    db: Database,
    manual_clock: clock.ManualClock,
    smtp_server: SmtpTestServer,
) -> None:
    coach = await practice.coach("Coach Carter", time_zone="America/New_York")
    client = await practice.client(coach, "Client Cleo", time_zone="Asia/Tokyo")
    coach_token, client_token = await practice.token(coach), await practice.token(client)
    services = (await gql.data(SERVICES, token=coach_token))["services"]
    hour = next(s["id"] for s in services if s["durationMinutes"] == 60)
    mails: list[EmailMessage] = []

    async def send_mail() -> None:
        report = await drain(db, smtp_sender(db, smtp_server))
        assert report.failed == 0
        mails[:] = await smtp_server.mailbox.wait_for(len(mails) + report.sent)

    async def as_coach(query: str, **variables: Any) -> dict[str, Any]:
        return await gql.data(query, variables, coach_token)

    async def as_client(query: str, **variables: Any) -> dict[str, Any]:
        return await gql.data(query, variables, client_token)

    # T0 is Monday 2 March 2026, 10:00 UTC. New York is UTC-5 that week, Tokyo UTC+9. Each
    # step's mail leaves before the next step (as it would, within seconds).
    # The coach books Thursday 15:00 UTC, moves it to 16:30; the client moves it (far ahead:
    # at once) to 18:00; the coach cancels it.
    first = (await as_coach(BOOK, c=str(client.id), s=hour, t=iso(at(3, 15))))["bookSession"]
    await send_mail()
    await as_coach(MOVE, id=first["id"], t=iso(at(3, 16, 30)))
    await send_mail()
    moved = await as_client(REQUEST, id=first["id"], t=iso(at(3, 18)))
    assert moved["requestReschedule"]["status"] == "APPROVED"
    await send_mail()
    await as_coach(CANCEL, id=first["id"])
    await send_mail()
    # The client books Wednesday 14:00 UTC for themselves; the coach confirms it.
    second = (await as_client(SELF_BOOK, s=hour, t=iso(at(2, 14))))["bookMySession"]
    await send_mail()
    await as_coach(CONFIRM, id=second["id"])
    await send_mail()
    # 46 hours ahead: the client's request waits for the coach, who approves it (16:00 UTC).
    manual_clock.set(at(0, 16))
    request = (await as_client(REQUEST, id=second["id"], t=iso(at(2, 16))))["requestReschedule"]
    assert request["status"] == "PENDING"
    await send_mail()
    await as_coach(ANSWER, id=request["id"])
    await send_mail()
    manual_clock.set(at(1, 16))  # 24 hours before the session
    assert await queue_reminders(db) == 1
    await send_mail()
    await as_client(CANCEL_MINE, id=second["id"])
    await send_mail()

    assert await bodies(gql, client_token) == [
        "Session booked | The session of Friday 06 March 2026, 00:00 (Asia/Tokyo) is booked.",
        "Session moved | A session was moved to Friday 06 March 2026, 01:30 (Asia/Tokyo).",
        "Session cancelled | The session of Friday 06 March 2026, 03:00 (Asia/Tokyo) was "
        "cancelled. Reason: Ill",
        "Session confirmed | Your coach confirmed the session of Wednesday 04 March 2026, "
        "23:00 (Asia/Tokyo).",
        "Reschedule request approved | Your request to move the session of Thursday 05 March "
        "2026, 01:00 (Asia/Tokyo) was approved.",
        "Session reminder | The session of Thursday 05 March 2026, 01:00 (Asia/Tokyo) starts "
        "in 24 hours.",
        "Session cancelled | The session of Thursday 05 March 2026, 01:00 (Asia/Tokyo) was "
        "cancelled. Reason: Flu",
    ]
    assert await bodies(gql, coach_token) == [
        "Session moved | A session was moved to Thursday 05 March 2026, 13:00 (America/New_York).",
        "New booking to confirm | Client Cleo booked 60-minute session on Wednesday 04 March "
        "2026, 09:00 (America/New_York); confirm or cancel it.",
        "Reschedule requested | Your client asks to move the session of Wednesday 04 March "
        "2026, 09:00 (America/New_York). Reason: Exam",
        "Session cancelled | The session of Wednesday 04 March 2026, 11:00 (America/New_York) "
        "was cancelled. Reason: Flu",
    ]
    async with db.session() as session:
        [alert] = (
            await session.scalars(sa.select(Alert).where(col(Alert.coach_id) == coach.id))
        ).all()
    assert alert.message == (
        "Client Cleo asks to move the session of Wednesday 04 March 2026, 09:00 "
        "(America/New_York) to Wednesday 04 March 2026, 11:00 (America/New_York); answer before "
        "Wednesday 04 March 2026, 09:00 (America/New_York)."
    )

    def read_by(person: User) -> list[str]:
        return [readable(m) for m in mails if m["To"].addresses[0].addr_spec == person.email]

    to_client, to_coach = read_by(client), read_by(coach)
    assert len(to_client) == 7 and len(to_coach) == 4
    for text, own, other in [(t, TOKYO, NEW_YORK) for t in to_client] + [
        (t, NEW_YORK, TOKYO) for t in to_coach
    ]:
        assert own in text and other not in text and "UTC" not in text, text
    assert "Session booked: Friday 06 March 2026, 00:00 (Asia/Tokyo)" in to_client[0]
    assert "Session moved to Friday 06 March 2026, 01:30 (Asia/Tokyo)" in to_client[1]
    assert (
        "was moved from Friday 06 March 2026, 00:00 (Asia/Tokyo) to Friday 06 March 2026, "
        "01:30 (Asia/Tokyo)." in to_client[1]
    )
    assert "Session cancelled: Friday 06 March 2026, 03:00 (Asia/Tokyo)" in to_client[2]
    assert "Session booked: Wednesday 04 March 2026, 23:00 (Asia/Tokyo)" in to_client[3]
    assert "The session is on Thursday 05 March 2026, 01:00 (Asia/Tokyo)." in to_client[4]
    assert "starts in 24 hours: Thursday 05 March 2026, 01:00 (Asia/Tokyo)." in to_client[5]
    assert "Session cancelled: Thursday 05 March 2026, 01:00 (Asia/Tokyo)" in to_client[6]
    assert "Session moved to Thursday 05 March 2026, 13:00 (America/New_York)" in to_coach[0]
    assert "Session booked: Wednesday 04 March 2026, 09:00 (America/New_York)" in to_coach[1]
    assert to_coach[2].startswith("Reschedule requested | ")
    assert "move the session of Wednesday 04 March 2026, 09:00 (America/New_York)" in to_coach[2]
    assert "Session cancelled: Wednesday 04 March 2026, 11:00 (America/New_York)" in to_coach[3]
