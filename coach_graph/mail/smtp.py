"""The SMTP sender: an outbox `Sender` that composes each message and delivers it with
aiosmtplib over one connection per batch (reconnecting once when the server dropped it).

What a mail says is loaded when it is sent, not frozen at enqueue time: the people's names,
addresses and time zones and the session's time, notes, join link and invitation SEQUENCE as
they are now.
A mail held back while the mail server was down thus never announces a time that no longer
holds, and an older mail arriving late cannot roll a calendar back (it carries the newest
SEQUENCE). What belongs to the event itself (the previous time, a reason, an answer) is in the
outbox payload, written with the change; so is the recipient's address when the link to them
is about to go (a deleted client's cancellations). A 5xx reply is a permanent refusal (the
outbox gives the mail up), a 4xx a passing one (retried).
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
from coach_graph.outbox.service import ADDRESSED_TO, DeliveryUnavailable, MessageRefused
from coach_graph.sessions.access import meeting_link
from coach_graph.sessions.models import CoachingService, CoachingSession, SessionStatus

log = logging.getLogger("coach_graph.mail")

TIMEOUT_SECONDS = 30.0
LIVE = (SessionStatus.PENDING.value, SessionStatus.CONFIRMED.value)


def _name(user: User) -> str:
    return user.name or user.email.split("@")[0]


async def load_batch(
    db: Database, batch: list[OutboxMessage]
) -> tuple[dict[int, User], dict[int, tuple[CoachingSession, str]]]:
    """The people and sessions (with their service's name) of a batch of messages: the
    recipients and every session's coach and client, in three queries."""
    session_ids = {m.session_id for m in batch if m.session_id is not None}
    async with db.read() as session:
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
    return users, {s.id: (s, name) for s, name in rows if s.id is not None}


def addressee(payload: dict[str, object]) -> Recipient | None:
    """The recipient captured in the payload when the message was queued (see
    `outbox.service.addressed_to`), if any."""
    to = payload.get(ADDRESSED_TO)
    if not isinstance(to, dict) or not isinstance(to.get("email"), str):
        return None
    email: str = to["email"]
    name, zone = to.get("name"), to.get("time_zone")
    return Recipient(
        name if isinstance(name, str) and name else email.split("@")[0],
        email,
        zone if isinstance(zone, str) else "UTC",
    )


def _recipient(user: User) -> Recipient:
    return Recipient(_name(user), user.email, user.time_zone)


def session_mail(
    s: CoachingSession,
    service_name: str,
    users: dict[int, User],
    payload: dict[str, object],
    meeting_url_template: str,
) -> SessionMail | None:
    """The session as a mail about it tells of it: its invitation (the join link as the
    location) and whether it is still on. The client is the attendee; once the client was
    deleted, the one captured in the payload (None without one: no invitation to send)."""
    client = users.get(s.client_id) if s.client_id is not None else None
    attendee = _recipient(client) if client else addressee(payload)
    if s.id is None or attendee is None:
        return None
    coach = users[s.coach_id]
    invitation = Invitation(
        session_id=s.id,
        summary=f"{service_name} with {_name(coach)}",
        starts_at=s.starts_at,
        ends_at=s.ends_at,
        sequence=s.invite_sequence,
        organizer=Party(_name(coach), coach.email),
        attendee=Party(attendee.name, attendee.email),
        description=s.customer_notes,
        location=meeting_link(s, meeting_url_template),
    )
    return SessionMail(
        invitation, live=s.status in LIVE, cancelled=s.status == SessionStatus.CANCELLED
    )


def refusal(replies: list[tuple[int, str]]) -> MessageRefused:
    """The server's refusal of one mail: permanent when every reply is 5xx (a 4xx, or no
    proper reply, is worth another try)."""
    permanent = all(500 <= code < 600 for code, _ in replies)
    said = "; ".join(f"{code} {message}" for code, message in replies)
    verdict = "refused it" if permanent else "deferred it"
    return MessageRefused(f"the mail server {verdict}: {said}", permanent=permanent)


class SmtpSender:
    """Delivers outbox messages as mails through one SMTP server."""

    def __init__(
        self,
        db: Database,
        server: SmtpServer,
        letterhead: Letterhead,
        *,
        meeting_url_template: str,
    ) -> None:
        self.db = db
        self.server = server
        self.letterhead = letterhead
        self.meeting_url_template = meeting_url_template
        self._smtp: aiosmtplib.SMTP | None = None
        self._users: dict[int, User] = {}
        self._sessions: dict[int, tuple[CoachingSession, str]] = {}

    async def prepare(self, batch: list[OutboxMessage]) -> None:
        self._users, self._sessions = await load_batch(self.db, batch)

    async def send(self, message: OutboxMessage) -> None:
        user = self._users.get(message.recipient_id) if message.recipient_id else None
        to = _recipient(user) if user else addressee(message.payload)
        if to is None:  # the user was deleted and no address was captured: nobody to tell
            log.info("outbox message %s has no recipient any more; not mailed", message.id)
            return
        loaded = self._sessions.get(message.session_id) if message.session_id else None
        about = (
            session_mail(*loaded, self._users, message.payload, self.meeting_url_template)
            if loaded
            else None
        )
        mail = compose(
            MessageKind(message.kind),
            message.payload,
            to,
            about,
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
            except aiosmtplib.SMTPRecipientsRefused as exc:
                raise refusal([(r.code, r.message) for r in exc.recipients]) from None
            except aiosmtplib.SMTPResponseException as exc:  # the sender or the content refused
                raise refusal([(exc.code, exc.message)]) from None

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
