"""GraphQL types of a session, of a client's request to move it and of the series it belongs to
(each is a field of the other), and a history page (its filters: `filters.py`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry

from coach_graph import clock
from coach_graph.auditing import AuditAction
from coach_graph.auth import Viewer as ViewerData
from coach_graph.auth import require_viewer
from coach_graph.clients.access import ClientView, load_consents, shares_data
from coach_graph.clients.types import ClientNode, client_node
from coach_graph.gql import Connection, Info, enum, requested_fields, requested_node_fields
from coach_graph.loaders import Loaders, then
from coach_graph.sessions import access, history, reschedule
from coach_graph.sessions.history import Sort
from coach_graph.sessions.loaders import (
    load_calendars,
    load_series,
    load_series_sessions,
    load_series_skips,
    load_services,
    load_sessions,
    load_users,
)
from coach_graph.sessions.models import (
    CoachingSession,
    RecurrenceFrequency,
    RescheduleRequestStatus,
    SessionSeries,
    SessionStatus,
)
from coach_graph.sessions.models import RescheduleRequest as RequestRow
from coach_graph.sessions.types.catalog import Calendar, Money, Service, service_of
from coach_graph.sessions.types.coach import CoachNode, coach_of
from coach_graph.sessions.types.filters import SessionFilter

enum(
    RescheduleRequestStatus,
    "Where a client's request to move a session stands.",
    {
        RescheduleRequestStatus.PENDING: "Waiting for the coach's answer.",
        RescheduleRequestStatus.APPROVED: "The session moved (at once, or the coach approved).",
        RescheduleRequestStatus.REJECTED: "The coach said no, or moved or cancelled the session.",
        RescheduleRequestStatus.EXPIRED: "Not answered in time; the session keeps its time.",
    },
)
enum(
    RecurrenceFrequency,
    "How a series repeats.",
    {
        RecurrenceFrequency.WEEKLY: "Every `interval` weeks (1 to 4), on the first start's "
        "weekday.",
        RecurrenceFrequency.MONTHLY: "Every `interval` months on the same weekday of the month "
        "(the 2nd Tuesday; a 5th weekday becomes the last one of each month).",
    },
)


@strawberry.type(description="A coaching session.")
class Session:
    """Each field is read from the row when it is asked for: a page that asks for five fields
    of fifty sessions computes those five, not all sixteen."""

    row: strawberry.Private[CoachingSession]
    viewer: strawberry.Private[ViewerData]
    meeting_url: strawberry.Private[str]  # MEETING_URL_TEMPLATE
    # The request's loaders: the fields below that load (service, names) need no info.
    loaders: strawberry.Private[Loaders]

    @strawberry.field(description="The session's id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field(description="When it starts.")
    def starts_at(self) -> datetime:
        return self.row.starts_at

    @strawberry.field(description="When it ends: the start plus its minutes.")
    def ends_at(self) -> datetime:
        return self.row.ends_at

    @strawberry.field(description="How long it lasts.")
    def duration_minutes(self) -> int:
        return self.row.duration_minutes

    @strawberry.field(description="Where it stands.")
    def status(self) -> SessionStatus:
        return SessionStatus(self.row.status)

    @strawberry.field(description="Notes the client sees too.")
    def customer_notes(self) -> str | None:
        return self.row.customer_notes

    @strawberry.field(description="The coach's own notes; null for anyone but the session's coach.")
    def private_notes(self) -> str | None:
        row = self.row
        return row.private_notes if access.can_see_private_notes(self.viewer, row) else None

    @strawberry.field(description="The first 80 characters of the private notes (coach only).")
    def notes_preview(self) -> str | None:
        return access.notes_preview(self.private_notes())

    @strawberry.field(description="Why it was cancelled, when a reason was given.")
    def cancellation_reason(self) -> str | None:
        return self.row.cancellation_reason

    @strawberry.field(description="The service's price when it was booked.")
    def price(self) -> Money:
        return Money(amount_minor=self.row.price_minor, currency=self.row.currency)

    @strawberry.field(description="The client's rating, 1 to 5.")
    def rating(self) -> int | None:
        return self.row.rating

    @strawberry.field(
        description="Whether the call can be joined now: from 15 minutes before the start until "
        "the end."
    )
    def can_join(self) -> bool:
        return access.can_join(self.row, clock.now())

    @strawberry.field(description="When it was booked.")
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="The video call's link: only for the session's coach and client.")
    def join_url(self) -> str | None:
        return access.join_url(self.viewer, self.row, self.meeting_url)

    @strawberry.field(description="Cancelled by the client inside the coach's notice window.")
    def late_cancellation(self) -> bool:
        return self.row.late_cancellation

    @strawberry.field(description="The late-cancellation or no-show fee charged, if any.")
    def fee(self) -> Money | None:
        row = self.row
        return Money(amount_minor=row.fee_minor, currency=row.currency) if row.fee_minor else None

    @strawberry.field(
        description="The client's shared data: null once the client was deleted, and for a "
        "coach while the client's consent is not GRANTED (the session itself stays visible)."
    )
    async def client(self, info: Info) -> ClientNode | None:
        client_id = self.row.client_id
        if client_id is None:
            return None
        consent = None
        if self.viewer.is_coach:
            consent = await info.context.loaders(load_consents).load((self.row.coach_id, client_id))
        if not shares_data(self.viewer, client_id, consent):
            return None
        user = await info.context.loaders(load_users).load(client_id)
        if user is None:
            return None
        coach_id = self.viewer.id if self.viewer.is_coach else None
        return client_node(ClientView(user, coach_id, self.viewer.time_zone))

    # The next five answer synchronously when a history page primed their loaders.
    @strawberry.field(
        description='The client\'s name (or e-mail); "Deleted Client" once deleted.',
        graphql_type=str,
    )
    def client_name(self) -> str | Awaitable[str]:
        if self.row.client_id is None:
            return access.DELETED_CLIENT
        user = self.loaders.now_or_later(load_users, self.row.client_id)
        return then(user, lambda u: (u.name or u.email) if u else access.DELETED_CLIENT)

    @strawberry.field(
        description="The client's e-mail, whatever the consent; null once deleted.",
        graphql_type=str | None,
    )
    def client_email(self) -> str | Awaitable[str | None] | None:
        if self.row.client_id is None:
            return None
        user = self.loaders.now_or_later(load_users, self.row.client_id)
        return then(user, lambda u: u.email if u else None)

    @strawberry.field(description="The coach whose session it is.", graphql_type=CoachNode)
    def coach(self, info: Info) -> CoachNode | Awaitable[CoachNode]:
        return coach_of(info, self.row.coach_id)

    @strawberry.field(description="The service booked.", graphql_type=Service)
    def service(self) -> Service | Awaitable[Service]:
        row = self.loaders.now_or_later(load_services, self.row.service_id)
        return then(row, service_of)

    @strawberry.field(
        description="The calendar the session is on, if any.", graphql_type=Calendar | None
    )
    def calendar(self) -> Calendar | Awaitable[Calendar | None] | None:
        if self.row.calendar_id is None:
            return None
        row = self.loaders.now_or_later(load_calendars, self.row.calendar_id)
        return then(row, lambda r: Calendar.of(r) if r else None)

    @strawberry.field(description="The client's reschedule request awaiting the coach, if any.")
    async def pending_reschedule_request(self, info: Info) -> RescheduleRequest | None:
        assert self.row.id is not None
        row = await info.context.loaders(reschedule.load_pending_requests).load(self.row.id)
        return RescheduleRequest.of(row) if row else None

    @strawberry.field(description="The recurring series this session belongs to, if any.")
    async def series(self, info: Info) -> Series | None:
        if self.row.series_id is None:
            return None
        row = await info.context.loaders(load_series).load(self.row.series_id)
        return Series.of(row, self.viewer) if row else None


@strawberry.type(
    name="SessionSeries",
    description="A recurring series: ordinary sessions booked together (`bookSeries`), each "
    "at the same wall-clock time in the coach's time zone.",
)
class Series:
    id: strawberry.ID = strawberry.field(description="The series' id.")
    frequency: RecurrenceFrequency = strawberry.field(description="Weekly or monthly.")
    interval: int = strawberry.field(description="Every how many weeks or months.")
    row: strawberry.Private[SessionSeries]
    viewer: strawberry.Private[ViewerData]

    @classmethod
    def of(cls, row: SessionSeries, viewer: ViewerData) -> Series:
        return cls(
            id=strawberry.ID(str(row.id)),
            frequency=RecurrenceFrequency(row.frequency),
            interval=row.interval,
            row=row,
            viewer=viewer,
        )

    @strawberry.field(
        description="Every booked occurrence, oldest first, cancelled ones too (those the viewer "
        "may see: the coach's, the client's own)."
    )
    async def sessions(self, info: Info) -> list[Session]:
        assert self.row.id is not None
        rows = await info.context.loaders(load_series_sessions).load(self.row.id)
        seen = self.viewer.id
        of = sessions_of(info)
        return [of(r) for r in rows if seen in (r.coach_id, r.client_id)]

    @strawberry.field(
        description="Occurrences not booked, earliest first: the time was taken or outside the "
        "coach's availability."
    )
    async def skipped(self, info: Info) -> list[datetime]:
        assert self.row.id is not None
        result: list[datetime] = await info.context.loaders(load_series_skips).load(self.row.id)
        return result


def session_of(info: Info, row: CoachingSession) -> Session:
    """The session as the request's viewer sees it. Private notes answered (asked for, and
    there are some) are noted on the client's audit trail, once per request and client."""
    return sessions_of(info)(row)


