"""GraphQL types and operations for clients as their coach (or they themselves) see them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from coach_graph import clock
from coach_graph.clients import access, service
from coach_graph.clients.access import ClientView
from coach_graph.clients.activity import ActivityLevel, activity_level, days_inactive
from coach_graph.clients.models import ConsentStatus
from coach_graph.clients.service import AttentionItem, ConsentItem
from coach_graph.clients.service import CoachLink as CoachLinkItem
from coach_graph.gql import GRAPH, After, Connection, Info, PageSize, composed, enum, parse_id

if TYPE_CHECKING:
    from coach_graph.graph import Client, Coach

enum(
    ConsentStatus,
    "A client's consent for one coach to see their shared data.",
    {
        ConsentStatus.GRANTED: "The coach sees the client's data (journal, homework, surveys...).",
        ConsentStatus.PENDING: "Not decided yet (the default when a client is linked).",
        ConsentStatus.DECLINED: "The client said no: their data stays hidden from the coach.",
    },
)
enum(
    ActivityLevel,
    "When the client was last active, in the viewer's calendar days.",
    {
        ActivityLevel.ACTIVE: "Today or yesterday.",
        ActivityLevel.RECENT: "2 to 5 days ago.",
        ActivityLevel.INACTIVE: "More than 5 days ago.",
        ActivityLevel.NEVER: "Never used the app.",
    },
)


@strawberry.type
class ClientFields:
    """The clients domain's own fields of Client."""

    id: strawberry.ID = strawberry.field(description="The client's id.")
    name: str | None = strawberry.field(description="The client's name; null when not given.")
    email: str = strawberry.field(description="The client's e-mail.")
    avatar_url: str | None = strawberry.field(description="A link to their picture, if any.")
    is_premium: bool = strawberry.field(description="Whether the client has a premium plan.")
    last_active_at: datetime | None = strawberry.field(
        description="When the client last used the app (updated at most once a minute)."
    )
    view: strawberry.Private[ClientView]

    @strawberry.field(description="ACTIVE, RECENT, INACTIVE or NEVER (days of the viewer's zone).")
    def activity(self) -> ActivityLevel:
        return activity_level(self.view.client.last_active_at, clock.now(), self.view.time_zone)

    @strawberry.field(
        description="Calendar days (viewer's time zone) since the client was last active; null "
        "when never active."
    )
    def days_inactive(self) -> int | None:
        return days_inactive(self.view.client.last_active_at, clock.now(), self.view.time_zone)

    @classmethod
    def of(cls, view: ClientView) -> Self:
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


# The Client node, composed in coach_graph/graph.py from every domain's fields of a client.
ClientNode = Annotated["Client", strawberry.lazy(GRAPH)]
CoachNode = Annotated["Coach", strawberry.lazy(GRAPH)]


def client_node(view: ClientView) -> Client:
    """The Client node of a client as the viewer sees them."""
    node: type[Client] = composed("Client")
    return node.of(view)


@strawberry.type(description="A client inactive for longer than the coach's inactivity threshold.")
class AttentionCard:
    client: ClientNode = strawberry.field(description="The inactive client.")
    days_inactive: int | None = strawberry.field(
        description="Days since the client was last active; null when never active."
    )
    inactive_for_days: int = strawberry.field(
        description="The days the rule counted: since the last activity, or since the client "
        "was linked when never active."
    )

    @classmethod
    def of(cls, item: AttentionItem) -> AttentionCard:
        return cls(
            client=client_node(item.view),
            days_inactive=item.days_inactive,
            inactive_for_days=item.days_counted,
        )


