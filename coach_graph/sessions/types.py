"""GraphQL types and operations of sessions. Resolvers ask a service or a loader and convert."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from coach_graph import clock
from coach_graph.auth import Viewer as ViewerData
from coach_graph.auth import require_viewer
from coach_graph.clients.access import ClientView
from coach_graph.gql import (
    Connection,
    Info,
    inside_a_list,
    parse_id,
    parse_optional_id,
    requested_node_fields,
)
from coach_graph.loaders import then
from coach_graph.pagination import page_size
from coach_graph.sessions import catalog, reschedule, service
from coach_graph.sessions.analytics import AnalyticsResult, Interval
from coach_graph.sessions.analytics import RevenuePoint as RevenuePointData
from coach_graph.sessions.analytics import analytics as compute_analytics
from coach_graph.sessions.availability import WEEKDAYS, Weekday, Window, format_hhmm, parse_hhmm
from coach_graph.sessions.loaders import load_calendars, load_services, load_sessions, load_users
from coach_graph.sessions.models import Calendar as CalendarRow
from coach_graph.sessions.models import CoachingSession, RescheduleRequestStatus, SessionStatus
from coach_graph.sessions.models import RescheduleRequest as RequestRow
from coach_graph.sessions.models import Service as ServiceRow
from coach_graph.sessions.service import KEEP, SessionQuery, Sort, When

if TYPE_CHECKING:
    from coach_graph.clients.types import Client

strawberry.enum(SessionStatus, description="Where a session stands (see SPEC.md for the moves).")
strawberry.enum(
    RescheduleRequestStatus, description="PENDING awaits the coach; the others are outcomes."
)
strawberry.enum(When, name="SessionWhen", description="Upcoming (starts now or later) or past.")
strawberry.enum(Sort, name="SessionSort", description="The order of a session history.")
strawberry.enum(Interval, name="AnalyticsInterval", description="The length of a revenue period.")
strawberry.enum(Weekday, description="A day of the week.")


@strawberry.type(description="An amount of money in minor units (cents) of a currency.")
class Money:
    amount_minor: int = strawberry.field(description="Minor units, e.g. 5000 = 50.00 EUR.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR.")


@strawberry.type(description="Something the coach offers: a duration and a price.")
class Service:
    id: strawberry.ID
    name: str
    duration_minutes: int
    price: Money
    is_free: bool = strawberry.field(description="True for a service with price 0 (intro call).")
    archived: bool = strawberry.field(description="An archived service takes no new bookings.")

    @classmethod
    def of(cls, row: ServiceRow) -> Service:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            duration_minutes=row.duration_minutes,
            price=Money(amount_minor=row.price_minor, currency=row.currency),
            is_free=row.price_minor == 0,
            archived=row.archived_at is not None,
        )


@strawberry.type(description="A coach's calendar.")
class Calendar:
    id: strawberry.ID
    name: str

    @classmethod
    def of(cls, row: CalendarRow) -> Calendar:
        return cls(id=strawberry.ID(str(row.id)), name=row.name)


@strawberry.type(description="Weekly hours in the coach's time zone.")
class AvailabilityWindow:
    weekday: Weekday
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
    weekday: Weekday
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
    name: str
    duration_minutes: int
    price_minor: int = strawberry.field(description="Minor units; 0 makes the service free.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR.")


@strawberry.type(description="A coaching session.")
class Session:
    id: strawberry.ID
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    status: SessionStatus
    customer_notes: str | None = strawberry.field(description="Notes the client sees too.")
    private_notes: str | None = strawberry.field(
        description="The coach's own notes; null for anyone but the session's coach."
    )
    notes_preview: str | None = strawberry.field(
        description="The first 80 characters of the private notes (coach only)."
    )
    cancellation_reason: str | None
    price: Money
    rating: int | None = strawberry.field(description="The client's rating, 1 to 5.")
    can_join: bool = strawberry.field(
        description="Whether the call can be joined now: from 15 minutes before the start until "
        "the end."
    )
    created_at: datetime
    row: strawberry.Private[CoachingSession]
    viewer: strawberry.Private[ViewerData]

    @classmethod
    def of(cls, row: CoachingSession, viewer: ViewerData) -> Session:
        private = row.private_notes if service.can_see_private_notes(viewer, row) else None
        return cls(
            id=strawberry.ID(str(row.id)),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            duration_minutes=row.duration_minutes,
            status=SessionStatus(row.status),
            customer_notes=row.customer_notes,
            private_notes=private,
            notes_preview=service.notes_preview(private),
            cancellation_reason=row.cancellation_reason,
            price=Money(amount_minor=row.price_minor, currency=row.currency),
            rating=row.rating,
            can_join=service.can_join(row, clock.now()),
            created_at=row.created_at,
            row=row,
            viewer=viewer,
        )

    @strawberry.field(description="The client; null once the client was deleted.")
    async def client(
        self, info: Info
    ) -> Annotated[Client, strawberry.lazy("coach_graph.clients.types")] | None:
        from coach_graph.clients.types import Client

        if self.row.client_id is None:
            return None
        user = await info.context.loaders(load_users).load(self.row.client_id)
        if user is None:
            return None
        coach_id = self.viewer.id if self.viewer.is_coach else None
        return Client.of(ClientView(user, coach_id, self.viewer.time_zone))

    # The next three answer synchronously when a history page primed their loaders.
    @strawberry.field(
        description='The client\'s name (or e-mail); "Deleted Client" once deleted.',
        graphql_type=str,
    )
    def client_name(self, info: Info) -> str | Awaitable[str]:
        if self.row.client_id is None:
            return service.DELETED_CLIENT
        user = info.context.loaders.now_or_later(load_users, self.row.client_id)
        return then(user, lambda u: (u.name or u.email) if u else service.DELETED_CLIENT)

    @strawberry.field(description="The service booked.", graphql_type=Service)
    def service(self, info: Info) -> Service | Awaitable[Service]:
        row = info.context.loaders.now_or_later(load_services, self.row.service_id)
        return then(row, _service_of)

    @strawberry.field(
        description="The calendar the session is on, if any.", graphql_type=Calendar | None
    )
    def calendar(self, info: Info) -> Calendar | Awaitable[Calendar | None] | None:
        if self.row.calendar_id is None:
            return None
        row = info.context.loaders.now_or_later(load_calendars, self.row.calendar_id)
        return then(row, lambda r: Calendar.of(r) if r else None)

    @strawberry.field(description="The client's reschedule request awaiting the coach, if any.")
    async def pending_reschedule_request(self, info: Info) -> RescheduleRequest | None:
        assert self.row.id is not None
        row = await info.context.loaders(reschedule.load_pending_requests).load(self.row.id)
        return RescheduleRequest.of(row) if row else None


@strawberry.type(description="A client's request to move a session.")
class RescheduleRequest:
    id: strawberry.ID
    original_starts_at: datetime
    proposed_starts_at: datetime
    reason: str | None = strawberry.field(description="The client's reason.")
    status: RescheduleRequestStatus
    requested_at: datetime
    expires_at: datetime = strawberry.field(
        description="A PENDING request lapses then (48 hours after it was made, or at the start)."
    )
    responded_at: datetime | None
    response_reason: str | None = strawberry.field(description="The coach's reason, if given.")
    session_id: strawberry.Private[int]

    @classmethod
    def of(cls, row: RequestRow) -> RescheduleRequest:
        return cls(
            id=strawberry.ID(str(row.id)),
            original_starts_at=row.original_starts_at,
            proposed_starts_at=row.proposed_starts_at,
            reason=row.reason,
            status=RescheduleRequestStatus(row.status),
            requested_at=row.requested_at,
            expires_at=row.expires_at,
            responded_at=row.responded_at,
            response_reason=row.response_reason,
            session_id=row.session_id,
        )

    @strawberry.field(description="The session to move.")
    async def session(self, info: Info) -> Session:
        row = await info.context.loaders(load_sessions).load(self.session_id)
        assert row is not None  # a foreign key with ON DELETE CASCADE
        return Session.of(row, require_viewer(info.context.viewer))


@strawberry.type(description="Session figures for one client.")
class SessionStats:
    total: int
    completed: int
    cancelled: int
    no_shows: int
    cancellation_rate: float = strawberry.field(description="cancelled / total; 0 when none.")
    revenue: Money = strawberry.field(description="Sum of the prices of COMPLETED sessions.")

    @classmethod
    def of(cls, stats: service.SessionStats, currency: str) -> SessionStats:
        return cls(
            total=stats.total,
            completed=stats.completed,
            cancelled=stats.cancelled,
            no_shows=stats.no_shows,
            cancellation_rate=stats.cancellation_rate,
            revenue=Money(amount_minor=stats.revenue_minor, currency=stats.currency or currency),
        )


@strawberry.type(description="Revenue of one period (day, week or month) in one currency.")
class RevenuePoint:
    period_start: datetime = strawberry.field(
        description="Local midnight of the period's first day in the coach's time zone (in UTC)."
    )
    revenue: Money

    @classmethod
    def of(cls, p: RevenuePointData) -> RevenuePoint:
        return cls(
            period_start=p.period_start,
            revenue=Money(amount_minor=p.amount_minor, currency=p.currency),
        )


@strawberry.type(description="Practice figures of a period.")
class Analytics:
    sessions_completed: int
    retention_rate: float | None = strawberry.field(
        description="Of the clients with a completed session in the previous period of equal "
        "length, the share with one in this period; null when there were none."
    )
    average_rating: float | None = strawberry.field(description="Null when nothing was rated.")
    revenue: list[RevenuePoint]

    @classmethod
    def of(cls, a: AnalyticsResult) -> Analytics:
        return cls(
            sessions_completed=a.sessions_completed,
            retention_rate=a.retention_rate,
            average_rating=a.average_rating,
            revenue=[RevenuePoint.of(p) for p in a.revenue],
        )


@strawberry.input(description="Filters of a session history; all optional.")
class SessionFilter:
    when: When | None = When.ALL
    statuses: list[SessionStatus] | None = None
    service_ids: list[strawberry.ID] | None = None
    from_: datetime | None = strawberry.field(
        name="from", default=None, description="Sessions starting at or after this."
    )
    to: datetime | None = strawberry.field(default=None, description="Starting before this.")
    client_id: strawberry.ID | None = None

    def query(self) -> SessionQuery:
        return SessionQuery(
            when=When(self.when or When.ALL),
            statuses=tuple(SessionStatus(s) for s in self.statuses)
            if self.statuses is not None
            else None,
            service_ids=tuple(_filter_id(i) for i in self.service_ids)
            if self.service_ids is not None
            else None,
            starts_from=self.from_,
            starts_to=self.to,
            client_id=_filter_id(self.client_id) if self.client_id is not None else None,
        )


def _filter_id(value: strawberry.ID) -> int:
    """An id in a filter that cannot be ours matches nothing (0 is never an id)."""
    try:
        ident = int(str(value))
    except ValueError:
        return 0
    return ident if 0 < ident < 2**63 else 0


def _service_of(row: ServiceRow | None) -> Service:
    assert row is not None  # a foreign key with ON DELETE RESTRICT
    return Service.of(row)


async def _session_page(
    info: Info,
    filter: SessionFilter | None,
    sort: Sort | None,
    first: int | None,
    after: str | None,
) -> Connection[Session]:
    viewer = require_viewer(info.context.viewer)
    page = await service.list_sessions(
        info.context.db,
        viewer,
        (filter or SessionFilter()).query(),
        Sort(sort or Sort.NEWEST_FIRST),
        first,
        after,
    )
    await _prime_rows(info, [row for _, row in page.items])
    return Connection.of(page, lambda row: Session.of(row, viewer))


async def _prime_rows(info: Info, rows: list[CoachingSession]) -> None:
    """What every row of a page will ask for, loaded once for the page (see Loaders.prime).
    Only for a page on its own: inside a list of clients, the rows' loads batch across all the
    clients' pages instead."""
    asked = requested_node_fields(info)
    loaders = info.context.loaders
    if "service" in asked:
        await loaders.prime(load_services, [r.service_id for r in rows])
    if asked & {"client", "clientName"}:
        await loaders.prime(load_users, [r.client_id for r in rows if r.client_id is not None])
    if "calendar" in asked:
        await loaders.prime(load_calendars, [r.calendar_id for r in rows if r.calendar_id])
    if "pendingRescheduleRequest" in asked:
        await loaders.prime(reschedule.load_pending_requests, [r.id for r in rows if r.id])


