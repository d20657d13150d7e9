"""GraphQL types and operations of the inbox: `notifications`, `markNotificationsRead` and the
live `notificationCreated` feed."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from coach_graph import feed
from coach_graph.auth import Viewer, require_viewer
from coach_graph.gql import (
    GRAPH,
    Connection,
    Edge,
    Info,
    PageInfo,
    composed,
    enum,
    parse_id,
    parse_optional_id,
)
from coach_graph.notifications import service
from coach_graph.notifications.models import Notification as NotificationRow
from coach_graph.notifications.models import NotificationKind

if TYPE_CHECKING:
    from coach_graph.graph import Notification

# The Notification node, composed in coach_graph/graph.py (sessions adds its `session`).
NotificationNode = Annotated["Notification", strawberry.lazy(GRAPH)]

enum(
    NotificationKind,
    "What a notification tells.",
    {
        NotificationKind.SESSION_BOOKED: "A session was booked with the viewer.",
        NotificationKind.SESSION_RESCHEDULED: "A session was moved to another time.",
        NotificationKind.SESSION_CANCELLED: "A session was cancelled.",
        NotificationKind.SESSION_REMINDER: "A session starts in 24 hours or in 1 hour.",
        NotificationKind.RESCHEDULE_REQUESTED: "The client asks to move a session (to the coach).",
        NotificationKind.RESCHEDULE_ANSWERED: "The coach answered a reschedule request.",
        NotificationKind.REVIEW_REQUESTED: "The coach invites the client to rate a session.",
        NotificationKind.MESSAGE_RECEIVED: "A new message in one of the viewer's conversations.",
        NotificationKind.WAITLIST_SLOT_OPENED: "A time opened on a coach's waitlist the viewer "
        "is on (first to book it wins).",
        NotificationKind.WEBHOOK_DISABLED: "One of the coach's webhooks failed for three days "
        "and was turned off.",
    },
)


@strawberry.type
class NotificationFields:
    """The notifications domain's fields of Notification (graph.Notification)."""

    id: strawberry.ID = strawberry.field(description="The notification's id.")
    kind: NotificationKind = strawberry.field(description="What it tells.")
    title: str = strawberry.field(description="A short headline.")
    body: str = strawberry.field(description="The notification's text.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    read_at: datetime | None = strawberry.field(
        description="When the viewer read it; null: unread."
    )
    session_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, row: NotificationRow) -> Self:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=NotificationKind(row.kind),
            title=row.title,
            body=row.body,
            created_at=row.created_at,
            read_at=row.read_at,
            session_id=row.session_id,
        )


def notification_node(row: NotificationRow) -> Notification:
    """The Notification node of an inbox row."""
    node: type[Notification] = composed("Notification")
    return node.of(row)


@strawberry.type(description="A page of the viewer's notifications, newest first.")
class NotificationConnection:
    edges: list[Edge[NotificationNode]] = strawberry.field(
        description="The notifications of this page, newest first."
    )
    page_info: PageInfo = strawberry.field(description="Whether and where the list goes on.")
    unread_count: int = strawberry.field(description="How many of the viewer's are unread.")
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many notifications the whole list holds (all pages).")
    async def total_count(self) -> int:
        return await self._count()

    @classmethod
    def of(cls, inbox: service.Inbox) -> NotificationConnection:
        page = Connection.of(inbox.page, notification_node)
        return cls(
            edges=page.edges,
            page_info=page.page_info,
            unread_count=inbox.unread,
            _count=inbox.page.count,
        )


def _follow(
    info: Info, viewer: Viewer, after_id: int | None
) -> AsyncGenerator[NotificationNode, None]:
    context = info.context
    db = context.db
    source = service.notification_feed(db, viewer)
    check = (
        None
        if after_id is None
        else partial(service.require_own_notification, db, viewer, after_id)
    )

    def deliver(row: NotificationRow) -> Notification:
        context.fresh_loaders()  # the connection lives long: its session field loads afresh
        return notification_node(row)

    return feed.follow(db, context.resources.realtime, source, after_id, deliver, check)


@strawberry.type
class Query:
    @strawberry.field(description="The viewer's notifications, newest first.")
    async def notifications(
        self,
        info: Info,
        unread_only: Annotated[
            bool | None, strawberry.argument(description="Only the unread ones.")
        ] = False,
        first: Annotated[
            int | None, strawberry.argument(description="Page size (at most 100).")
        ] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="The cursor of the last notification seen.")
        ] = None,
    ) -> NotificationConnection:
        inbox = await service.inbox(
            info.context.db, info.context.viewer, bool(unread_only), first, after
        )
        return NotificationConnection.of(inbox)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Mark the viewer's notifications read: those named, or all without `ids`. "
        "Returns how many changed; an id that is not the viewer's is NOT_FOUND and marks nothing."
    )
    async def mark_notifications_read(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description="The notifications to mark; none given: all."),
        ] = None,
    ) -> int:
        parsed = None if ids is None else [parse_id(i, "notification") for i in ids]
        return await service.mark_read(info.context.db, info.context.viewer, parsed)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The viewer's new notifications. With `afterId`, those created after that "
        "one are sent first (oldest first), then live ones, with no gap and no duplicate."
    )
    def notification_created(
        self,
        info: Info,
        after_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The id of the last notification the viewer saw."),
        ] = None,
    ) -> AsyncGenerator[NotificationNode, None]:
        viewer = require_viewer(info.context.viewer)
        return _follow(info, viewer, parse_optional_id(after_id, "notification"))
