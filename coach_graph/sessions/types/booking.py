"""GraphQL types and operations of self-booking: a coach's public booking page (`coachProfile`)
and a client booking for themselves (`bookMySession`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from coach_graph.gql import Info, parse_id
from coach_graph.sessions import booking
from coach_graph.sessions.types.coach import CoachNode, coach_node
from coach_graph.sessions.types.session import Session, session_of


@strawberry.type
class BookingQuery:
    @strawberry.field(
        description="A coach's public booking page (anyone, signed in or not): name, time zone "
        "and bookable services; null for an id that is not a coach's."
    )
    async def coach_profile(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The coach's id.")],
    ) -> CoachNode | None:
        coach = await booking.coach_profile(info.context.db, parse_id(id, "coach"))
        return coach_node(coach) if coach else None


@strawberry.type
class BookingMutation:
    @strawberry.mutation(
        description="Book a coach's service for yourself (client). The session is PENDING until "
        "the coach confirms or cancels it; it starts in a free time of the coach's hours, inside "
        "their minimum notice (default 2 hours) and booking window (default 60 days). The "
        "first booking links you to the coach (consent PENDING). One "
        "free intro call per coach ever and at most 3 bookings waiting for confirmation per "
        "coach (CONFLICT)."
    )
    async def book_my_session(
        self,
        info: Info,
        service_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="A bookable service, from `coachProfile`."),
        ],
        starts_at: Annotated[
            datetime,
            strawberry.argument(description="The start, with an offset (see `availableSlots`)."),
        ],
        customer_notes: Annotated[
            str | None,
            strawberry.argument(description="Notes for the coach (up to 5,000 characters)."),
        ] = None,
    ) -> Session:
        row = await booking.book_my_session(
            info.context.db,
            info.context.viewer,
            parse_id(service_id, "service"),
            starts_at,
            customer_notes,
        )
        return session_of(info, row)