@strawberry.type
class SessionClientFields:
    """The sessions domain's fields of Client."""

    view: strawberry.Private[ClientView]

    @strawberry.field(description="The client's sessions, filtered, sorted and paginated.")
    async def sessions(
        self,
        info: Info,
        filter: SessionFilter | None = None,
        sort: Sort | None = Sort.NEWEST_FIRST,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Session]:
        viewer = require_viewer(info.context.viewer)
        order = Sort(sort or Sort.NEWEST_FIRST)
        key = service.ClientSessions(
            client_id=self.view.id,
            coach_id=self.view.coach_id,
            query=(filter or SessionFilter()).query(),
            sort=order,
            size=page_size(first, 50),
            after=service.cursor_key(order, after),
        )
        loaders = info.context.loaders
        rows = list(await loaders(service.client_session_pages).load(key))
        if not inside_a_list(info):
            await _prime_rows(info, rows)

        async def count() -> int:
            return await loaders(service.client_session_counts).load(key.count_key)

        return Connection.of(key.page(rows, count), lambda row: Session.of(row, viewer))

    @strawberry.field(description="Totals of the client's sessions.")
    async def session_stats(self, info: Info) -> SessionStats:
        stats = await info.context.loaders(service.load_session_stats).load(
            (self.view.id, self.view.coach_id or 0)
        )
        return SessionStats.of(stats, info.context.settings.default_currency)


