"""GraphQL types and operations of a coach's availability exceptions (time off, extra hours)
and booking rules (notice, booking window, buffer)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from coach_graph.gql import Info, parse_id, parse_optional_id
from coach_graph.sessions import exceptions, rules
from coach_graph.sessions.exceptions import ExceptionView
from coach_graph.sessions.types.session import Session, sessions_of


@strawberry.type(
    description="A range where the coach's weekly hours do not hold: time off (`available` "
    "false) or extra hours (`available` true)."
)
class AvailabilityException:
    id: strawberry.ID = strawberry.field(description="The exception's id.")
    starts_at: datetime = strawberry.field(description="Its start (UTC).")
    ends_at: datetime = strawberry.field(description="Its end (UTC, excluded).")
    available: bool = strawberry.field(
        description="False: time off, nothing is booked or moved into it. True: extra hours, "
        "bookable like weekly hours."
    )
    note: str | None = strawberry.field(description='The coach\'s note, e.g. "Holiday".')
    conflicts: list[Session] = strawberry.field(
        description="Time off only: the PENDING and CONFIRMED sessions booked inside it before "
        "it was added; they stay where they are until the coach moves or cancels them."
    )

    @classmethod
    def of(cls, info: Info, view: ExceptionView) -> AvailabilityException:
        row = view.row
        return cls(
            id=strawberry.ID(str(row.id)),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            available=row.available,
            note=row.note,
            conflicts=list(map(sessions_of(info), view.conflicts)),
        )


@strawberry.input(description="Time off or extra hours: a UTC range (at most 366 days).")
class AvailabilityExceptionInput:
    starts_at: datetime = strawberry.field(description="The start, with an offset.")
    ends_at: datetime = strawberry.field(
        description="The end (excluded), after the start and in the future."
    )
    available: bool = strawberry.field(description="False: time off. True: extra hours.")
    note: str | None = strawberry.field(
        default=None, description="A note for the coach, up to 1,000 characters."
    )


@strawberry.type(description="A coach's booking rules.")
class BookingRules:
    minimum_notice_hours: int = strawberry.field(
        description="A client books or moves a session at least this many hours ahead "
        "(default 2); the coach's own bookings ignore it."
    )
    booking_window_days: int = strawberry.field(
        description="A client books or moves a session at most this many days ahead (default "
        "60); the coach's own bookings ignore it."
    )
    buffer_minutes: int = strawberry.field(
        description="Minutes kept free before and after every session (default 0), for every "
        "booking and move and in `availableSlots`."
    )

    @classmethod
    def of(cls, r: rules.Rules) -> BookingRules:
        return cls(
            minimum_notice_hours=r.minimum_notice_hours,
            booking_window_days=r.booking_window_days,
            buffer_minutes=r.buffer_minutes,
        )


@strawberry.input(description="A coach's booking rules, all three given.")
class BookingRulesInput:
    minimum_notice_hours: int = strawberry.field(
        description="0 to 720 hours, at most the booking window."
    )
    booking_window_days: int = strawberry.field(description="1 to 730 days.")
    buffer_minutes: int = strawberry.field(description="0 to 240 minutes.")


@strawberry.type
class SchedulingQuery:
    @strawberry.field(
        description="The coach's time off and extra hours overlapping [from, to) (at most 366 "
        "days), earliest first."
    )
    async def availability_exceptions(
        self,
        info: Info,
        from_: Annotated[
            datetime, strawberry.argument(name="from", description="The period's start.")
        ],
        to: Annotated[datetime, strawberry.argument(description="The period's end (excluded).")],
    ) -> list[AvailabilityException]:
        views = await exceptions.list_exceptions(info.context.db, info.context.viewer, from_, to)
        return [AvailabilityException.of(info, v) for v in views]

    @strawberry.field(
        description="A coach's booking rules: a coach's own without `coachId`; any coach's by "
        "id (public, like the booking page)."
    )
    async def booking_rules(
        self,
        info: Info,
        coach_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The coach; none: your own (coach)."),
        ] = None,
    ) -> BookingRules:
        found = await rules.get_rules(
            info.context.db, info.context.viewer, parse_optional_id(coach_id, "coach")
        )
        return BookingRules.of(found)


@strawberry.type
class SchedulingMutation:
    @strawberry.mutation(
        description="Add time off or extra hours (coach). Time off takes no new booking or move "
        "and lists the sessions already inside it (`conflicts`), which stay."
    )
    async def add_availability_exception(
        self,
        info: Info,
        input: Annotated[
            AvailabilityExceptionInput,
            strawberry.argument(description="The range, what it is, a note."),
        ],
    ) -> AvailabilityException:
        view = await exceptions.add_exception(
            info.context.db,
            info.context.viewer,
            input.starts_at,
            input.ends_at,
            input.available,
            input.note,
        )
        return AvailabilityException.of(info, view)

    @strawberry.mutation(description="Remove one of your availability exceptions (coach).")
    async def remove_availability_exception(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The exception.")],
    ) -> bool:
        return await exceptions.remove_exception(
            info.context.db, info.context.viewer, parse_id(id, "availability exception")
        )

    @strawberry.mutation(
        description="Save your booking rules (coach); they apply to placements from now on."
    )
    async def set_booking_rules(
        self,
        info: Info,
        input: Annotated[
            BookingRulesInput,
            strawberry.argument(description="The notice, the booking window and the buffer."),
        ],
    ) -> BookingRules:
        saved = await rules.set_rules(
            info.context.db,
            info.context.viewer,
            input.minimum_notice_hours,
            input.booking_window_days,
            input.buffer_minutes,
        )
        return BookingRules.of(saved)
