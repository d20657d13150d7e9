"""GraphQL types of a coach's offer: services and their prices, calendars, weekly hours."""

from __future__ import annotations

import strawberry

from coach_graph.gql import enum
from coach_graph.sessions.availability import WEEKDAYS, Weekday, Window, format_hhmm, parse_hhmm
from coach_graph.sessions.models import Calendar as CalendarRow
from coach_graph.sessions.models import CoachingService

enum(Weekday, "A day of the week.", {day: day.value.capitalize() + "." for day in Weekday})


@strawberry.type(description="An amount of money in minor units (cents) of a currency.")
class Money:
    amount_minor: int = strawberry.field(description="Minor units, e.g. 5000 = 50.00 EUR.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR.")


@strawberry.type(description="Something the coach offers: a duration and a price.")
class Service:
    """Each field is read from the row when it is asked for (a history page names the service
    of fifty sessions: fifty small objects, no price computed unless asked)."""

    row: strawberry.Private[CoachingService]

    @classmethod
    def of(cls, row: CoachingService) -> Service:
        return cls(row=row)

    @strawberry.field(description="The service's id (`serviceId` to book it).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field(description='What it is called, e.g. "60-minute session".')
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="How long a session of it lasts.")
    def duration_minutes(self) -> int:
        return self.row.duration_minutes

    @strawberry.field(description="What a session of it costs.")
    def price(self) -> Money:
        return Money(amount_minor=self.row.price_minor, currency=self.row.currency)

    @strawberry.field(description="True for a service with price 0 (intro call).")
    def is_free(self) -> bool:
        return self.row.price_minor == 0

    @strawberry.field(description="An archived service takes no new bookings.")
    def archived(self) -> bool:
        return self.row.archived_at is not None


@strawberry.type(description="A coach's calendar.")
class Calendar:
    id: strawberry.ID = strawberry.field(description="The calendar's id (`calendarId`).")
    name: str = strawberry.field(description="The calendar's name.")

    @classmethod
    def of(cls, row: CalendarRow) -> Calendar:
        return cls(id=strawberry.ID(str(row.id)), name=row.name)


@strawberry.type(description="Weekly hours in the coach's time zone.")
class AvailabilityWindow:
    weekday: Weekday = strawberry.field(description="The day of the week.")
    start_time: str = strawberry.field(description='Local start, "HH:MM".')
    end_time: str = strawberry.field(description='Local end, "HH:MM" (exclusive).')

    @classmethod
    def of(cls, w: Window) -> AvailabilityWindow:
        return cls(
            weekday=WEEKDAYS[w.weekday],
            start_time=format_hhmm(w.start_minute),
            end_time=format_hhmm(w.end_minute),
        )


@strawberry.input(description="Weekly hours to set, in the coach's time zone.")
class AvailabilityWindowInput:
    weekday: Weekday = strawberry.field(description="The day of the week.")
    start_time: str = strawberry.field(description='"HH:MM", 24-hour clock.')
    end_time: str = strawberry.field(description='"HH:MM", after the start; "24:00" allowed.')

    def window(self) -> Window:
        return Window(
            WEEKDAYS.index(Weekday(self.weekday)),
            parse_hhmm(self.start_time),
            parse_hhmm(self.end_time, allow_midnight_end=True),
        )


@strawberry.input(description="A service's name, duration and price.")
class ServiceInput:
    name: str = strawberry.field(description="What it is called, up to 200 characters.")
    duration_minutes: int = strawberry.field(description="How long a session of it lasts.")
    price_minor: int = strawberry.field(description="Minor units; 0 makes the service free.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR.")


def service_of(row: CoachingService | None) -> Service:
    assert row is not None  # a foreign key with ON DELETE RESTRICT
    return Service.of(row)


@strawberry.type(description="A coach's cancellation policy.")
class CancellationPolicy:
    notice_hours: int = strawberry.field(
        description="A client's cancellation later than this before the start is late."
    )
    late_fee_percent: int = strawberry.field(
        description="The fee of a late cancellation or a no-show, in percent of the price."
    )


@strawberry.input(description="A cancellation policy to save.")
class CancellationPolicyInput:
    notice_hours: int = strawberry.field(description="0 to 720 hours.")
    late_fee_percent: int = strawberry.field(description="0 to 100 percent.")