def sessions_of(info: Info) -> Callable[[CoachingSession], Session]:
    """`session_of` for the rows of one field: what they share (the viewer, the settings,
    whether private notes are asked for) looked up once, not once a row."""
    context = info.context
    viewer = require_viewer(context.viewer)
    meeting_url, loaders = context.settings.meeting_url_template, context.loaders
    notes_asked = asks_private_notes(info)

    def of(row: CoachingSession) -> Session:
        session = Session(row=row, viewer=viewer, meeting_url=meeting_url, loaders=loaders)
        if notes_asked and row.client_id is not None and session.private_notes():
            context.audit_read(row.client_id, AuditAction.READ_PRIVATE_NOTES)
        return session

    return of


_NOTES = frozenset({"privateNotes", "notesPreview"})


def asks_private_notes(info: Info) -> bool:
    """Whether the field being resolved asks for a session's private notes (of the session it
    answers, or of the nodes of the connection it answers). Decided once per field: a page's
    rows share the answer."""
    context = info.context
    # Kept by the field's path (the same field, the same selection), not by its info: an info
    # kept by the context would hold the context in a cycle, freed only by the cyclic collector.
    if context.notes_asked_at is not info.path:
        context.notes_asked_at = info.path
        asked = requested_node_fields(info) | requested_fields(info)
        context.notes_asked = not asked.isdisjoint(_NOTES)
    return context.notes_asked


