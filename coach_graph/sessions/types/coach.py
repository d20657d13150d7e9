"""GraphQL type of a coach as their clients (and, later, visitors of their booking page) see
them: name, time zone and the services one can book."""

from __future__ import annotations

from collections.abc import Awaitable

import strawberry

from coach_graph.accounts.models import User
from coach_graph.gql import Info
from coach_graph.loaders import then
from coach_graph.sessions.catalog import load_bookable_services
from coach_graph.sessions.loaders import load_users
from coach_graph.sessions.types.catalog import Service


@strawberry.type(description="A coach as clients see them: name, time zone, bookable services.")
class Coach:
    id: strawberry.ID = strawberry.field(
        description="The coach's id: the `coachId` that setConsent and a booking page take."
    )
    name: str | None = strawberry.field(description="The coach's name; null when not given.")
    time_zone: str = strawberry.field(
        description="The IANA time zone the coach's hours and calendar days are in."
    )
    user_id: strawberry.Private[int]

    @classmethod
    def of(cls, user: User) -> Coach:
        assert user.id is not None
        return cls(
            id=strawberry.ID(str(user.id)),
            name=user.name,
            time_zone=user.time_zone,
            user_id=user.id,
        )

    @strawberry.field(
        description="The services one can book with the coach (archived ones left out), "
        "shortest first."
    )
    async def services(self, info: Info) -> list[Service]:
        rows = await info.context.loaders(load_bookable_services).load(self.user_id)
        return [Service.of(row) for row in rows]


def coach_of(info: Info, coach_id: int) -> Coach | Awaitable[Coach]:
    """The coach with that id, through the request's user loader (at once when primed)."""

    def build(user: User | None) -> Coach:
        assert user is not None  # sessions, links and conversations hold a foreign key to it
        return Coach.of(user)

    return then(info.context.loaders.now_or_later(load_users, coach_id), build)
