"""Messages between a coach and each linked client, whatever the consent.

A conversation is the coach-client link itself (its id is the link's id): one per pair, there
from the moment they are linked. A new message is stored, tells the recipient through their
inbox (one unread notification per conversation, `notify_of_conversation`) and is published on
`messageReceived` after the commit. A sender is held to BURST_LIMIT messages a minute per
conversation. Nobody else reads or posts: a conversation of someone else answers exactly like
one that does not exist.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from coach_graph import clock, events, feed, text
from coach_graph.accounts.models import Role, User
from coach_graph.auth import Viewer, require_viewer
from coach_graph.clients.access import linked
from coach_graph.clients.models import CoachClient
from coach_graph.db import Database, publish_after_commit
from coach_graph.errors import BadUserInput, NotFound, RateLimited, require_row
from coach_graph.loaders import by_key
from coach_graph.messages.events import MessageSent
from coach_graph.messages.models import Message
from coach_graph.notifications.service import notify_of_conversation, read_conversation
from coach_graph.pagination import Cursors, Keyset, Page, SortKey, page_size

MESSAGES_CHANNEL = "messages"
# How much of a message its notification (and mail) quotes.
PREVIEW = 280
# One person sends at most this many messages to one conversation within the window.
BURST_LIMIT = 30
BURST_WINDOW = timedelta(minutes=1)

NEWEST_FIRST = Keyset(
    SortKey(col(Message.sent_at), False, datetime),
    SortKey(col(Message.id), False, int),
)


@dataclass(frozen=True)
class ConversationView:
    """A conversation as one viewer sees it."""

    link: CoachClient
    client: User
    unread: int
    last_message_at: datetime | None

    @property
    def id(self) -> int:
        assert self.link.id is not None
        return self.link.id


def _own_links(viewer: Viewer) -> sa.ColumnElement[bool]:
    side = CoachClient.coach_id if viewer.is_coach else CoachClient.client_id
    return col(side) == viewer.id


def _views(viewer: Viewer) -> sa.Select[CoachClient, User, int, datetime | None]:
    """The viewer's conversations with their unread count and last message time (one query)."""
    stats = (
        sa.select(
            col(Message.conversation_id).label("conversation_id"),
            sa.func.count(
                sa.case(
                    (
                        sa.and_(
                            col(Message.recipient_id) == viewer.id, col(Message.read_at).is_(None)
                        ),
                        1,
                    )
                )
            ).label("unread"),
            sa.func.max(col(Message.sent_at)).label("last_at"),
        )
        .group_by(col(Message.conversation_id))
        .subquery("conversation_stats")
    )
    return (
        sa.select(
            CoachClient,
            User,
            sa.func.coalesce(stats.c.unread, 0),
            stats.c.last_at,
        )
        .join(User, col(User.id) == col(CoachClient.client_id))
        .outerjoin(stats, stats.c.conversation_id == col(CoachClient.id))
        .where(_own_links(viewer))
    )


def _view(row: sa.Row[CoachClient, User, int, datetime | None]) -> ConversationView:
    link, client, unread, last_at = row
    return ConversationView(link, client, int(unread), clock.as_utc(last_at) if last_at else None)


async def conversations(db: Database, viewer: Viewer | None) -> list[ConversationView]:
    """The viewer's conversations, the most recent first (those without messages last)."""
    viewer = require_viewer(viewer)
    last_at: sa.ColumnElement[datetime] = sa.literal_column("conversation_stats.last_at")
    query = _views(viewer).order_by(last_at.is_(None), last_at.desc(), col(CoachClient.id).desc())
    async with db.read() as session:
        return [_view(row) for row in (await session.execute(query)).all()]


def _counterpart(viewer: Viewer, client_id: int | None, coach_id: int | None) -> int:
    """The other side named the way the viewer must name it: a coach by `clientId`, a client
    by `coachId`."""
    wanted, other, name = (
        (client_id, coach_id, "clientId") if viewer.is_coach else (coach_id, client_id, "coachId")
    )
    if wanted is None or other is not None:
        raise BadUserInput(f"Name the other side of the conversation with `{name}` only.")
    return wanted


def _pair(viewer: Viewer, other_id: int) -> tuple[int, int]:
    return (viewer.id, other_id) if viewer.is_coach else (other_id, viewer.id)


