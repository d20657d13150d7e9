"""GraphQL types and operations of calendar feeds: `calendarFeed`, `createCalendarFeed`,
`deleteCalendarFeed`."""

from __future__ import annotations

from datetime import datetime

import strawberry

from coach_graph.calendar_feed import service
from coach_graph.calendar_feed.models import CalendarFeed as CalendarFeedRow
from coach_graph.gql import Info


def _url(info: Info, name: str) -> str:
    """The feed's absolute address on the host the request came to."""
    base = str(info.context.request.base_url).rstrip("/")
    return f"{base}/calendar/{name}.ics"


@strawberry.type(
    description="A private iCalendar subscription URL of the viewer's sessions (90 days back to "
    "365 days ahead, cancelled ones left out), for Google Calendar, Apple Calendar or Outlook."
)
class CalendarFeed:
    url: str = strawberry.field(
        description="The feed's address, ending in .ics. Only `createCalendarFeed` returns it "
        "whole; elsewhere its secret is shortened to its first characters (…)."
    )
    created_at: datetime = strawberry.field(description="When this URL was created.")

    @classmethod
    def of(cls, info: Info, row: CalendarFeedRow, secret: str | None = None) -> CalendarFeed:
        name = secret if secret is not None else f"{row.hint}…"
        return cls(url=_url(info, name), created_at=row.created_at)


@strawberry.type
class Query:
    @strawberry.field(
        description="The viewer's calendar feed, null when they have none (its URL shortened)."
    )
    async def calendar_feed(self, info: Info) -> CalendarFeed | None:
        row = await service.calendar_feed(info.context.db, info.context.viewer)
        return CalendarFeed.of(info, row) if row else None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="A new private calendar URL for the viewer's sessions (coach or client), "
        "shown whole only here; the previous one stops working at once."
    )
    async def create_calendar_feed(self, info: Info) -> CalendarFeed:
        new = await service.create_calendar_feed(info.context.db, info.context.viewer)
        return CalendarFeed.of(info, new.feed, new.secret)

    @strawberry.mutation(
        description="End the viewer's calendar feed (its URL answers 404 from now on); false "
        "when there was none."
    )
    async def delete_calendar_feed(self, info: Info) -> bool:
        return await service.delete_calendar_feed(info.context.db, info.context.viewer)