@strawberry.type(description="A client's request to move a session.")
class RescheduleRequest:
    id: strawberry.ID = strawberry.field(description="The request's id.")
    original_starts_at: datetime = strawberry.field(description="The start it asks to move from.")
    proposed_starts_at: datetime = strawberry.field(description="The start the client proposes.")
    reason: str | None = strawberry.field(description="The client's reason.")
    status: RescheduleRequestStatus = strawberry.field(description="Where the request stands.")
    requested_at: datetime = strawberry.field(description="When the client asked.")
    expires_at: datetime = strawberry.field(
        description="A PENDING request lapses then (48 hours after it was made, or at the start)."
    )
    responded_at: datetime | None = strawberry.field(
        description="When it was decided; null while PENDING."
    )
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
        return session_of(info, row)


async def session_page(
    info: Info,
    filter: SessionFilter | None,
    sort: Sort | None,
    first: int | None,
    after: str | None,
) -> Connection[Session]:
    viewer = require_viewer(info.context.viewer)
    page = await history.list_sessions(
        info.context.db,
        viewer,
        (filter or SessionFilter()).query(),
        Sort(sort or Sort.NEWEST_FIRST),
        first,
        after,
    )
    await prime_rows(info, page.rows)
    return Connection.of(page, sessions_of(info))


async def prime_rows(info: Info, rows: list[CoachingSession]) -> None:
    """What every row of a page will ask for, loaded once for the page (see Loaders.prime).
    Only for a page on its own: inside a list of clients, the rows' loads batch across all the
    clients' pages instead."""
    asked = requested_node_fields(info)
    loaders = info.context.loaders
    if "service" in asked:
        await loaders.prime(load_services, [r.service_id for r in rows])
    users = [r.client_id for r in rows if asked & {"client", "clientName", "clientEmail"}]
    users += [r.coach_id for r in rows if "coach" in asked]
    await loaders.prime(load_users, [u for u in users if u is not None])
    viewer = info.context.viewer
    if "client" in asked and viewer is not None and viewer.is_coach:
        pairs = [(r.coach_id, r.client_id) for r in rows if r.client_id is not None]
        await loaders.prime(load_consents, pairs)
    if "calendar" in asked:
        await loaders.prime(load_calendars, [r.calendar_id for r in rows if r.calendar_id])
    if "pendingRescheduleRequest" in asked:
        await loaders.prime(reschedule.load_pending_requests, [r.id for r in rows if r.id])
