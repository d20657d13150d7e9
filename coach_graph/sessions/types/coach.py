"""The sessions domain's fields of a coach (the services one can book), and a coach as the
request's loaders find them."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Annotated

import strawberry

from coach_graph.accounts.models import User
from coach_graph.gql import GRAPH, Info, composed
from coach_graph.loaders import then
from coach_graph.sessions.catalog import load_bookable_services
from coach_graph.sessions.loaders import load_users
from coach_graph.sessions.types.catalog import Service

if TYPE_CHECKING:
    from coach_graph.graph import Coach

# The Coach node, composed in coach_graph/graph.py.
CoachNode = Annotated["Coach", strawberry.lazy(GRAPH)]


@strawberry.type
class SessionCoachFields:
    """The sessions domain's fields of Coach (graph.Coach)."""

    user_id: strawberry.Private[int]

    @strawberry.field(
        description="The services one can book with the coach (archived ones left out), "
        "shortest first."
    )
    async def services(self, info: Info) -> list[Service]:
        rows = await info.context.loaders(load_bookable_services).load(self.user_id)
        return [Service.of(row) for row in rows]


def coach_node(user: User) -> Coach:
    """The Coach node of a coach's user row."""
    node: type[Coach] = composed("Coach")
    return node.of(user)


def coach_of(info: Info, coach_id: int) -> Coach | Awaitable[Coach]:
    """The coach with that id, through the request's user loader (at once when primed)."""

    def build(user: User | None) -> Coach:
        assert user is not None  # sessions, links and conversations hold a foreign key to it
        return coach_node(user)

    return then(info.context.loaders.now_or_later(load_users, coach_id), build)
