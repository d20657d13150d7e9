"""GraphQL types and operations of messages: conversations, `sendMessage`,
`markConversationRead` and the live `messageReceived` feed."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable
from datetime import datetime
from functools import partial
from typing import Annotated

import strawberry

from coach_graph import feed
from coach_graph.accounts.models import Role
from coach_graph.auth import Viewer, require_viewer
from coach_graph.gql import Connection, Info, parse_id, parse_optional_id
from coach_graph.messages import service
from coach_graph.messages.models import Message as MessageRow
from coach_graph.sessions.types.coach import CoachNode, coach_of


@strawberry.type(description="One message of a conversation.")
class Message:
    id: strawberry.ID = strawberry.field(description="The message's id.")
    sent_at: datetime = strawberry.field(description="When it was sent.")
    sender_role: Role = strawberry.field(description="Whether the coach or the client wrote it.")
    body: str = strawberry.field(description="The text (1 to 5,000 characters).")
    read_at: datetime | None = strawberry.field(
        description="When the recipient read it; null while unread."
    )

    @classmethod
    def of(cls, row: MessageRow) -> Message:
        return cls(
            id=strawberry.ID(str(row.id)),
            sent_at=row.sent_at,
            sender_role=service.sender_role(row),
            body=row.body,
            read_at=row.read_at,
        )


@strawberry.type(description="The conversation of a coach and one linked client.")
class Conversation:
    id: strawberry.ID = strawberry.field(
        description="The conversation's id (`id` of `markConversationRead`)."
    )
    client_name: str = strawberry.field(description="The client's name (or e-mail).")
    client_email: str | None = strawberry.field(description="The client's e-mail.")
    unread_count: int = strawberry.field(description="Messages the viewer has not read yet.")
    last_message_at: datetime | None = strawberry.field(
        description="When the newest message was sent; null before the first."
    )
    coach_id: strawberry.Private[int]

    @classmethod
    def of(cls, view: service.ConversationView) -> Conversation:
        return cls(
            id=strawberry.ID(str(view.id)),
            client_name=view.client.name or view.client.email,
            client_email=view.client.email,
            unread_count=view.unread,
            last_message_at=view.last_message_at,
            coach_id=view.link.coach_id,
        )

    @strawberry.field(description="The coach of the conversation.", graphql_type=CoachNode)
    def coach(self, info: Info) -> CoachNode | Awaitable[CoachNode]:
        return coach_of(info, self.coach_id)

    @strawberry.field(description="The messages, newest first.")
    async def messages(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="Page size (at most 100).")
        ] = 30,
        after: Annotated[
            str | None, strawberry.argument(description="The cursor of the last message seen.")
        ] = None,
    ) -> Connection[Message]:
        cursors = info.context.db.cursors
        key = service.ConversationMessages.of(int(self.id), first, after, cursors)
        loaders = info.context.loaders
        rows = await loaders(service.message_pages).load(key)

        async def count() -> int:
            return await loaders(service.message_counts).load(key.conversation_id)

        return Connection.of(key.page(rows, count, cursors), Message.of)


def _follow(info: Info, viewer: Viewer, after_id: int | None) -> AsyncGenerator[Message, None]:
    db = info.context.db
    source = service.received_feed(db, viewer)
    check = None if after_id is None else partial(service.require_received, db, viewer, after_id)
    return feed.follow(db, info.context.resources.realtime, source, after_id, Message.of, check)


def _id(value: strawberry.ID | None, what: str) -> int | None:
    return parse_optional_id(value, what)


@strawberry.type
class Query:
    @strawberry.field(description="The viewer's conversations, the most recent first.")
    async def conversations(self, info: Info) -> list[Conversation]:
        views = await service.conversations(info.context.db, info.context.viewer)
        return [Conversation.of(v) for v in views]

    @strawberry.field(
        description="The conversation with one linked client (a coach passes `clientId`) or "
        "coach (a client passes `coachId`); null when not linked."
    )
    async def conversation(
        self,
        info: Info,
        client_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The client (for a coach).")
        ] = None,
        coach_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The coach (for a client).")
        ] = None,
    ) -> Conversation | None:
        view = await service.conversation(
            info.context.db, info.context.viewer, _id(client_id, "client"), _id(coach_id, "coach")
        )
        return Conversation.of(view) if view else None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Send a message to a linked client (a coach passes `clientId`) or coach (a "
        "client passes `coachId`): 1 to 5,000 characters after trimming. At most 30 a minute "
        "to one conversation: more are RATE_LIMITED with `extensions.retryAfter` (seconds)."
    )
    async def send_message(
        self,
        info: Info,
        body: Annotated[str, strawberry.argument(description="The text, 1 to 5,000 characters.")],
        client_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The client (for a coach).")
        ] = None,
        coach_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The coach (for a client).")
        ] = None,
    ) -> Message:
        row = await service.send_message(
            info.context.db,
            info.context.viewer,
            body,
            client_id=_id(client_id, "client"),
            coach_id=_id(coach_id, "coach"),
            mail_interval=info.context.settings.message_mail_interval,
        )
        return Message.of(row)

    @strawberry.mutation(description="Mark every message the viewer received in it read.")
    async def mark_conversation_read(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The conversation.")],
    ) -> Conversation:
        view = await service.mark_conversation_read(
            info.context.db, info.context.viewer, parse_id(id, "conversation")
        )
        return Conversation.of(view)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The viewer's new messages from the other side of any of their "
        "conversations. With `afterId`, those received after that one are sent first (oldest "
        "first), then live ones, with no gap and no duplicate."
    )
    def message_received(
        self,
        info: Info,
        after_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The id of the last message the viewer saw."),
        ] = None,
    ) -> AsyncGenerator[Message, None]:
        viewer = require_viewer(info.context.viewer)
        return _follow(info, viewer, parse_optional_id(after_id, "message"))
