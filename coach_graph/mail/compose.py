"""Mails composed from outbox messages: multipart text + HTML, in a transactional style (no
List-Unsubscribe, `Auto-Submitted: auto-generated`), signed with the practice's name, and for a
session a text/calendar part. Only what the recipient may read goes in: customer notes, never
private notes (the composer is not even given them)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from coach_graph.clock import local_time
from coach_graph.mail.calendar import Invitation, Method, calendar_part
from coach_graph.outbox.models import MessageKind

# The kinds whose mail carries the session's invitation while the session is on.
INVITING = frozenset(
    {
        MessageKind.SESSION_BOOKED,
        MessageKind.SESSION_RESCHEDULED,
        MessageKind.REMINDER_24H,
        MessageKind.REMINDER_1H,
    }
)


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    time_zone: str = "UTC"


@dataclass(frozen=True)
class SessionMail:
    """A session as a mail tells of it: its invitation and whether it is still on."""

    invitation: Invitation
    live: bool  # PENDING or CONFIRMED: a REQUEST may be sent, the join link is shown
    cancelled: bool


@dataclass(frozen=True)
class Letterhead:
    """Who the mail comes from: MAIL_FROM and the practice's name."""

    sender: Address
    practice: str

    @property
    def domain(self) -> str:
        return self.sender.domain or "localhost"


def _parse(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _lines(
    kind: MessageKind, payload: dict[str, object], session: SessionMail | None, tz: str
) -> tuple[str, list[str]]:
    """The subject and the paragraphs of one kind of mail."""
    what = session.invitation.summary if session else "your session"
    when = local_time(session.invitation.starts_at, tz) if session else ""
    reason = payload.get("reason")
    because = [f"Reason: {reason}"] if isinstance(reason, str) and reason else []
    if kind == MessageKind.SESSION_BOOKED:
        return f"Session booked: {when}", [f"{what} is booked for {when}."]
    if kind == MessageKind.REMINDER_24H:
        return f"Reminder: your session tomorrow, {when}", [f"{what} starts in 24 hours: {when}."]
    if kind == MessageKind.REMINDER_1H:
        return f"Reminder: your session starts in 1 hour, {when}", [f"{what} starts at {when}."]
    if kind == MessageKind.SESSION_RESCHEDULED:
        previous = _parse(payload.get("previous_starts_at"))
        moved = f" from {local_time(previous, tz)}" if previous else ""
        return f"Session moved to {when}", [f"{what} was moved{moved} to {when}.", *because]
    if kind == MessageKind.SESSION_CANCELLED:
        return f"Session cancelled: {when}", [f"{what} on {when} was cancelled.", *because]
    if kind == MessageKind.RESCHEDULE_ANSWERED:
        status = str(payload.get("status", "")).lower()
        verdict = {"approved": "approved", "rejected": "declined"}.get(status, status)
        stays = f"The session is on {when}." if session else ""
        return f"Your reschedule request was {verdict}", [
            f"Your request to move {what} was {verdict}.",
            stays,
            *because,
        ]
    if kind == MessageKind.REVIEW_INVITATION:
        return f"How was your session on {when}?", [
            f"Your coach would like to hear how {what} on {when} went: you can rate it in the app."
        ]
    # Other kinds (a reschedule request, a new message) are worded by the inbox's notification.
    title, body = payload.get("title"), payload.get("body")
    if isinstance(title, str) and isinstance(body, str):
        return title, [body]
    return "A message about your sessions", [f"There is news about {what}."]


def compose(
    kind: MessageKind,
    payload: dict[str, object],
    recipient: Recipient,
    session: SessionMail | None,
    letterhead: Letterhead,
    now: datetime,
    outbox_id: int,
) -> EmailMessage:
    """The mail for one outbox message. Its Message-ID is derived from the outbox row, so a
    retried delivery carries the same one and mail systems can recognise a duplicate."""
    subject, paragraphs = _lines(kind, payload, session, recipient.time_zone)
    paragraphs = [p for p in paragraphs if p]
    extra: list[tuple[str, str]] = []
    if session and session.invitation.description:
        extra.append(("Notes from your coach", session.invitation.description))
    if session and session.invitation.location and session.live:
        extra.append(("Join the session", session.invitation.location))
    greeting = f"Hello {recipient.name},"
    footer = (
        f"{letterhead.practice}\n"
        "An automatic message about your coaching sessions; replies to it are not read."
    )

    text = "\n\n".join(
        [greeting, *paragraphs, *(f"{label}:\n{value}" for label, value in extra), "-- ", footer]
    )
    e = html.escape
    body = "".join(f"<p>{e(p)}</p>" for p in [greeting, *paragraphs])
    body += "".join(
        f"<p><strong>{e(label)}:</strong><br>{e(value).replace(chr(10), '<br>')}</p>"
        for label, value in extra
    )
    body += f'<hr><p style="color:#666">{e(footer).replace(chr(10), "<br>")}</p>'
    html_doc = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{e(subject)}</title></head>'
        f"<body>{body}</body></html>"
    )

    mail = EmailMessage()
    mail["Subject"] = f"{subject} | {letterhead.practice}"
    mail["From"] = letterhead.sender
    mail["To"] = Address(display_name=recipient.name, addr_spec=recipient.email)
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = f"<outbox-{outbox_id}@{letterhead.domain}>"
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(text)
    mail.add_alternative(html_doc, subtype="html")
    method = _method(kind, payload, session)
    if session and method:
        ical = calendar_part(session.invitation, method, domain=letterhead.domain, stamp=now)
        mail.add_alternative(ical, subtype="calendar", params={"method": method.value})
    return mail


def _method(
    kind: MessageKind, payload: dict[str, object], session: SessionMail | None
) -> Method | None:
    """REQUEST while the session is on (booked, moved, reminded, a move approved), CANCEL for
    its cancellation, nothing otherwise (e.g. a review invitation)."""
    if session is None:
        return None
    if kind == MessageKind.SESSION_CANCELLED:
        return Method.CANCEL
    approved = kind == MessageKind.RESCHEDULE_ANSWERED and payload.get("status") == "APPROVED"
    if session.live and (kind in INVITING or approved):
        return Method.REQUEST
    return None