@strawberry.type
class Query:
    @strawberry.field(description="The coach's services, archived ones included.")
    async def services(self, info: Info) -> list[Service]:
        return [
            Service.of(s) for s in await catalog.list_services(info.context.db, info.context.viewer)
        ]

    @strawberry.field(description="The coach's calendars.")
    async def calendars(self, info: Info) -> list[Calendar]:
        rows = await catalog.list_calendars(info.context.db, info.context.viewer)
        return [Calendar.of(c) for c in rows]

    @strawberry.field(description="The coach's weekly hours, in their time zone, Monday first.")
    async def availability(self, info: Info) -> list[AvailabilityWindow]:
        rows = await catalog.list_availability(info.context.db, info.context.viewer)
        return [AvailabilityWindow.of(w) for w in rows]

    @strawberry.field(
        description="Sessions the viewer may see (a coach's own, a client's own), filtered, "
        "sorted (newest first by default) and paginated."
    )
    async def sessions(
        self,
        info: Info,
        filter: SessionFilter | None = None,
        sort: Sort | None = Sort.NEWEST_FIRST,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Session]:
        return await _session_page(info, filter, sort, first, after)

    @strawberry.field(description="One session, or null when there is none the viewer may see.")
    async def session(self, info: Info, id: strawberry.ID) -> Session | None:
        viewer = require_viewer(info.context.viewer)
        row = await service.find_session(info.context.db, viewer, parse_id(id, "session"))
        return Session.of(row, viewer) if row else None

    @strawberry.field(
        description="Free start times for a service in [from, to) (at most 62 days): inside the "
        "coach's weekly hours, in the future, overlapping no session."
    )
    async def available_slots(
        self,
        info: Info,
        service_id: strawberry.ID,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> list[datetime]:
        return await catalog.available_slots(
            info.context.db, info.context.viewer, parse_id(service_id, "service"), from_, to
        )

    @strawberry.field(
        description="Reschedule requests with that status (null: all), newest first: a coach's "
        "of their sessions, a client's own."
    )
    async def reschedule_requests(
        self, info: Info, status: RescheduleRequestStatus | None = RescheduleRequestStatus.PENDING
    ) -> list[RescheduleRequest]:
        rows = await reschedule.list_requests(
            info.context.db,
            info.context.viewer,
            RescheduleRequestStatus(status) if status is not None else None,
        )
        return [RescheduleRequest.of(r) for r in rows]

    @strawberry.field(
        description="The coach's figures for sessions starting in [from, to); revenue per period "
        "of the coach's time zone."
    )
    async def analytics(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        interval: Interval | None = Interval.MONTH,
    ) -> Analytics:
        result = await compute_analytics(
            info.context.db,
            info.context.settings,
            info.context.viewer,
            from_,
            to,
            Interval(interval or Interval.MONTH),
        )
        return Analytics.of(result)


def _viewer(info: Info) -> ViewerData:
    return require_viewer(info.context.viewer)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Book a session with a client (coach). The start needs an offset, must be in "
        "the future, inside the coach's hours and free. New sessions are CONFIRMED unless "
        "`status: PENDING` is given."
    )
    async def book_session(
        self,
        info: Info,
        client_id: strawberry.ID,
        service_id: strawberry.ID,
        starts_at: datetime,
        calendar_id: strawberry.ID | None = None,
        customer_notes: str | None = None,
        private_notes: str | None = None,
        status: SessionStatus | None = SessionStatus.CONFIRMED,
    ) -> Session:
        row = await service.book_session(
            info.context.db,
            info.context.viewer,
            client_id=parse_id(client_id, "client"),
            service_id=parse_id(service_id, "service"),
            starts_at=starts_at,
            calendar_id=parse_optional_id(calendar_id, "calendar"),
            customer_notes=customer_notes,
            private_notes=private_notes,
            status=SessionStatus(status or SessionStatus.CONFIRMED),
        )
        return Session.of(row, _viewer(info))

    @strawberry.mutation(description="Change a session's status along the allowed moves (coach).")
    async def update_session_status(
        self, info: Info, id: strawberry.ID, status: SessionStatus
    ) -> Session:
        row, closed = await service.update_status(
            info.context.db, info.context.viewer, parse_id(id, "session"), SessionStatus(status)
        )
        if closed is not None:
            await reschedule.publish_change(info.context.resources.realtime, closed)
        return Session.of(row, _viewer(info))

    @strawberry.mutation(
        description="Edit a session's notes (coach); an argument left out stays, null clears it."
    )
    async def update_session_notes(
        self,
        info: Info,
        id: strawberry.ID,
        customer_notes: str | None = strawberry.UNSET,
        private_notes: str | None = strawberry.UNSET,
    ) -> Session:
        row = await service.update_notes(
            info.context.db,
            info.context.viewer,
            parse_id(id, "session"),
            KEEP if customer_notes is strawberry.UNSET else customer_notes,
            KEEP if private_notes is strawberry.UNSET else private_notes,
        )
        return Session.of(row, _viewer(info))

    @strawberry.mutation(
        description="Move a session at once (coach); the client is notified, with the reason."
    )
    async def reschedule_session(
        self, info: Info, id: strawberry.ID, starts_at: datetime, reason: str | None = None
    ) -> Session:
        row, closed = await service.reschedule_session(
            info.context.db, info.context.viewer, parse_id(id, "session"), starts_at, reason
        )
        if closed is not None:
            await reschedule.publish_change(info.context.resources.realtime, closed)
        return Session.of(row, _viewer(info))

    @strawberry.mutation(description="Cancel a PENDING or CONFIRMED session (coach).")
    async def cancel_session(
        self, info: Info, id: strawberry.ID, reason: str | None = None
    ) -> Session:
        row, closed = await service.update_status(
            info.context.db,
            info.context.viewer,
            parse_id(id, "session"),
            SessionStatus.CANCELLED,
            reason,
        )
        if closed is not None:
            await reschedule.publish_change(info.context.resources.realtime, closed)
        return Session.of(row, _viewer(info))

    @strawberry.mutation(description="Record a no-show, 10 minutes after the start or later.")
    async def mark_no_show(self, info: Info, id: strawberry.ID) -> Session:
        row, _ = await service.update_status(
            info.context.db, info.context.viewer, parse_id(id, "session"), SessionStatus.NO_SHOW
        )
        return Session.of(row, _viewer(info))

    @strawberry.mutation(description="Book the same client and service again at a new time.")
    async def book_follow_up(
        self, info: Info, session_id: strawberry.ID, starts_at: datetime
    ) -> Session:
        row = await service.book_follow_up(
            info.context.db, info.context.viewer, parse_id(session_id, "session"), starts_at
        )
        return Session.of(row, _viewer(info))

    @strawberry.mutation(
        description="Approve (the session moves) or reject (it stays) a pending request (coach)."
    )
    async def respond_to_reschedule_request(
        self, info: Info, id: strawberry.ID, approve: bool, reason: str | None = None
    ) -> RescheduleRequest:
        row = await reschedule.respond(
            info.context.db,
            info.context.resources.realtime,
            info.context.viewer,
            parse_id(id, "reschedule request"),
            approve,
            reason,
        )
        return RescheduleRequest.of(row)

    @strawberry.mutation(
        description="Invite the client to review a COMPLETED session; one open invitation each."
    )
    async def request_review(self, info: Info, session_id: strawberry.ID) -> bool:
        return await service.request_review(
            info.context.db, info.context.viewer, parse_id(session_id, "session")
        )

    @strawberry.mutation(description="Add a service (coach).")
    async def create_service(self, info: Info, input: ServiceInput) -> Service:
        row = await catalog.create_service(
            info.context.db, info.context.viewer, input.name, input.duration_minutes,
            input.price_minor, input.currency,
        )  # fmt: skip
        return Service.of(row)

    @strawberry.mutation(description="Change a service; booked sessions keep their price.")
    async def update_service(self, info: Info, id: strawberry.ID, input: ServiceInput) -> Service:
        row = await catalog.update_service(
            info.context.db, info.context.viewer, parse_id(id, "service"), input.name,
            input.duration_minutes, input.price_minor, input.currency,
        )  # fmt: skip
        return Service.of(row)

    @strawberry.mutation(description="Stop new bookings of a service.")
    async def archive_service(self, info: Info, id: strawberry.ID) -> Service:
        row = await catalog.archive_service(
            info.context.db, info.context.viewer, parse_id(id, "service")
        )
        return Service.of(row)

    @strawberry.mutation(description="Add a calendar (coach).")
    async def create_calendar(self, info: Info, name: str) -> Calendar:
        return Calendar.of(
            await catalog.create_calendar(info.context.db, info.context.viewer, name)
        )

    @strawberry.mutation(description="Replace the coach's weekly hours (their time zone).")
    async def set_availability(
        self, info: Info, windows: list[AvailabilityWindowInput]
    ) -> list[AvailabilityWindow]:
        rows = await catalog.set_availability(
            info.context.db, info.context.viewer, [w.window() for w in windows]
        )
        return [AvailabilityWindow.of(w) for w in rows]

    @strawberry.mutation(
        description="Ask to move your session (client): more than 48 hours ahead it moves at once "
        "(APPROVED); 24 to 48 hours ahead the coach decides (PENDING); under 24 hours refused."
    )
    async def request_reschedule(
        self, info: Info, session_id: strawberry.ID, starts_at: datetime, reason: str | None = None
    ) -> RescheduleRequest:
        row = await reschedule.request_reschedule(
            info.context.db,
            info.context.resources.realtime,
            info.context.viewer,
            parse_id(session_id, "session"),
            starts_at,
            reason,
        )
        return RescheduleRequest.of(row)

    @strawberry.mutation(description="Rate your COMPLETED session from 1 to 5 (client).")
    async def rate_session(self, info: Info, session_id: strawberry.ID, rating: int) -> Session:
        row = await service.rate_session(
            info.context.db, info.context.viewer, parse_id(session_id, "session"), rating
        )
        return Session.of(row, _viewer(info))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Coach: new, expired and answered requests of their sessions. Client: "
        "outcomes of their own requests."
    )
    async def reschedule_request_changed(
        self, info: Info
    ) -> AsyncGenerator[RescheduleRequest, None]:
        viewer = require_viewer(info.context.viewer)
        realtime = info.context.resources.realtime
        async with realtime.subscribe(reschedule.CHANNEL) as events:
            async for event in events:
                # Reload through the viewer's scope; the event's own fields are not trusted.
                info.context.fresh_loaders()
                request_id = event.get("id")
                if not isinstance(request_id, int):
                    continue
                row = await reschedule.request_for_event(info.context.db, viewer, request_id)
                if row is not None:
                    yield RescheduleRequest.of(row)
