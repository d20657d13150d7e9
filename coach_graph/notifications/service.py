"""The inbox: `notify` is the one way the product tells a person something.

In the caller's transaction it writes the notification, queues its mail in the outbox and asks
for `notificationCreated` to be published once the transaction commits (stored first, published
second; a rollback tells nobody anything).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock, feed
from coach_graph.accounts.models import User
from coach_graph.auth import Viewer, require_viewer
from coach_graph.db import Database, publish_after_commit
from coach_graph.errors import NotFound, require_row
from coach_graph.notifications.models import Notification, NotificationKind
from coach_graph.outbox.models import MessageKind
from coach_graph.outbox.service import enqueue, enqueue_once
from coach_graph.pagination import Keyset, Page, SortKey, page_size

NOTIFICATIONS_CHANNEL = "notifications"
TITLE_LIMIT = 300

# The inbox kind of each kind of outbox mail (reminders are one kind in the inbox).
KIND_OF: dict[MessageKind, NotificationKind] = {
    MessageKind.SESSION_BOOKED: NotificationKind.SESSION_BOOKED,
    MessageKind.SESSION_RESCHEDULED: NotificationKind.SESSION_RESCHEDULED,
    MessageKind.SESSION_CANCELLED: NotificationKind.SESSION_CANCELLED,
    MessageKind.REMINDER_24H: NotificationKind.SESSION_REMINDER,
    MessageKind.REMINDER_1H: NotificationKind.SESSION_REMINDER,
    MessageKind.RESCHEDULE_REQUESTED: NotificationKind.RESCHEDULE_REQUESTED,
    MessageKind.RESCHEDULE_ANSWERED: NotificationKind.RESCHEDULE_ANSWERED,
    MessageKind.REVIEW_INVITATION: NotificationKind.REVIEW_REQUESTED,
    MessageKind.MESSAGE_RECEIVED: NotificationKind.MESSAGE_RECEIVED,
    MessageKind.WAITLIST_SLOT_OPENED: NotificationKind.WAITLIST_SLOT_OPENED,
    MessageKind.WEBHOOK_DISABLED: NotificationKind.WEBHOOK_DISABLED,
}

NEWEST_FIRST = Keyset(
    SortKey(col(Notification.created_at), False, datetime),
    SortKey(col(Notification.id), False, int),
)


def _when(payload: dict[str, Any], time_zone: str) -> str:
    starts = payload.get("starts_at")
    if not isinstance(starts, str):
        return "your session"
    return f"the session of {clock.local_time(datetime.fromisoformat(starts), time_zone)}"


def wording(kind: MessageKind, payload: dict[str, Any], time_zone: str) -> tuple[str, str]:
    """The title and body of a notification about a session, from its outbox payload, with
    its time in the recipient's time zone."""
    what = _when(payload, time_zone)
    opening = what[:1].upper() + what[1:]  # not str.capitalize: it would lower "March" too
    reason = payload.get("reason")
    because = f" Reason: {reason}" if isinstance(reason, str) and reason else ""
    if kind == MessageKind.SESSION_BOOKED:
        return "Session booked", f"{opening} is booked."
    if kind in (MessageKind.REMINDER_24H, MessageKind.REMINDER_1H):
        ahead = "24 hours" if kind == MessageKind.REMINDER_24H else "1 hour"
        return "Session reminder", f"{opening} starts in {ahead}."
    if kind == MessageKind.SESSION_RESCHEDULED:
        return "Session moved", f"A session was moved to {what.removeprefix('the session of ')}."
    if kind == MessageKind.SESSION_CANCELLED:
        return "Session cancelled", f"{opening} was cancelled.{because}"
    if kind == MessageKind.RESCHEDULE_REQUESTED:
        return "Reschedule requested", f"Your client asks to move {what}.{because}"
    if kind == MessageKind.RESCHEDULE_ANSWERED:
        verdict = {"APPROVED": "approved", "REJECTED": "declined"}.get(
            str(payload.get("status")), "answered"
        )
        return f"Reschedule request {verdict}", f"Your request to move {what} was {verdict}."
    if kind == MessageKind.REVIEW_INVITATION:
        return "How was your session?", f"Your coach would like you to rate {what}."
    return "News", f"There is news about {what}."


