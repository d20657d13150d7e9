"""Outbox messages reach a real SMTP server (aiosmtpd on 127.0.0.1) as multipart mails with
iCalendar invitations; a mail server that is down loses nothing; racing senders send once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import icalendar
import sqlalchemy as sa

from coach_graph import clock
from coach_graph.db import Database
from coach_graph.outbox.models import OutboxMessage
from coach_graph.outbox.service import BACKOFF_MAX, drain
from coach_graph.outbox.status import outbox_counts
from tests.mail.conftest import PRACTICE, SmtpTestServer, smtp_sender
from tests.sessions.conftest import Scene, at, iso

MOVE = "mutation($id: ID!, $t: DateTime!) { rescheduleSession(id: $id, startsAt: $t) { id } }"
CANCEL = 'mutation($id: ID!) { cancelSession(id: $id, reason: "ill <today>") { id } }'
PRIVATE = "PRIVATE-NOTE: client struggles with anxiety"
JOIN_URL = "query($id: ID!) { session(id: $id) { joinUrl } }"


def parts(mail: EmailMessage) -> dict[str, EmailMessage]:
    return {p.get_content_type(): p for p in mail.walk() if not p.is_multipart()}


def invitation(mail: EmailMessage) -> tuple[str, icalendar.Event]:
    """The calendar part's METHOD and its one event."""
    part = parts(mail)["text/calendar"]
    cal = icalendar.Calendar.from_ical(part.get_content())
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    assert part.get_param("method") == cal["METHOD"]
    return str(cal["METHOD"]), events[0]


def mails_about(mails: list[EmailMessage], session_id: str) -> list[EmailMessage]:
    uid = f"session-{session_id}@brightpath.test"
    return [m for m in mails if "text/calendar" in parts(m) and invitation(m)[1]["UID"] == uid]


async def test_a_booking_mails_the_client_a_multipart_invitation_without_private_notes(
    scene: Scene, db: Database, smtp_server: SmtpTestServer
) -> None:
    notes = 'Bring your journal <b>& "goals"</b>'
    booked = await scene.book(at(3, 9), 60, cn=notes, pn=PRIVATE)
    report = await drain(db, smtp_sender(db, smtp_server))
    assert (report.sent, report.failed) == (1, 0)
    [mail] = await smtp_server.mailbox.wait_for(1)

    assert smtp_server.mailbox.recipients == [[scene.client.email]]
    assert mail["To"].addresses[0].addr_spec == scene.client.email
    assert mail["From"].addresses[0].addr_spec == "no-reply@brightpath.test"
    assert PRACTICE in mail["Subject"]
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["List-Unsubscribe"] is None
    assert mail.get_content_type() == "multipart/alternative"
    found = parts(mail)
    assert list(found) == ["text/plain", "text/html", "text/calendar"]
    text, page = found["text/plain"].get_content(), found["text/html"].get_content()
    assert notes in text and PRACTICE in text
    # HTML-escaped: the notes appear as text, never as markup.
    assert "Bring your journal &lt;b&gt;&amp; &quot;goals&quot;&lt;/b&gt;" in page
    assert "<b>&" not in page and PRACTICE in page

    method, event = invitation(mail)
    assert method == "REQUEST"
    assert str(event["UID"]) == f"session-{booked['id']}@brightpath.test"
    assert event.decoded("SEQUENCE") == 0
    start = event.decoded("DTSTART")
    assert start == at(3, 9) and start.tzinfo is not None and start.utcoffset() == timedelta(0)
    assert "DTSTART:20260305T090000Z" in found["text/calendar"].get_content()
    assert event.decoded("DTEND") == at(3, 10)
    assert str(event["DESCRIPTION"]) == notes
    assert str(event["ORGANIZER"]) == f"mailto:{scene.coach.email}"
    assert str(event["ATTENDEE"]) == f"mailto:{scene.client.email}"
    link = (await scene.as_client(JOIN_URL, id=booked["id"]))["session"]["joinUrl"]
    assert link and str(event["LOCATION"]) == link
    assert f"Join the session:\n{link}" in text.replace("\r\n", "\n")
    raw = b"".join(smtp_server.mailbox.raw)
    assert b"PRIVATE-NOTE" not in raw and b"anxiety" not in raw


async def test_a_move_keeps_the_uid_and_raises_the_sequence_and_a_cancel_removes_it(
    scene: Scene, db: Database, smtp_server: SmtpTestServer, manual_clock: clock.ManualClock
) -> None:
    sender = smtp_sender(db, smtp_server)
    booked = await scene.book(at(3, 9), 60, cn="Agenda", pn=PRIVATE)
    await drain(db, sender)
    await scene.as_coach(MOVE, id=booked["id"], t=iso(at(3, 11)))
    await drain(db, sender)
    await scene.as_coach(MOVE, id=booked["id"], t=iso(at(4, 10)))
    await drain(db, sender)
    await scene.as_coach(CANCEL, id=booked["id"])
    await drain(db, sender)
    mails = mails_about(await smtp_server.mailbox.wait_for(4), booked["id"])
    assert len(mails) == 4
    seen = [invitation(m) for m in mails]
    assert [m for m, _ in seen] == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
    assert [e.decoded("SEQUENCE") for _, e in seen] == [0, 1, 2, 3]
    assert [e.decoded("DTSTART") for _, e in seen] == [at(3, 9), at(3, 11), at(4, 10), at(4, 10)]
    assert {str(e["UID"]) for _, e in seen} == {f"session-{booked['id']}@brightpath.test"}
    assert "moved" in mails[1]["Subject"].lower() and "cancelled" in mails[3]["Subject"].lower()
    assert "ill <today>" in parts(mails[3])["text/plain"].get_content()
    assert "ill &lt;today&gt;" in parts(mails[3])["text/html"].get_content()
    # A reminder carries the same invitation again (same UID, same SEQUENCE).
    other = await scene.book(at(7, 9), 60)
    await scene.as_coach(MOVE, id=other["id"], t=iso(at(7, 11)))
    manual_clock.set(at(6, 11, 30))
    from coach_graph.sessions.reminders import queue_reminders

    assert await queue_reminders(db) == 1
    await drain(db, sender)
    reminder = (await smtp_server.mailbox.wait_for(7))[-1]
    assert "Reminder" in reminder["Subject"]
    method, event = invitation(reminder)
    assert (method, event.decoded("SEQUENCE")) == ("REQUEST", 1)
    assert str(event["UID"]) == f"session-{other['id']}@brightpath.test"
    assert b"PRIVATE-NOTE" not in b"".join(smtp_server.mailbox.raw)


