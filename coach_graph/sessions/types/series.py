"""GraphQL operations of recurring series: booking one (`bookSeries`), and moving or cancelling
a session alone or with every later occurrence of its series (`scope`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

import coach_graph.sessions.types.arguments as arg
from coach_graph.auth import require_viewer
from coach_graph.gql import Info, enum, parse_id
from coach_graph.sessions import series
from coach_graph.sessions.models import RecurrenceFrequency
from coach_graph.sessions.series import Recurrence, SeriesScope
from coach_graph.sessions.types.session import Series, Session, session_of

enum(
    SeriesScope,
    "Which sessions a move or cancellation changes.",
    {
        SeriesScope.THIS: "This session alone.",
        SeriesScope.THIS_AND_FOLLOWING: "This session and every later non-final occurrence of "
        "its series (a session of no series: itself alone).",
    },
)

Scope = Annotated[
    SeriesScope | None,
    strawberry.argument(description="This session alone (default), or with the following ones."),
]


@strawberry.input(description="How a series repeats: a `count` or an `until`, at most 52 times.")
class RecurrenceInput:
    frequency: RecurrenceFrequency = strawberry.field(description="Weekly or monthly.")
    interval: int | None = strawberry.field(
        default=1, description="Every how many weeks (1 to 4) or months (1 to 12); default 1."
    )
    count: int | None = strawberry.field(
        default=None, description="How many occurrences (1 to 52), the first included."
    )
    until: datetime | None = strawberry.field(
        default=None, description="The last possible start (included), with an offset."
    )

    def recurrence(self) -> Recurrence:
        return Recurrence(
            RecurrenceFrequency(self.frequency),
            self.interval if self.interval is not None else 1,
            self.count,
            self.until,
        )


@strawberry.type
class SeriesMutation:
    @strawberry.mutation(
        description="Book a recurring series with a client (coach), in one transaction: each "
        "occurrence at the same wall-clock time in your time zone, placed like a single booking "
        "(CONFIRMED); occurrences whose time is taken or outside your availability are listed "
        "in `skipped`. None fitting is CONFLICT."
    )
    async def book_series(
        self,
        info: Info,
        client_id: arg.ClientId,
        service_id: arg.ServiceId,
        starts_at: Annotated[
            datetime,
            strawberry.argument(description="The first start, with an offset, in the future."),
        ],
        recurrence: Annotated[
            RecurrenceInput, strawberry.argument(description="How the series repeats.")
        ],
        customer_notes: arg.CustomerNotes = None,
        private_notes: arg.PrivateNotes = None,
    ) -> Series:
        view = await series.book_series(
            info.context.db,
            info.context.viewer,
            client_id=parse_id(client_id, "client"),
            service_id=parse_id(service_id, "service"),
            starts_at=starts_at,
            recurrence=recurrence.recurrence(),
            customer_notes=customer_notes,
            private_notes=private_notes,
        )
        return Series.of(view.row, require_viewer(info.context.viewer))

    @strawberry.mutation(
        description="Move a session at once (coach); the client is notified, with the reason. "
        "THIS_AND_FOLLOWING moves every later non-final occurrence of its series by the same "
        "wall-clock change: all or nothing (CONFLICT naming the occurrences that do not fit)."
    )
    async def reschedule_session(
        self,
        info: Info,
        id: arg.SessionId,
        starts_at: arg.StartsAt,
        reason: arg.Reason = None,
        scope: Scope = SeriesScope.THIS,
    ) -> Session:
        row = await series.reschedule(
            info.context.db,
            info.context.viewer,
            parse_id(id, "session"),
            starts_at,
            reason,
            SeriesScope(scope or SeriesScope.THIS),
        )
        return session_of(info, row)

    @strawberry.mutation(
        description="Cancel a PENDING or CONFIRMED session (coach); THIS_AND_FOLLOWING cancels "
        "every later non-final occurrence of its series too."
    )
    async def cancel_session(
        self,
        info: Info,
        id: arg.SessionId,
        reason: arg.Reason = None,
        scope: Scope = SeriesScope.THIS,
    ) -> Session:
        row = await series.cancel(
            info.context.db,
            info.context.viewer,
            parse_id(id, "session"),
            reason,
            SeriesScope(scope or SeriesScope.THIS),
        )
        return session_of(info, row)