@strawberry.type(description="A client's consent for a coach, and when it last changed.")
class ConsentRecord:
    client_id: strawberry.ID = strawberry.field(description="The client.")
    client_name: str | None = strawberry.field(description="The client's name, if given.")
    client_email: str = strawberry.field(description="The client's e-mail.")
    coach_id: strawberry.ID = strawberry.field(description="The coach (`coachId` of `setConsent`).")
    status: ConsentStatus = strawberry.field(description="Granted, pending or declined.")
    updated_at: datetime = strawberry.field(description="When the status last changed.")

    @classmethod
    def of(cls, item: ConsentItem) -> ConsentRecord:
        return cls(
            client_id=strawberry.ID(str(item.client.id)),
            client_name=item.client.name,
            client_email=item.client.email,
            coach_id=strawberry.ID(str(item.link.coach_id)),
            status=ConsentStatus(item.link.consent),
            updated_at=item.link.consent_updated_at,
        )


@strawberry.type(description="One of the client's coaches, with the consent the client gave.")
class CoachLink:
    coach: CoachNode = strawberry.field(description="The coach the client is linked to.")
    consent: ConsentStatus = strawberry.field(description="The client's consent for this coach.")
    consent_updated_at: datetime = strawberry.field(description="When the consent last changed.")

    @classmethod
    def of(cls, item: CoachLinkItem) -> CoachLink:
        return cls(
            coach=composed("Coach").of(item.coach),
            consent=ConsentStatus(item.link.consent),
            consent_updated_at=item.link.consent_updated_at,
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
        search: Annotated[
            str | None, strawberry.argument(description="Text to find in name or e-mail.")
        ] = None,
        first: PageSize = 50,
        after: After = None,
    ) -> Connection[ClientNode]:
        page = await service.list_clients(
            info.context.db, info.context.viewer, search, first, after
        )
        node: type[Client] = composed("Client")
        await node.prime_page(info, page.rows)
        return Connection.of(page, node.of)

    @strawberry.field(description="One client, or null when there is none the viewer may see.")
    async def client(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The client.")],
    ) -> ClientNode | None:
        view = await access.find_visible_client(
            info.context.db, info.context.viewer, parse_id(id, "client")
        )
        return client_node(view) if view else None

    @strawberry.field(
        description="The coach's GRANTED clients inactive for longer than the inactivity "
        "threshold, longest first (never-active clients count from the day they were linked); "
        "empty while the inactivity alert is disabled."
    )
    async def needs_attention(self, info: Info) -> list[AttentionCard]:
        items = await service.needs_attention(info.context.db, info.context.viewer)
        return [AttentionCard.of(item) for item in items]

    @strawberry.field(
        description="Every client linked to the coach with their consent status, by name; "
        "filter by `status`, `search` by name or e-mail."
    )
    async def consents(
        self,
        info: Info,
        status: Annotated[
            ConsentStatus | None, strawberry.argument(description="Only this status; none: all.")
        ] = None,
        search: Annotated[
            str | None, strawberry.argument(description="Text to find in name or e-mail.")
        ] = None,
    ) -> list[ConsentRecord]:
        items = await service.list_consents(info.context.db, info.context.viewer, status, search)
        return [ConsentRecord.of(item) for item in items]

    @strawberry.field(
        description="The client's coaches, whatever the consent, by name: their name, time zone, "
        "bookable services and the consent given (client)."
    )
    async def my_coaches(self, info: Info) -> list[CoachLink]:
        items = await service.my_coaches(info.context.db, info.context.viewer)
        return [CoachLink.of(item) for item in items]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Grant, decline or reset your consent for one of your coaches (client)."
    )
    async def set_consent(
        self,
        info: Info,
        coach_id: Annotated[strawberry.ID, strawberry.argument(description="One of your coaches.")],
        status: Annotated[ConsentStatus, strawberry.argument(description="Your decision.")],
    ) -> ConsentRecord:
        item = await service.set_consent(
            info.context.db, info.context.viewer, parse_id(coach_id, "coach"), status
        )
        return ConsentRecord.of(item)

    @strawberry.mutation(
        description="Remove a client from your practice (coach): the link and the homework you "
        "assigned go; the client's account and their data for other coaches stay."
    )
    async def delete_client(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="One of your clients.")],
    ) -> bool:
        return await service.delete_client(
            info.context.db, info.context.viewer, parse_id(id, "client")
        )
