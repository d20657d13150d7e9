"""GraphQL types and operations of the waitlist: `waitlist`, `joinWaitlist`, `leaveWaitlist`."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated

import strawberry

from coach_graph.gql import Info, parse_id
from coach_graph.loaders import then
from coach_graph.sessions.loaders import load_services
from coach_graph.sessions.models import CoachingService
from coach_graph.sessions.types.catalog import Service
from coach_graph.sessions.types.coach import CoachNode, coach_of
from coach_graph.waitlist import service


@strawberry.type(
    description="A client waiting for a time of a coach's service to open in a range (at "
    "most 14 days). Open until its client books with the coach inside the range, leaves, or "
    "the range passes."
)
class WaitlistEntry:
    id: strawberry.ID = strawberry.field(description="The entry's id (`leaveWaitlist`).")
    from_: datetime = strawberry.field(name="from", description="The range's start (included).")
    to: datetime = strawberry.field(description="The range's end (excluded).")
    created_at: datetime = strawberry.field(description="When the client joined.")
    client_name: str = strawberry.field(description="The waiting client's name (or e-mail).")
    coach_id: strawberry.Private[int]
    service_id: strawberry.Private[int]

    @classmethod
    def of(cls, waiting: service.Waiting) -> WaitlistEntry:
        entry = waiting.entry
        return cls(
            id=strawberry.ID(str(entry.id)),
            from_=entry.starts_at,
            to=entry.ends_at,
            created_at=entry.created_at,
            client_name=waiting.client_name,
            coach_id=entry.coach_id,
            service_id=entry.service_id,
        )

    @strawberry.field(
        description="The coach whose time the client waits for.", graphql_type=CoachNode
    )
    def coach(self, info: Info) -> CoachNode | Awaitable[CoachNode]:
        return coach_of(info, self.coach_id)

    @strawberry.field(description="The service the client wants to book.", graphql_type=Service)
    def service(self, info: Info) -> Service | Awaitable[Service]:
        def build(row: CoachingService | None) -> Service:
            assert row is not None  # an entry holds a foreign key to its service
            return Service.of(row)

        return then(info.context.loaders.now_or_later(load_services, self.service_id), build)


@strawberry.type
class Query:
    @strawberry.field(
        description="Open waitlist entries, earliest range first: a coach the entries for "
        "them, a client their own."
    )
    async def waitlist(self, info: Info) -> list[WaitlistEntry]:
        rows = await service.waitlist(info.context.db, info.context.viewer)
        return [WaitlistEntry.of(w) for w in rows]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Wait for a time of a coach's service to open (client, or a signed-up "
        "prospect): a range ending in the future, at most 14 days long. When a time in it "
        "becomes free you are told (WAITLIST_SLOT_OPENED); the first to book it gets it. One "
        "entry per coach, service and overlapping range (CONFLICT)."
    )
    async def join_waitlist(
        self,
        info: Info,
        coach_id: Annotated[strawberry.ID, strawberry.argument(description="The coach's id.")],
        service_id: Annotated[
            strawberry.ID, strawberry.argument(description="One of the coach's services.")
        ],
        from_: Annotated[
            datetime, strawberry.argument(name="from", description="The range's start.")
        ],
        to: Annotated[
            datetime,
            strawberry.argument(description="The range's end (at most 14 days after `from`)."),
        ],
    ) -> WaitlistEntry:
        waiting = await service.join_waitlist(
            info.context.db,
            info.context.viewer,
            parse_id(coach_id, "coach"),
            parse_id(service_id, "service"),
            from_,
            to,
        )
        return WaitlistEntry.of(waiting)

    @strawberry.mutation(description="Leave one of your open waitlist entries (client).")
    async def leave_waitlist(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The entry's id.")],
    ) -> bool:
        return await service.leave_waitlist(
            info.context.db, info.context.viewer, parse_id(id, "waitlist entry")
        )
