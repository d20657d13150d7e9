"""GraphQL types and operations for clients as their coach (or they themselves) see them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from coach_graph.clients import service
from coach_graph.clients.service import ClientView
from coach_graph.gql import Connection, Info, parse_id
from coach_graph.sessions.types import SessionClientFields


@strawberry.type
class ClientFields:
    """The clients domain's own fields of Client."""

    id: strawberry.ID
    name: str | None
    email: str
    avatar_url: str | None
    is_premium: bool
    last_active_at: datetime | None = strawberry.field(
        description="When the client last used the app (updated at most once a minute)."
    )
    view: strawberry.Private[ClientView]


# Every domain contributes its fields of Client as a base class here (see DEVELOPING.md).
@strawberry.type(description="A client, as the viewing coach (or the client themself) sees them.")
class Client(ClientFields, SessionClientFields):
    @classmethod
    def of(cls, view: ClientView) -> Client:
        c = view.client
        return cls(
            id=strawberry.ID(str(c.id)),
            name=c.name,
            email=c.email,
            avatar_url=c.avatar_url,
            is_premium=c.is_premium,
            last_active_at=c.last_active_at,
            view=view,
        )


@strawberry.type
class Query:
    @strawberry.field(
        description="The coach's clients with consent GRANTED, by name; `search` matches name or "
        "e-mail (case-insensitive substring)."
    )
    async def clients(
        self,
        info: Info,
        search: str | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Client]:
        page = await service.list_clients(
            info.context.db, info.context.viewer, search, first, after
        )
        return Connection.of(page, Client.of)

    @strawberry.field(description="One client, or null when there is none the viewer may see.")
    async def client(self, info: Info, id: strawberry.ID) -> Client | None:
        view = await service.find_visible_client(
            info.context.db, info.context.viewer, parse_id(id, "client")
        )
        return Client.of(view) if view else None
