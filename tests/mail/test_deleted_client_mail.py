"""Deleting a client mails them a cancellation (METHOD:CANCEL) for each upcoming session the
deletion cancelled, before their address is forgotten (SPEC "Messages and notifications"); past
sessions are not mailed."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.db import Database
from coach_graph.notifications.models import Notification
from coach_graph.outbox.models import MessageKind, OutboxMessage
from coach_graph.outbox.service import drain
from tests.mail.conftest import SmtpTestServer, smtp_sender
from tests.mail.test_smtp_delivery import invitation, parts
from tests.sessions.conftest import Scene, at

DELETE = "mutation($id: ID!) { deleteClient(id: $id) }"
BOOK_PENDING = """mutation($c: ID!, $s: ID!) { bookSession(clientId: $c, serviceId: $s,
  startsAt: "2026-03-06T11:00:00Z", status: PENDING) { id } }"""


async def _book_three(scene: Scene) -> tuple[str, str, str]:
    """One session that will be past, one CONFIRMED and one PENDING upcoming."""
    past = (await scene.book(at(1, 10), 60))["id"]
    confirmed = (await scene.book(at(3, 9), 60, cn="Agenda"))["id"]
    pending = (await scene.as_coach(BOOK_PENDING, c=str(scene.client.id), s=scene.services[30]))[
        "bookSession"
    ]["id"]
    return past, confirmed, pending


async def _cancellations_queued(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        rows = await session.scalars(
            sa.select(OutboxMessage)
            .where(
                col(OutboxMessage.kind) == MessageKind.SESSION_CANCELLED.value,
                col(OutboxMessage.sent_at).is_(None),
            )
            .order_by(col(OutboxMessage.id))
        )
        return list(rows.all())


async def test_deleting_a_client_mails_a_cancel_for_each_upcoming_session_and_none_for_past(
    scene: Scene, db: Database, smtp_server: SmtpTestServer, manual_clock: clock.ManualClock
) -> None:
    past, confirmed, pending = await _book_three(scene)
    sender = smtp_sender(db, smtp_server)
    assert (await drain(db, sender)).sent == 3  # the three booking invitations
    manual_clock.set(at(2, 9))  # the first session is over (still CONFIRMED: not cancelled)

    assert await scene.as_coach(DELETE, id=str(scene.client.id)) == {"deleteClient": True}
    # Queued in the deletion's own transaction, with the client's inbox notifications.
    queued = await _cancellations_queued(db)
    assert sorted(str(m.session_id) for m in queued) == sorted([confirmed, pending])
    async with db.session() as session:
        told = (
            await session.scalars(
                sa.select(Notification).where(
                    col(Notification.recipient_id) == scene.client.id,
                    col(Notification.kind) == "SESSION_CANCELLED",
                )
            )
        ).all()
    assert sorted(str(n.session_id) for n in told) == sorted([confirmed, pending])

    report = await drain(db, sender)
    assert (report.sent, report.failed) == (2, 0)
    mails = (await smtp_server.mailbox.wait_for(5))[3:]
    assert smtp_server.mailbox.recipients[3:] == [[scene.client.email]] * 2
    seen = {str(invitation(m)[1]["UID"]): (m, *invitation(m)) for m in mails}
    assert set(seen) == {f"session-{sid}@brightpath.test" for sid in (confirmed, pending)}
    for mail, method, event in seen.values():
        assert method == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
        assert event.decoded("SEQUENCE") == 1  # above the booking's REQUEST
        assert str(event["ATTENDEE"]) == f"mailto:{scene.client.email}"
        assert str(event["ORGANIZER"]) == f"mailto:{scene.coach.email}"
        assert "cancelled" in mail["Subject"].lower()
        assert "Client deleted" in parts(mail)["text/plain"].get_content()
    _, _, confirmed_event = seen[f"session-{confirmed}@brightpath.test"]
    assert confirmed_event.decoded("DTSTART") == at(3, 9)
    assert f"session-{past}@brightpath.test" not in seen


async def test_the_cancellations_reach_the_client_even_once_their_account_is_gone(
    scene: Scene, db: Database, smtp_server: SmtpTestServer
) -> None:
    booked = await _book_three(scene)  # all three upcoming: the clock stays at T0
    sender = smtp_sender(db, smtp_server)
    await drain(db, sender)
    await scene.as_coach(DELETE, id=str(scene.client.id))
    async with db.transaction() as session:  # the account (and its address) is forgotten
        await session.execute(sa.delete(User).where(col(User.id) == scene.client.id))
    assert [m.recipient_id for m in await _cancellations_queued(db)] == [None] * 3

    assert (await drain(db, sender)).sent == 3
    mails = (await smtp_server.mailbox.wait_for(6))[3:]
    assert smtp_server.mailbox.recipients[3:] == [[scene.client.email]] * 3
    assert all(m["To"].addresses[0].display_name == "Client Cleo" for m in mails)
    assert all(invitation(m)[0] == "CANCEL" for m in mails)
    uids = {str(invitation(m)[1]["UID"]) for m in mails}
    assert uids == {f"session-{sid}@brightpath.test" for sid in booked}