async def time_zone_of(session: AsyncSession, person_id: int) -> str:
    """The time zone a person reads times in (from the transaction's identity map when the
    caller loaded them already)."""
    person = await session.get(User, person_id)
    return person.time_zone if person is not None else "UTC"


async def local_time_of(session: AsyncSession, person_id: int, moment: datetime) -> str:
    """`moment` as `person_id` reads it: their local time, naming their time zone (the one way
    a caller words a time in a notification's own title or body)."""
    return clock.local_time(moment, await time_zone_of(session, person_id))


async def notify(
    session: AsyncSession,
    recipient_id: int | None,
    kind: MessageKind,
    payload: dict[str, Any],
    *,
    session_id: int | None = None,
    title: str | None = None,
    body: str | None = None,
    once_for: datetime | None = None,
) -> Notification | None:
    """Tell `recipient_id` something, inside the caller's transaction: the inbox row, its mail
    in the outbox, and `notificationCreated` after the commit. Title and body default to the
    wording of `kind` (from `payload`). Nothing when there is no recipient (a deleted client).

    With `once_for` (a reminder: the session's start time it announces) the person is told only
    if nothing of that kind was queued for that session and start yet, however many workers try.
    """
    if recipient_id is None:
        return None
    if once_for is not None:
        assert session_id is not None
        if not await enqueue_once(
            session, kind, recipient_id, payload, session_id=session_id, for_starts_at=once_for
        ):
            return None
    default_title, default_body = "", ""
    if not title or body is None:
        default_title, default_body = wording(
            kind, payload, await time_zone_of(session, recipient_id)
        )
    notification = Notification(
        recipient_id=recipient_id,
        kind=KIND_OF[kind].value,
        title=(title or default_title)[:TITLE_LIMIT],
        body=body if body is not None else default_body,
        session_id=session_id,
    )
    session.add(notification)
    await session.flush()
    if once_for is None:
        enqueue(
            session,
            kind,
            recipient_id,
            {**payload, "title": notification.title, "body": notification.body},
            session_id=session_id,
        )
    publish_after_commit(
        session,
        NOTIFICATIONS_CHANNEL,
        {feed.RECIPIENT: recipient_id, "notificationIds": [notification.id]},
    )
    return notification


async def notify_of_conversation(
    session: AsyncSession,
    recipient_id: int,
    conversation_id: int,
    payload: dict[str, Any],
    *,
    title: str,
    body: str,
    mail_interval: timedelta,
) -> None:
    """Tell `recipient_id` of news in a conversation (a new message), inside the caller's
    transaction, which holds the conversation's lock (`messages.send_message` does): two
    concurrent senders would otherwise both find no unread notification and add one each.

    One unread notification per conversation and recipient: while it is unread, news rewrites
    its title and body (it is not pushed again: `notificationCreated` tells of new
    notifications, the news itself goes live on its own feed); once read, the next news makes a
    new one. Its mail is queued only if none of this conversation was queued for the recipient
    within `mail_interval`.
    """
    ours = sa.and_(
        col(Notification.recipient_id) == recipient_id,
        col(Notification.conversation_id) == conversation_id,
    )
    last_mail = await session.scalar(
        sa.select(sa.func.max(col(Notification.mailed_at))).where(ours)
    )
    now = clock.now()
    mail = last_mail is None or clock.as_utc(last_mail) + mail_interval <= now
    title = title[:TITLE_LIMIT]
    news: dict[str, Any] = {"title": title, "body": body}
    if mail:
        news["mailed_at"] = now
    # Guarded by `read_at IS NULL` in the UPDATE itself: a notification read meanwhile (the
    # recipient's own transaction) is left alone and the news gets a new one.
    rewritten = (
        await session.execute(
            sa.update(Notification)
            .where(ours, col(Notification.read_at).is_(None))
            .values(**news)
            .returning(col(Notification.id))
        )
    ).all()
    if not rewritten:
        notification = Notification(
            recipient_id=recipient_id,
            kind=NotificationKind.MESSAGE_RECEIVED.value,
            conversation_id=conversation_id,
            **news,
        )
        session.add(notification)
        await session.flush()
        publish_after_commit(
            session,
            NOTIFICATIONS_CHANNEL,
            {feed.RECIPIENT: recipient_id, "notificationIds": [notification.id]},
        )
    if mail:
        told = {**payload, "title": title, "body": body}
        enqueue(session, MessageKind.MESSAGE_RECEIVED, recipient_id, told)


