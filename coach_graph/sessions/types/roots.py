"""The sessions domain's Query, Mutation and Subscription fields. Resolvers ask a service and
convert."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

import coach_graph.sessions.types.arguments as arg
from coach_graph.auth import Viewer as ViewerData
from coach_graph.auth import require_viewer
from coach_graph.gql import After, Connection, Info, PageSize, parse_id, parse_optional_id
from coach_graph.sessions import access, catalog, changes, policy, reschedule
from coach_graph.sessions.analytics import Interval
from coach_graph.sessions.analytics import analytics as compute_analytics
from coach_graph.sessions.changes import KEEP
from coach_graph.sessions.history import Sort
from coach_graph.sessions.models import RescheduleRequestStatus, SessionStatus
from coach_graph.sessions.types.catalog import (
    AvailabilityWindow,
    Calendar,
    CancellationPolicy,
    Service,
)
from coach_graph.sessions.types.session import (
    RescheduleRequest,
    Session,
    session_of,
    session_page,
)
from coach_graph.sessions.types.stats import Analytics


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
        filter: arg.HistoryFilter = None,
        sort: arg.HistorySort = Sort.NEWEST_FIRST,
        first: PageSize = 50,
        after: After = None,
    ) -> Connection[Session]:
        return await session_page(info, filter, sort, first, after)

    @strawberry.field(description="One session, or null when there is none the viewer may see.")
    async def session(self, info: Info, id: arg.SessionId) -> Session | None:
        viewer = require_viewer(info.context.viewer)
        row = await access.find_session(info.context.db, viewer, parse_id(id, "session"))
        return session_of(info, row) if row else None

    @strawberry.field(
        description="Free start times for a service in [from, to) (at most 62 days), by the "
        "rule every booking follows: inside the coach's weekly or extra hours and outside their "
        "time off, in the future, the coach's buffer free of sessions; for anyone but the coach, "
        "inside the minimum notice and booking window. Public for a service that takes bookings."
    )
    async def available_slots(
        self,
        info: Info,
        service_id: arg.ServiceId,
        from_: arg.From,
        to: arg.SlotsUntil,
    ) -> list[datetime]:
        return await catalog.available_slots(
            info.context.db, info.context.viewer, parse_id(service_id, "service"), from_, to
        )

    @strawberry.field(
        description="Reschedule requests with that status (null: all), newest first: a coach's "
        "of their sessions, a client's own."
    )
    async def reschedule_requests(
        self,
        info: Info,
        status: arg.RequestStatus = RescheduleRequestStatus.PENDING,
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
        from_: arg.From,
        to: arg.To,
        interval: arg.RevenueInterval = Interval.MONTH,
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

    @strawberry.field(description="The coach's cancellation policy (defaults: 24 hours, 0 %).")
    async def cancellation_policy(self, info: Info) -> CancellationPolicy:
        p = await policy.get_policy(info.context.db, info.context.viewer)
        return CancellationPolicy(notice_hours=p.notice_hours, late_fee_percent=p.late_fee_percent)


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
        client_id: arg.ClientId,
        service_id: arg.ServiceId,
        starts_at: arg.StartsAt,
        calendar_id: arg.CalendarId = None,
        customer_notes: arg.CustomerNotes = None,
        private_notes: arg.PrivateNotes = None,
        status: arg.BookingStatus = SessionStatus.CONFIRMED,
    ) -> Session:
        row = await changes.book_session(
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
        return session_of(info, row)

    @strawberry.mutation(description="Change a session's status along the allowed moves (coach).")
    async def update_session_status(
        self,
        info: Info,
        id: arg.SessionId,
        status: arg.NewStatus,
    ) -> Session:
        row = await changes.update_status(
            info.context.db, info.context.viewer, parse_id(id, "session"), SessionStatus(status)
        )
        return session_of(info, row)

    @strawberry.mutation(
        description="Edit a session's notes (coach); an argument left out stays, null clears it."
    )
    async def update_session_notes(
        self,
        info: Info,
        id: arg.SessionId,
        customer_notes: arg.CustomerNotes = strawberry.UNSET,
        private_notes: arg.PrivateNotes = strawberry.UNSET,
    ) -> Session:
        row = await changes.update_notes(
            info.context.db,
            info.context.viewer,
            parse_id(id, "session"),
            KEEP if customer_notes is strawberry.UNSET else customer_notes,
            KEEP if private_notes is strawberry.UNSET else private_notes,
        )
        return session_of(info, row)

    @strawberry.mutation(description="Record a no-show, 10 minutes after the start or later.")
    async def mark_no_show(self, info: Info, id: arg.SessionId) -> Session:
        row = await changes.update_status(
            info.context.db, info.context.viewer, parse_id(id, "session"), SessionStatus.NO_SHOW
        )
        return session_of(info, row)

    @strawberry.mutation(description="Book the same client and service again at a new time.")
    async def book_follow_up(
        self, info: Info, session_id: arg.SessionId, starts_at: arg.StartsAt
    ) -> Session:
        row = await changes.book_follow_up(
            info.context.db, info.context.viewer, parse_id(session_id, "session"), starts_at
        )
        return session_of(info, row)

    @strawberry.mutation(
        description="Approve (the session moves) or reject (it stays) a pending request (coach)."
    )
    async def respond_to_reschedule_request(
        self,
        info: Info,
        id: arg.RequestId,
        approve: arg.Approve,
        reason: arg.Reason = None,
    ) -> RescheduleRequest:
        row = await reschedule.respond(
            info.context.db,
            info.context.viewer,
            parse_id(id, "reschedule request"),
            approve,
            reason,
        )
        return RescheduleRequest.of(row)

    @strawberry.mutation(
        description="Invite the client to review a COMPLETED session; one open invitation each."
    )
    async def request_review(self, info: Info, session_id: arg.SessionId) -> bool:
        return await changes.request_review(
            info.context.db, info.context.viewer, parse_id(session_id, "session")
        )

    @strawberry.mutation(description="Add a service (coach).")
    async def create_service(
        self,
        info: Info,
        input: arg.ServiceFields,
    ) -> Service:
        row = await catalog.create_service(
            info.context.db, info.context.viewer, input.name, input.duration_minutes,
            input.price_minor, input.currency,
        )  # fmt: skip
        return Service.of(row)

    @strawberry.mutation(description="Change a service; booked sessions keep their price.")
    async def update_service(
        self,
        info: Info,
        id: arg.ServiceId,
        input: arg.ServiceFields,
    ) -> Service:
        row = await catalog.update_service(
            info.context.db, info.context.viewer, parse_id(id, "service"), input.name,
            input.duration_minutes, input.price_minor, input.currency,
        )  # fmt: skip
        return Service.of(row)

    @strawberry.mutation(description="Stop new bookings of a service.")
    async def archive_service(self, info: Info, id: arg.ServiceId) -> Service:
        row = await catalog.archive_service(
            info.context.db, info.context.viewer, parse_id(id, "service")
        )
        return Service.of(row)

    @strawberry.mutation(description="Add a calendar (coach).")
    async def create_calendar(
        self,
        info: Info,
        name: arg.CalendarName,
    ) -> Calendar:
        return Calendar.of(
            await catalog.create_calendar(info.context.db, info.context.viewer, name)
        )

    @strawberry.mutation(description="Replace the coach's weekly hours (their time zone).")
    async def set_availability(
        self,
        info: Info,
        windows: arg.WeeklyHours,
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
        self,
        info: Info,
        session_id: arg.SessionId,
        starts_at: arg.StartsAt,
        reason: arg.Reason = None,
    ) -> RescheduleRequest:
        row = await reschedule.request_reschedule(
            info.context.db,
            info.context.viewer,
            parse_id(session_id, "session"),
            starts_at,
            reason,
        )
        return RescheduleRequest.of(row)

    @strawberry.mutation(
        description="Save the coach's cancellation policy: notice 0 to 720 hours, late fee 0 to "
        "100 percent of the price."
    )
    async def set_cancellation_policy(
        self,
        info: Info,
        input: arg.PolicyFields,
    ) -> CancellationPolicy:
        p = await policy.set_policy(
            info.context.db, info.context.viewer, input.notice_hours, input.late_fee_percent
        )
        return CancellationPolicy(notice_hours=p.notice_hours, late_fee_percent=p.late_fee_percent)

    @strawberry.mutation(
        description="Cancel your PENDING or CONFIRMED session before it starts (client); inside "
        "the coach's notice window it is a late cancellation and the late fee applies."
    )
    async def cancel_my_session(
        self, info: Info, session_id: arg.SessionId, reason: arg.Reason = None
    ) -> Session:
        row = await policy.cancel_my_session(
            info.context.db, info.context.viewer, parse_id(session_id, "session"), reason
        )
        return session_of(info, row)

    @strawberry.mutation(description="Rate your COMPLETED session from 1 to 5 (client).")
    async def rate_session(
        self,
        info: Info,
        session_id: arg.SessionId,
        rating: arg.Rating,
    ) -> Session:
        row = await changes.rate_session(
            info.context.db, info.context.viewer, parse_id(session_id, "session"), rating
        )
        return session_of(info, row)


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
        owner = ("coach_id" if viewer.is_coach else "client_id", viewer.id)  # who is woken
        async with realtime.subscribe(reschedule.CHANNEL, owner=owner) as events:
            async for event in events:
                # Reload through the viewer's scope; the event's own fields are not trusted.
                info.context.fresh_loaders()
                request_id = event.get("id")
                if not isinstance(request_id, int):
                    continue
                row = await reschedule.request_for_event(info.context.db, viewer, request_id)
                if row is not None:
                    yield RescheduleRequest.of(row)