async def conversation(
    db: Database, viewer: Viewer | None, client_id: int | None, coach_id: int | None
) -> ConversationView | None:
    """The conversation with one linked client (coach) or coach (client); None when unlinked."""
    viewer = require_viewer(viewer)
    coach, client = _pair(viewer, _counterpart(viewer, client_id, coach_id))
    query = _views(viewer).where(
        col(CoachClient.coach_id) == coach, col(CoachClient.client_id) == client
    )
    async with db.read() as session:
        row = (await session.execute(query)).first()
    return _view(row) if row is not None else None


async def own_conversation(db: Database, viewer: Viewer, conversation_id: int) -> ConversationView:
    """One of the viewer's conversations by id; NOT_FOUND for anyone else's."""
    async with db.read() as session:
        row = (
            await session.execute(_views(viewer).where(col(CoachClient.id) == conversation_id))
        ).first()
    if row is None:
        raise NotFound.of("conversation", conversation_id)
    return _view(row)


async def send_message(
    db: Database,
    viewer: Viewer | None,
    body: str,
    *,
    client_id: int | None = None,
    coach_id: int | None = None,
    mail_interval: timedelta,
) -> Message:
    """Send a message to the other side of a linked pair (1 to 5,000 characters after trimming);
    an unlinked or unknown person is NOT_FOUND, a sender over the burst limit RATE_LIMITED,
    and then nothing is written. The recipient's inbox gathers a conversation's unread
    messages in one notification, mailed at most once per `mail_interval`."""
    viewer = require_viewer(viewer)
    other = _counterpart(viewer, client_id, coach_id)
    trimmed = text.checked_text(body.strip(), "body", text.NOTES)
    if not trimmed:
        raise BadUserInput("`body` is empty: write something to send.", field="body")
    coach, client = _pair(viewer, other)
    async with db.transaction() as session:
        # The conversation's row lock (PostgreSQL; SQLite's writers take turns anyway): sends
        # to one conversation follow each other, so the burst count and the recipient's one
        # unread notification hold however many arrive at once.
        link = await session.scalar(linked(coach, client).with_for_update())
        if link is None:
            raise NotFound.of("coach" if viewer.is_client else "client", other)
        assert link.id is not None
        await _check_burst(session, link.id, viewer.id)
        message = Message(
            conversation_id=link.id,
            sender_id=viewer.id,
            recipient_id=other,
            sender_role=viewer.role.value,
            body=trimmed,
        )
        session.add(message)
        await session.flush()
        assert message.id is not None
        await _tell_recipient(session, viewer, message, mail_interval)
        events.record(session, MessageSent(message.id, link.id, coach, client, viewer.id, other))
    return message


async def _check_burst(session: AsyncSession, conversation_id: int, sender_id: int) -> None:
    """RATE_LIMITED once the sender sent BURST_LIMIT messages to the conversation within
    BURST_WINDOW; `retryAfter` is when the oldest of them leaves the window."""
    now = clock.now()
    oldest_counted = await session.scalar(
        sa.select(col(Message.sent_at))
        .where(
            col(Message.conversation_id) == conversation_id,
            col(Message.sender_id) == sender_id,
            col(Message.sent_at) > now - BURST_WINDOW,
        )
        .order_by(col(Message.sent_at).desc())
        .offset(BURST_LIMIT - 1)
        .limit(1)
    )
    if oldest_counted is not None:
        raise RateLimited.waiting(
            f"At most {BURST_LIMIT} messages a minute to one conversation: wait a little.",
            (clock.as_utc(oldest_counted) + BURST_WINDOW - now).total_seconds(),
        )


async def _tell_recipient(
    session: AsyncSession, sender: Viewer, message: Message, mail_interval: timedelta
) -> None:
    unread = int(
        await session.scalar(
            sa.select(sa.func.count()).where(
                col(Message.conversation_id) == message.conversation_id,
                col(Message.recipient_id) == message.recipient_id,
                col(Message.read_at).is_(None),
            )
        )
        or 0
    )
    name = sender.name or sender.email
    preview = message.body if len(message.body) <= PREVIEW else message.body[: PREVIEW - 1] + "…"
    if unread <= 1:
        title, body = f"New message from {name}", f"1 unread message from {name}: {preview}"
    else:
        title = f"{unread} new messages from {name}"
        body = f"{unread} unread messages from {name}; the latest: {preview}"
    await notify_of_conversation(
        session,
        message.recipient_id,
        message.conversation_id,
        {"message_id": message.id, "conversation_id": message.conversation_id},
        title=title,
        body=body,
        mail_interval=mail_interval,
    )
    publish_after_commit(
        session,
        MESSAGES_CHANNEL,
        {feed.RECIPIENT: message.recipient_id, "messageIds": [message.id]},
    )


