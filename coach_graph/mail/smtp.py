"""The SMTP sender: an outbox `Sender` that composes each message and delivers it with
aiosmtplib over one connection per batch (reconnecting once when the server dropped it).

What a mail says is loaded when it is sent, not frozen at enqueue time: the people's names,
addresses and time zones and the session's time, notes and invitation SEQUENCE as they are now.
A mail held back while the mail server was down thus never announces a time that no longer
holds, and an older mail arriving late cannot roll a calendar back (it carries the newest
SEQUENCE). What belongs to the event itself (the previous time, a reason, an answer) is in the
outbox payload, written with the change.
"""

from __future__ import annotations

import logging
import ssl
from email.message import EmailMessage

import aiosmtplib
import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.db import Database
from coach_graph.mail.calendar import Invitation, Party
from coach_graph.mail.compose import Letterhead, Recipient, SessionMail, compose
from coach_graph.mail.server import SmtpServer
from coach_graph.outbox.models import MessageKind, OutboxMessage
from coach_graph.outbox.service import DeliveryUnavailable
from coach_graph.sessions.models import CoachingService, CoachingSession, SessionStatus

log = logging.getLogger("coach_graph.mail")

TIMEOUT_SECONDS = 30.0
LIVE = (SessionStatus.PENDING.value, SessionStatus.CONFIRMED.value)


def _name(user: User) -> str:
    return user.name or user.email.split("@")[0]


async def load_batch(
    db: Database, batch: list[OutboxMessage]
) -> tuple[dict[int, User], dict[int, SessionMail]]:
    """The recipients and sessions of a batch of messages, in three queries."""
    session_ids = {m.session_id for m in batch if m.session_id is not None}
    async with db.session() as session:
        rows = (
            await session.execute(
                sa.select(CoachingSession, col(CoachingService.name))
                .join(CoachingService, col(CoachingService.id) == col(CoachingSession.service_id))
                .where(col(CoachingSession.id).in_(session_ids))
            )
        ).all()
        user_ids = {m.recipient_id for m in batch if m.recipient_id is not None}
        user_ids |= {u for s, _ in rows for u in (s.coach_id, s.client_id) if u is not None}
        users = {
            u.id: u
            for u in await session.scalars(sa.select(User).where(col(User.id).in_(user_ids)))
            if u.id is not None
        }
    sessions: dict[int, SessionMail] = {}
    for s, service_name in rows:
        if s.id is None or s.client_id is None:  # a deleted client: no invitation to send
            continue
        coach, client = users[s.coach_id], users[s.client_id]
        invitation = Invitation(
            session_id=s.id,
            summary=f"{service_name} with {_name(coach)}",
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            sequence=s.invite_sequence,
            organizer=Party(_name(coach), coach.email),
            attendee=Party(_name(client), client.email),
            description=s.customer_notes,
            location=None,  # the session's join link, once sessions have one
        )
        sessions[s.id] = SessionMail(
            invitation, live=s.status in LIVE, cancelled=s.status == SessionStatus.CANCELLED
        )
    return users, sessions


class SmtpSender:
    """Delivers outbox messages as mails through one SMTP server."""

    def __init__(self, db: Database, server: SmtpServer, letterhead: Letterhead) -> None:
        self.db = db
        self.server = server
        self.letterhead = letterhead
        self._smtp: aiosmtplib.SMTP | None = None
        self._users: dict[int, User] = {}
        self._sessions: dict[int, SessionMail] = {}

    async def prepare(self, batch: list[OutboxMessage]) -> None:
        self._users, self._sessions = await load_batch(self.db, batch)

    async def send(self, message: OutboxMessage) -> None:
        recipient = self._users.get(message.recipient_id) if message.recipient_id else None
        if recipient is None:  # the user was deleted: nobody to tell
            log.info("outbox message %s has no recipient any more; not mailed", message.id)
            return
        mail = compose(
            MessageKind(message.kind),
            message.payload,
            Recipient(_name(recipient), recipient.email, recipient.time_zone),
            self._sessions.get(message.session_id) if message.session_id else None,
            self.letterhead,
            clock.now(),
            outbox_id=message.id or 0,
        )
        await self._deliver(mail)

    async def _deliver(self, mail: EmailMessage) -> None:
        for attempt in (1, 2):
            smtp = await self._connection()
            try:
                await smtp.send_message(mail)
                return
            except aiosmtplib.SMTPServerDisconnected:
                # An idle connection the server closed: once more on a fresh one.
                self._smtp = None
                if attempt == 2:
                    raise DeliveryUnavailable("the mail server closed the connection") from None

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        server = self.server
        smtp = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.use_tls,
            start_tls=server.start_tls,
            timeout=TIMEOUT_SECONDS,
            tls_context=ssl.create_default_context()
            if server.use_tls or server.start_tls
            else None,
        )
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError, OSError) as exc:
            raise DeliveryUnavailable(f"cannot reach {server.host}:{server.port}: {exc}") from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise DeliveryUnavailable(f"the mail server refused the login: {exc.code}") from exc
        self._smtp = smtp
        return smtp

    async def close(self) -> None:
        self._users, self._sessions = {}, {}
        smtp, self._smtp = self._smtp, None
        if smtp is None or not smtp.is_connected:
            return
        try:
            await smtp.quit()
        except aiosmtplib.SMTPException:
            smtp.close()
        except BaseException:  # cancelled while saying goodbye: never leave the socket open
            smtp.close()
            raise