async def _outbox(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        return list((await session.scalars(sa.select(OutboxMessage))).all())


async def test_a_mail_server_down_for_minutes_loses_nothing_and_sends_each_mail_once(
    scene: Scene,
    db: Database,
    smtp_server: SmtpTestServer,
    manual_clock: clock.ManualClock,
    http: Any,
) -> None:
    smtp_server.stop()
    first = await scene.book(at(3, 9), 60, cn="one")
    second = await scene.book(at(3, 11), 60)
    await scene.as_coach(MOVE, id=first["id"], t=iso(at(4, 9)))
    await scene.as_coach(CANCEL, id=second["id"])
    sender = smtp_sender(db, smtp_server)
    for round_ in range(3):  # the server stays down for several rounds, minutes apart
        if round_:
            manual_clock.advance(BACKOFF_MAX)
        report = await drain(db, sender)
        assert (report.sent, report.failed) == (0, 4)
    counts = await outbox_counts(db)
    assert (counts.pending, counts.retrying, counts.failed) == (4, 4, 0)
    metrics = (await http.get("/metrics")).text
    assert "coach_graph_outbox_pending 4.0" in metrics
    assert "coach_graph_outbox_failing 4.0" in metrics
    assert "coach_graph_outbox_failed 0.0" in metrics
    assert all(m.attempts == 3 and m.last_error for m in await _outbox(db))

    smtp_server.start()
    assert (await drain(db, sender)).sent == 0  # still inside the backoff
    manual_clock.advance(BACKOFF_MAX)  # the longest wait: never more than 5 minutes
    report = await drain(db, sender)
    assert (report.sent, report.failed) == (4, 0)
    manual_clock.advance(timedelta(hours=1))
    assert (await drain(db, sender)).sent == 0  # sent once, never again
    mails = await smtp_server.mailbox.wait_for(4)
    await asyncio.sleep(0.2)  # anything extra would have arrived by now
    ids = sorted(m["Message-ID"] for m in smtp_server.mailbox.mails)
    rows = await _outbox(db)
    assert ids == sorted(f"<outbox-{m.id}@brightpath.test>" for m in rows)
    assert all(m.sent_at is not None for m in rows)
    assert len(mails) == 4
    assert "coach_graph_outbox_pending 0.0" in (await http.get("/metrics")).text


async def test_two_senders_draining_the_same_outbox_deliver_each_mail_once(
    scene: Scene, db: Database, smtp_server: SmtpTestServer, database_url: str
) -> None:
    for day in (3, 4, 7, 8, 9):
        for hour in (9, 11, 13, 15):
            await scene.book(at(day, hour), 60)
    other_worker = Database(database_url)  # a second worker's own engine on the same database
    try:
        # Both connected before they start, as two running workers are: a fresh engine's first
        # connection (PostgreSQL's handshake) could otherwise let the first drain it all alone.
        for engine in (db.engine, other_worker.engine):
            async with engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
        reports = await asyncio.gather(
            drain(db, smtp_sender(db, smtp_server), batch=3),
            drain(other_worker, smtp_sender(other_worker, smtp_server), batch=3),
        )
    finally:
        await other_worker.dispose()
    assert sum(r.sent for r in reports) == 20
    assert all(r.sent > 0 for r in reports), reports  # both took part
    await smtp_server.mailbox.wait_for(20)
    await asyncio.sleep(0.2)
    ids = [m["Message-ID"] for m in smtp_server.mailbox.mails]
    assert len(ids) == 20 and len(set(ids)) == 20


async def test_times_in_the_text_are_in_the_recipients_time_zone(
    scene: Scene, db: Database, smtp_server: SmtpTestServer
) -> None:
    client = await scene.practice.client(scene.coach, "Berlin Bea", time_zone="Europe/Berlin")
    await scene.book(at(3, 9), 60, c=str(client.id))
    await drain(db, smtp_sender(db, smtp_server))
    [mail] = await smtp_server.mailbox.wait_for(1)
    assert smtp_server.mailbox.recipients == [[client.email]]
    # 09:00 UTC is 10:00 in Berlin in March (CET); the invitation stays in UTC.
    assert (
        "Thursday 05 March 2026, 10:00 (Europe/Berlin)" in parts(mail)["text/plain"].get_content()
    )
    assert invitation(mail)[1].decoded("DTSTART") == at(3, 9)