@dataclass(frozen=True, slots=True)
class ConversationMessages:
    """One conversation's page of messages as a DataLoader key (the caller already found the
    conversation the viewer's). Conversations asked with the same size and cursor share one
    statement, ranked per conversation, so a list of conversations with their messages does
    not run a query per conversation."""

    conversation_id: int
    size: int
    after: tuple[Any, ...] | None

    @classmethod
    def of(
        cls, conversation_id: int, first: int | None, after: str | None, cursors: Cursors
    ) -> ConversationMessages:
        size = page_size(first, 30)
        return cls(conversation_id, size, NEWEST_FIRST.decode(after, cursors=cursors))

    def page(
        self, rows: Sequence[Message], count: Callable[[], Awaitable[int]], cursors: Cursors
    ) -> Page[Message]:
        return Keyset.page(
            rows, self.size, key=lambda m: (m.sent_at, m.id), count=count, cursors=cursors
        )


async def message_pages(db: Database, keys: list[ConversationMessages]) -> list[list[Message]]:
    """Batch: each key's page rows, newest first (one more than its size, to tell whether more
    follow): one statement per page shape (size and cursor), whatever the conversations."""
    groups: dict[tuple[int, tuple[Any, ...] | None], list[int]] = defaultdict(list)
    for k in keys:
        groups[(k.size, k.after)].append(k.conversation_id)
    found: dict[tuple[int, int, tuple[Any, ...] | None], list[Message]] = defaultdict(list)
    async with db.read() as session:
        for (size, after), conversation_ids in groups.items():
            conds = [col(Message.conversation_id).in_(conversation_ids)]
            if after is not None:
                conds.append(NEWEST_FIRST.after(after))
            rank = sa.func.row_number().over(
                partition_by=col(Message.conversation_id), order_by=NEWEST_FIRST.order_by()
            )
            ranked = sa.select(Message, rank.label("rank")).where(*conds).subquery()
            row = aliased(Message, ranked)
            result = await session.scalars(
                sa.select(row)
                .where(ranked.c.rank <= size + 1)
                .order_by(ranked.c.conversation_id, ranked.c.rank)
            )
            for message in result:
                found[(message.conversation_id, size, after)].append(message)
    return [found.get((k.conversation_id, k.size, k.after), []) for k in keys]


async def message_counts(db: Database, conversation_ids: list[int]) -> list[int]:
    """Batch: how many messages each conversation holds in all."""
    async with db.read() as session:
        rows = await session.execute(
            sa.select(col(Message.conversation_id), sa.func.count())
            .where(col(Message.conversation_id).in_(conversation_ids))
            .group_by(col(Message.conversation_id))
        )
        counts = {conversation_id: int(n) for conversation_id, n in rows.all()}
    return by_key(conversation_ids, counts, 0)


async def mark_conversation_read(
    db: Database, viewer: Viewer | None, conversation_id: int
) -> ConversationView:
    """Mark every message the viewer received in the conversation read."""
    viewer = require_viewer(viewer)
    async with db.transaction() as session:
        link = await session.scalar(
            sa.select(CoachClient).where(col(CoachClient.id) == conversation_id, _own_links(viewer))
        )
        if link is None:
            raise NotFound.of("conversation", conversation_id)
        await session.execute(
            sa.update(Message)
            .where(
                col(Message.conversation_id) == conversation_id,
                col(Message.recipient_id) == viewer.id,
                col(Message.read_at).is_(None),
            )
            .values(read_at=clock.now())
        )
        await read_conversation(session, viewer.id, conversation_id)
    return await own_conversation(db, viewer, conversation_id)


def sender_role(message: Message) -> Role:
    return Role(message.sender_role)


# ---------- the live feed ----------


def received_feed(db: Database, viewer: Viewer) -> feed.Source[Message]:
    """The messages the viewer receives, as a live feed source. An `afterId` must be a message
    they sent or received: `require_received` (NOT_FOUND otherwise, like an unknown one)."""
    return feed.of_recipient(MESSAGES_CHANNEL, "messageIds", db, viewer.id, Message)


async def require_received(db: Database, viewer: Viewer, message_id: int) -> None:
    """NOT_FOUND unless the viewer sent or received the message."""
    theirs = sa.select(col(Message.id)).where(
        col(Message.id) == message_id,
        sa.or_(col(Message.recipient_id) == viewer.id, col(Message.sender_id) == viewer.id),
    )
    async with db.read() as session:
        await require_row(session, theirs, "message", message_id)