async def read_conversation(session: AsyncSession, recipient_id: int, conversation_id: int) -> None:
    """The recipient read the conversation: its notification is read too (it would otherwise
    keep counting messages they have seen)."""
    await session.execute(
        sa.update(Notification)
        .where(
            col(Notification.recipient_id) == recipient_id,
            col(Notification.conversation_id) == conversation_id,
            col(Notification.read_at).is_(None),
        )
        .values(read_at=clock.now())
    )


# ---------- the inbox ----------


@dataclass
class Inbox:
    """A page of the viewer's notifications and their unread count."""

    page: Page[Notification]
    unread: int


def _mine(viewer: Viewer) -> sa.ColumnElement[bool]:
    return col(Notification.recipient_id) == viewer.id


async def unread_count(db: Database, viewer: Viewer) -> int:
    async with db.read() as session:
        count = await session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(_mine(viewer), col(Notification.read_at).is_(None))
        )
    return int(count or 0)


async def inbox(
    db: Database, viewer: Viewer | None, unread_only: bool, first: int | None, after: str | None
) -> Inbox:
    """The viewer's notifications, newest first (unread ones only on request)."""
    viewer = require_viewer(viewer)
    size = page_size(first, 20)
    condition = _mine(viewer)
    if unread_only:
        condition = sa.and_(condition, col(Notification.read_at).is_(None))
    query = NEWEST_FIRST.select(
        sa.select(Notification).where(condition), after, size, cursors=db.cursors
    )
    async with db.read() as session:
        rows = list((await session.scalars(query)).all())

    async def count() -> int:
        async with db.read() as session:
            total = await session.scalar(
                sa.select(sa.func.count()).select_from(Notification).where(condition)
            )
        return int(total or 0)

    page = Keyset.page(
        rows, size, key=lambda n: (n.created_at, n.id), count=count, cursors=db.cursors
    )
    return Inbox(page, await unread_count(db, viewer))


async def mark_read(db: Database, viewer: Viewer | None, ids: Sequence[int] | None) -> int:
    """Mark the viewer's notifications read (`ids`, or all when None); how many changed.
    An id that is not the viewer's is NOT_FOUND, and then nothing is marked."""
    viewer = require_viewer(viewer)
    async with db.transaction() as session:
        condition = sa.and_(_mine(viewer), col(Notification.read_at).is_(None))
        if ids is not None:
            wanted = set(ids)
            own = set(
                (
                    await session.scalars(
                        sa.select(col(Notification.id)).where(
                            _mine(viewer), col(Notification.id).in_(wanted)
                        )
                    )
                ).all()
            )
            missing = sorted(wanted - own)
            if missing:
                raise NotFound.of("notification", missing[0])
            condition = sa.and_(condition, col(Notification.id).in_(wanted))
        result = await session.execute(
            sa.update(Notification).where(condition).values(read_at=clock.now())
        )
    return int(getattr(result, "rowcount", 0) or 0)


# ---------- the live feed ----------


def notification_feed(db: Database, viewer: Viewer) -> feed.Source[Notification]:
    """The viewer's notifications as a live feed source. An `afterId` must be one of theirs:
    `require_own_notification` (NOT_FOUND otherwise, like an unknown one)."""
    return feed.of_recipient(NOTIFICATIONS_CHANNEL, "notificationIds", db, viewer.id, Notification)


async def require_own_notification(db: Database, viewer: Viewer, notification_id: int) -> None:
    """NOT_FOUND unless the notification is the viewer's."""
    mine = sa.select(col(Notification.id)).where(
        _mine(viewer), col(Notification.id) == notification_id
    )
    async with db.read() as session:
        await require_row(session, mine, "notification", notification_id)
