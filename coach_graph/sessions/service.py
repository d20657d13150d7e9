"""The rules of sessions: who sees which, booking, the status machine, notes, coach moves and
cancellations, follow-ups, reviews, ratings, history lists, per-client statistics, and detaching
a deleted client."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from coach_graph import clock, text
from coach_graph.accounts.models import User
from coach_graph.auth import Viewer, require_client, require_coach, require_viewer
from coach_graph.clients.access import granted_clients, visible_client
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, Conflict, NotFound
from coach_graph.notifications.service import notify
from coach_graph.outbox.models import MessageKind, OutboxMessage
from coach_graph.pagination import Page, decode_cursor, page_size
from coach_graph.sessions.availability import Window, fits
from coach_graph.sessions.catalog import coach_service
from coach_graph.sessions.models import (
    AvailabilityWindow,
    Calendar,
    CoachingSession,
    RescheduleRequest,
    RescheduleRequestStatus,
    ReviewRequest,
    SessionStatus,
)
from coach_graph.sessions.setup import lock_schedule

DELETED_CLIENT = "Deleted Client"
LIVE = (SessionStatus.PENDING, SessionStatus.CONFIRMED)
JOIN_EARLY = timedelta(minutes=15)
NO_SHOW_AFTER = timedelta(minutes=10)
NOTES_PREVIEW = 80
REMINDER_KINDS = (MessageKind.REMINDER_24H.value, MessageKind.REMINDER_1H.value)

# The status machine of SPEC.md; COMPLETED <-> NO_SHOW is the coach's correction.
MOVES: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.PENDING: frozenset({SessionStatus.CONFIRMED, SessionStatus.CANCELLED}),
    SessionStatus.CONFIRMED: frozenset(
        {SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.NO_SHOW}
    ),
    SessionStatus.COMPLETED: frozenset({SessionStatus.NO_SHOW}),
    SessionStatus.NO_SHOW: frozenset({SessionStatus.COMPLETED}),
    SessionStatus.CANCELLED: frozenset(),
}
STATUS_ORDER = {s: i for i, s in enumerate(SessionStatus)}


class Keep(enum.Enum):
    """An argument that was not given: leave the stored value as it is."""

    KEEP = "KEEP"


KEEP = Keep.KEEP


class When(enum.StrEnum):
    ALL = "ALL"
    UPCOMING = "UPCOMING"
    PAST = "PAST"


class Sort(enum.StrEnum):
    NEWEST_FIRST = "NEWEST_FIRST"
    OLDEST_FIRST = "OLDEST_FIRST"
    STATUS = "STATUS"


@dataclass(frozen=True)
class SessionQuery:
    """The filters of a history list."""

    when: When = When.ALL
    statuses: tuple[SessionStatus, ...] | None = None
    service_ids: tuple[int, ...] | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    client_id: int | None = None


# ---------------------------------------------------------------- access


def coach_scope(coach_id: int) -> sa.ColumnElement[bool]:
    """A coach's sessions: with a GRANTED client, or with a deleted one (client null)."""
    return sa.and_(
        col(CoachingSession.coach_id) == coach_id,
        sa.or_(
            col(CoachingSession.client_id).is_(None),
            col(CoachingSession.client_id).in_(granted_clients(coach_id)),
        ),
    )


def viewer_scope(viewer: Viewer) -> sa.ColumnElement[bool]:
    """The sessions a viewer may see: a coach their own, a client theirs."""
    if viewer.is_coach:
        return coach_scope(viewer.id)
    return col(CoachingSession.client_id) == viewer.id


async def find_session(
    db: Database, viewer: Viewer | None, session_id: int
) -> CoachingSession | None:
    viewer = require_viewer(viewer)
    async with db.session() as session:
        result: CoachingSession | None = await session.scalar(
            sa.select(CoachingSession).where(
                col(CoachingSession.id) == session_id, viewer_scope(viewer)
            )
        )
        return result


async def _own_session(session: AsyncSession, coach: Viewer, session_id: int) -> CoachingSession:
    """The coach's session, row-locked for the transaction where the engine supports it."""
    found = await session.scalar(
        sa.select(CoachingSession)
        .where(col(CoachingSession.id) == session_id, coach_scope(coach.id))
        .with_for_update()
    )
    if found is None:
        raise NotFound.of("session", session_id)
    return found


def can_see_private_notes(viewer: Viewer | None, s: CoachingSession) -> bool:
    """Private notes are the session's coach's alone."""
    return viewer is not None and viewer.is_coach and viewer.id == s.coach_id


def notes_preview(private_notes: str | None) -> str | None:
    if not private_notes:
        return None
    return private_notes[:NOTES_PREVIEW]


def can_join(s: CoachingSession, now: datetime | None = None) -> bool:
    """From 15 minutes before the start until the end, unless cancelled or over."""
    now = now or clock.now()
    return s.status in LIVE and s.starts_at - JOIN_EARLY <= now < s.ends_at


# ---------------------------------------------------------------- placement


def _check_text(value: str | None, field: str) -> str | None:
    limit = text.REASON if field == "reason" else text.NOTES
    return text.checked_text(value, field, limit)


async def check_placement(
    session: AsyncSession,
    coach_id: int,
    starts_at: datetime,
    duration_minutes: int,
    *,
    exclude_session_id: int | None = None,
) -> datetime:
    """Refuse a start in the past, outside the coach's weekly hours or overlapping another
    session of the coach (cancelled ones aside). Call after `lock_schedule`. Returns the end."""
    now = clock.now()
    if starts_at <= now:
        raise BadUserInput(
            f"A session must start in the future; {starts_at.isoformat()} has passed."
        )
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    tz_name = await session.scalar(sa.select(col(User.time_zone)).where(col(User.id) == coach_id))
    tz = ZoneInfo(tz_name or "UTC")
    rows = await session.execute(
        sa.select(
            col(AvailabilityWindow.weekday),
            col(AvailabilityWindow.start_minute),
            col(AvailabilityWindow.end_minute),
        ).where(col(AvailabilityWindow.coach_id) == coach_id)
    )
    windows = [Window(*r) for r in rows.all()]
    if not fits(windows, tz, starts_at, ends_at):
        local = starts_at.astimezone(tz)
        raise BadUserInput(
            f"{local:%A %Y-%m-%d %H:%M} ({tz.key}) for {duration_minutes} minutes is outside the "
            "coach's availability."
        )
    clash = await session.scalar(
        sa.select(CoachingSession)
        .where(
            col(CoachingSession.coach_id) == coach_id,
            col(CoachingSession.status) != SessionStatus.CANCELLED,
            col(CoachingSession.starts_at) < ends_at,
            col(CoachingSession.ends_at) > starts_at,
            col(CoachingSession.id) != (exclude_session_id or 0),
        )
        .limit(1)
    )
    if clash is not None:
        raise Conflict(
            f"That time overlaps another session ({clash.starts_at.isoformat()} to "
            f"{clash.ends_at.isoformat()})."
        )
    return ends_at


async def drop_pending_reminders(session: AsyncSession, session_id: int | None) -> None:
    """Unsent reminders of a session announce a time that no longer holds: drop them (the
    reminder job queues new ones for the new time)."""
    await session.execute(
        sa.delete(OutboxMessage).where(
            col(OutboxMessage.session_id) == session_id,
            col(OutboxMessage.kind).in_(REMINDER_KINDS),
            col(OutboxMessage.sent_at).is_(None),
        )
    )


def move_session(s: CoachingSession, starts_at: datetime, ends_at: datetime) -> None:
    s.starts_at, s.ends_at, s.scheduled_at = starts_at, ends_at, clock.now()
    s.invite_sequence += 1


async def close_pending_request(
    session: AsyncSession, session_id: int | None, reason: str
) -> RescheduleRequest | None:
    """Reject a session's pending reschedule request when the coach moves or cancels it."""
    request = await session.scalar(
        sa.select(RescheduleRequest).where(
            col(RescheduleRequest.session_id) == session_id,
            col(RescheduleRequest.status) == RescheduleRequestStatus.PENDING,
        )
    )
    if request is not None:
        request.status = RescheduleRequestStatus.REJECTED.value
        request.responded_at = clock.now()
        request.response_reason = reason
    return request


def _message(s: CoachingSession, **extra: Any) -> dict[str, Any]:
    return {"session_id": s.id, "starts_at": s.starts_at.isoformat(), **extra}


# ---------------------------------------------------------------- booking


async def book_session(
    db: Database,
    viewer: Viewer | None,
    *,
    client_id: int,
    service_id: int,
    starts_at: datetime,
    calendar_id: int | None = None,
    customer_notes: str | None = None,
    private_notes: str | None = None,
    status: SessionStatus = SessionStatus.CONFIRMED,
) -> CoachingSession:
    """Book a session of one of the coach's services with one of their clients."""
    coach = require_coach(viewer)
    if status not in LIVE:
        raise BadUserInput("A new session is PENDING or CONFIRMED.")
    _check_text(customer_notes, "customerNotes")
    _check_text(private_notes, "privateNotes")
    await visible_client(db, coach, client_id)
    async with db.transaction() as session:
        service = await coach_service(session, coach.id, service_id)
        if service.archived_at is not None:
            raise BadUserInput(f"The service {service.name!r} is archived and takes no bookings.")
        if calendar_id is not None:
            calendar = await session.scalar(
                sa.select(col(Calendar.id)).where(
                    col(Calendar.id) == calendar_id, col(Calendar.coach_id) == coach.id
                )
            )
            if calendar is None:
                raise NotFound.of("calendar", calendar_id)
        else:
            calendar_id = await session.scalar(
                sa.select(col(Calendar.id))
                .where(col(Calendar.coach_id) == coach.id)
                .order_by(col(Calendar.id))
                .limit(1)
            )
        await lock_schedule(session, coach.id)
        ends_at = await check_placement(session, coach.id, starts_at, service.duration_minutes)
        booked = CoachingSession(
            coach_id=coach.id,
            client_id=client_id,
            service_id=service_id,
            calendar_id=calendar_id,
            starts_at=starts_at,
            ends_at=ends_at,
            duration_minutes=service.duration_minutes,
            status=status.value,
            customer_notes=customer_notes,
            private_notes=private_notes,
            price_minor=service.price_minor,
            currency=service.currency,
        )
        session.add(booked)
        await session.flush()
        await notify(
            session, client_id, MessageKind.SESSION_BOOKED, _message(booked), session_id=booked.id
        )
    return booked


async def book_follow_up(
    db: Database, viewer: Viewer | None, session_id: int, starts_at: datetime
) -> CoachingSession:
    """A new session with the same client, service and calendar at a new time."""
    coach = require_coach(viewer)
    original = await find_session(db, coach, session_id)
    if original is None:
        raise NotFound.of("session", session_id)
    if original.client_id is None:
        raise Conflict("The client of that session was deleted; a follow-up needs a client.")
    return await book_session(
        db,
        coach,
        client_id=original.client_id,
        service_id=original.service_id,
        starts_at=starts_at,
        calendar_id=original.calendar_id,
    )


# ---------------------------------------------------------------- status and notes


def transition_refusal(s: CoachingSession, target: SessionStatus, now: datetime) -> str | None:
    """Why the status of `s` may not become `target` now, or None when it may."""
    current = SessionStatus(s.status)
    if not MOVES[current]:
        return f"The session is {current.value}, which is final."
    if current == target:
        return f"The session is {current.value} already."
    if target not in MOVES[current]:
        allowed = ", ".join(sorted(m.value for m in MOVES[current]))
        return f"A {current.value} session can only become {allowed}, not {target.value}."
    if target == SessionStatus.COMPLETED and now < s.starts_at:
        return "A session can only be COMPLETED after its start time."
    if target == SessionStatus.NO_SHOW and now < s.starts_at + NO_SHOW_AFTER:
        return "A no-show can only be recorded 10 minutes after the start time or later."
    return None


async def update_status(
    db: Database,
    viewer: Viewer | None,
    session_id: int,
    target: SessionStatus,
    reason: str | None = None,
) -> tuple[CoachingSession, RescheduleRequest | None]:
    """Move a session along the status machine; cancelling drops its pending reminders and
    rejects its pending reschedule request (returned so the caller can publish it)."""
    coach = require_coach(viewer)
    _check_text(reason, "reason")
    closed: RescheduleRequest | None = None
    async with db.transaction() as session:
        s = await _own_session(session, coach, session_id)
        refusal = transition_refusal(s, target, clock.now())
        if refusal:
            raise Conflict(refusal)
        s.status = target.value
        if target == SessionStatus.CANCELLED:
            s.cancellation_reason = reason
            s.invite_sequence += 1
            await drop_pending_reminders(session, session_id)
            closed = await close_pending_request(session, session_id, "The session was cancelled.")
            await notify(
                session,
                s.client_id,
                MessageKind.SESSION_CANCELLED,
                _message(s, reason=reason),
                session_id=s.id,
            )
    return s, closed


async def update_notes(
    db: Database,
    viewer: Viewer | None,
    session_id: int,
    customer_notes: str | Keep | None = KEEP,
    private_notes: str | Keep | None = KEEP,
) -> CoachingSession:
    """Edit a session's notes; an argument not given is left as it is, null clears it."""
    coach = require_coach(viewer)
    async with db.transaction() as session:
        s = await _own_session(session, coach, session_id)
        if not isinstance(customer_notes, Keep):
            s.customer_notes = _check_text(customer_notes, "customerNotes")
        if not isinstance(private_notes, Keep):
            s.private_notes = _check_text(private_notes, "privateNotes")
    return s


async def reschedule_session(
    db: Database, viewer: Viewer | None, session_id: int, starts_at: datetime, reason: str | None
) -> tuple[CoachingSession, RescheduleRequest | None]:
    """The coach moves a session at once; the client is told through the outbox. A pending
    request of the client is rejected (returned so the caller can publish it)."""
    coach = require_coach(viewer)
    _check_text(reason, "reason")
    async with db.transaction() as session:
        await lock_schedule(session, coach.id)
        s = await _own_session(session, coach, session_id)
        if s.status not in LIVE:
            raise Conflict(f"A {s.status} session cannot be rescheduled.")
        previous = s.starts_at
        ends_at = await check_placement(
            session, coach.id, starts_at, s.duration_minutes, exclude_session_id=s.id
        )
        move_session(s, starts_at, ends_at)
        await drop_pending_reminders(session, s.id)
        closed = await close_pending_request(session, s.id, "The coach rescheduled the session.")
        await notify(
            session,
            s.client_id,
            MessageKind.SESSION_RESCHEDULED,
            _message(s, previous_starts_at=previous.isoformat(), reason=reason),
            session_id=s.id,
        )
    return s, closed


async def request_review(db: Database, viewer: Viewer | None, session_id: int) -> bool:
    """Invite the client to review a completed session; one open invitation per session."""
    coach = require_coach(viewer)
    try:
        async with db.transaction() as session:
            s = await _own_session(session, coach, session_id)
            if s.status != SessionStatus.COMPLETED:
                raise Conflict("Only a COMPLETED session can be reviewed.")
            if s.client_id is None:
                raise Conflict("The client of that session was deleted.")
            open_request = await session.scalar(
                sa.select(col(ReviewRequest.id)).where(
                    col(ReviewRequest.session_id) == s.id, col(ReviewRequest.closed_at).is_(None)
                )
            )
            if open_request is not None:
                raise Conflict("A review of this session was requested already.")
            assert s.id is not None
            session.add(ReviewRequest(session_id=s.id))
            await notify(
                session, s.client_id, MessageKind.REVIEW_INVITATION, _message(s), session_id=s.id
            )
            await session.flush()
    except sa.exc.IntegrityError:  # a concurrent request won the unique index
        raise Conflict("A review of this session was requested already.") from None
    return True


async def rate_session(
    db: Database, viewer: Viewer | None, session_id: int, rating: int
) -> CoachingSession:
    """The session's client rates a COMPLETED session from 1 to 5 (again to change it)."""
    client = require_client(viewer)
    if not 1 <= rating <= 5:
        raise BadUserInput(f"A rating is a whole number from 1 to 5; got {rating}.")
    async with db.transaction() as session:
        s = await session.scalar(
            sa.select(CoachingSession).where(
                col(CoachingSession.id) == session_id, col(CoachingSession.client_id) == client.id
            )
        )
        if s is None:
            raise NotFound.of("session", session_id)
        if s.status != SessionStatus.COMPLETED:
            raise Conflict(f"Only a COMPLETED session can be rated; this one is {s.status}.")
        s.rating = rating
        await session.execute(
            sa.update(ReviewRequest)
            .where(col(ReviewRequest.session_id) == s.id, col(ReviewRequest.closed_at).is_(None))
            .values(closed_at=clock.now())
        )
    return s


# ---------------------------------------------------------------- history


def _conditions(q: SessionQuery, now: datetime) -> list[sa.ColumnElement[bool]]:
    conds: list[sa.ColumnElement[bool]] = []
    if q.when == When.UPCOMING:
        conds.append(col(CoachingSession.starts_at) >= now)
    elif q.when == When.PAST:
        conds.append(col(CoachingSession.starts_at) < now)
    if q.statuses is not None:
        conds.append(col(CoachingSession.status).in_([s.value for s in q.statuses]))
    if q.service_ids is not None:
        conds.append(col(CoachingSession.service_id).in_(q.service_ids))
    if q.starts_from is not None:
        conds.append(col(CoachingSession.starts_at) >= q.starts_from)
    if q.starts_to is not None:
        conds.append(col(CoachingSession.starts_at) < q.starts_to)
    if q.client_id is not None:
        conds.append(col(CoachingSession.client_id) == q.client_id)
    return conds


def _status_rank() -> sa.ColumnElement[int]:
    return sa.case(
        *((col(CoachingSession.status) == s.value, i) for s, i in STATUS_ORDER.items()),
        else_=len(STATUS_ORDER),
    )


def _keyset(columns: list[tuple[Any, bool]], values: tuple[Any, ...]) -> sa.ColumnElement[bool]:
    """Rows after `values` in the order of `columns` ((expression, ascending) pairs)."""
    (column, ascending), *rest = columns
    value = values[0]
    after: sa.ColumnElement[bool] = column > value if ascending else column < value
    if not rest:
        return after
    return sa.or_(after, sa.and_(column == value, _keyset(rest, values[1:])))


def _order(sort: Sort) -> list[tuple[Any, bool]]:
    starts, ident = col(CoachingSession.starts_at), col(CoachingSession.id)
    if sort == Sort.OLDEST_FIRST:
        return [(starts, True), (ident, True)]
    if sort == Sort.STATUS:
        return [(_status_rank(), True), (starts, False), (ident, False)]
    return [(starts, False), (ident, False)]


def _key(sort: Sort, s: CoachingSession) -> tuple[Any, ...]:
    if sort == Sort.STATUS:
        return (STATUS_ORDER[SessionStatus(s.status)], s.starts_at, s.id)
    return (s.starts_at, s.id)


async def list_sessions(
    db: Database,
    viewer: Viewer | None,
    q: SessionQuery,
    sort: Sort,
    first: int | None,
    after: str | None,
) -> Page[CoachingSession]:
    """One page of the viewer's sessions, filtered and sorted, with a keyset cursor: one
    statement for the page, one for the total."""
    viewer = require_viewer(viewer)
    size = page_size(first, 50)
    order = _order(sort)
    key = cursor_key(sort, after)
    conds = _conditions(q, clock.now())
    conds.append(viewer_scope(viewer))
    query = sa.select(CoachingSession).where(*conds)
    page_query = query.order_by(*(c if asc else c.desc() for c, asc in order)).limit(size + 1)
    if key is not None:
        page_query = page_query.where(_keyset(order, key))
    async with db.session() as session:
        rows = list((await session.scalars(page_query)).all())

    async def count() -> int:
        async with db.session() as session:
            total = await session.scalar(
                sa.select(sa.func.count()).select_from(CoachingSession).where(*conds)
            )
        return int(total or 0)

    return Page.from_rows(rows, size, key=lambda s: _key(sort, s), count=count)


def cursor_key(sort: Sort, after: str | None) -> tuple[Any, ...] | None:
    """The sort key inside an `after` cursor (BAD_USER_INPUT when it is not one of ours)."""
    key = decode_cursor(after, len(_order(sort)))
    return None if key is None else _checked_key(sort, key)


def _checked_key(sort: Sort, key: tuple[Any, ...]) -> tuple[Any, ...]:
    """A cursor's values must have the types of the sort key, or the SQL would fail."""
    *ints_before, starts_at, ident = key
    valid = (
        isinstance(starts_at, datetime)
        and starts_at.tzinfo is not None
        and all(isinstance(v, int) and not isinstance(v, bool) for v in (*ints_before, ident))
    )
    if not valid:
        raise BadUserInput("That `after` cursor is not valid here.")
    return key


@dataclass(frozen=True, slots=True)
class ClientSessions:
    """One client's history page as a DataLoader key. Clients asked with the same filters, sort,
    size and cursor share one statement (ranked per client), so a list of clients with their
    sessions does not run a query per client. `coach_id` is the viewing coach (their sessions
    with the client only); None when the client looks at their own."""

    client_id: int
    coach_id: int | None
    query: SessionQuery
    sort: Sort
    size: int
    after: tuple[Any, ...] | None

    @property
    def count_key(self) -> tuple[int, int | None, SessionQuery]:
        return (self.client_id, self.coach_id, self.query)

    def page(
        self, rows: list[CoachingSession], count: Callable[[], Awaitable[int]]
    ) -> Page[CoachingSession]:
        return Page.from_rows(rows, self.size, key=lambda s: _key(self.sort, s), count=count)


def _client_conditions(
    coach_id: int | None, query: SessionQuery, client_ids: list[int]
) -> list[sa.ColumnElement[bool]]:
    # The clients were checked visible already: the coach's own sessions with them suffice,
    # without the consent subquery of the general scope.
    conds = _conditions(query, clock.now())
    conds.append(col(CoachingSession.client_id).in_(client_ids))
    if coach_id is not None:
        conds.append(col(CoachingSession.coach_id) == coach_id)
    return conds


async def client_session_pages(
    db: Database, keys: list[ClientSessions]
) -> list[list[CoachingSession]]:
    """Batch: each key's page rows (one more than its size, to tell whether more follow)."""
    groups: dict[tuple[Any, ...], list[ClientSessions]] = defaultdict(list)
    for k in keys:
        groups[(k.coach_id, k.query, k.sort, k.size, k.after)].append(k)
    found: dict[ClientSessions, list[CoachingSession]] = {}
    async with db.session() as session:
        for (coach_id, query, sort, size, after), members in groups.items():
            order = _order(sort)
            conds = _client_conditions(coach_id, query, [k.client_id for k in members])
            if after is not None:
                conds.append(_keyset(order, after))
            ordering = [c if asc else c.desc() for c, asc in order]
            if len(members) == 1:  # one client: an ordered LIMIT walks the index and stops
                result = await session.scalars(
                    sa.select(CoachingSession).where(*conds).order_by(*ordering).limit(size + 1)
                )
            else:
                rank = sa.func.row_number().over(
                    partition_by=col(CoachingSession.client_id), order_by=ordering
                )
                ranked = sa.select(CoachingSession, rank.label("rank")).where(*conds).subquery()
                row = aliased(CoachingSession, ranked)
                result = await session.scalars(
                    sa.select(row)
                    .where(ranked.c.rank <= size + 1)
                    .order_by(ranked.c.client_id, ranked.c.rank)
                )
            by_client: dict[int | None, list[CoachingSession]] = defaultdict(list)
            for s in result:
                by_client[s.client_id].append(s)
            for k in members:
                found[k] = by_client.get(k.client_id, [])
    return [found[k] for k in keys]


async def client_session_counts(
    db: Database, keys: list[tuple[int, int | None, SessionQuery]]
) -> list[int]:
    """Batch: how many sessions each (client, viewing coach, filters) holds in all."""
    groups: dict[tuple[int | None, SessionQuery], list[int]] = defaultdict(list)
    for client_id, coach_id, query in keys:
        groups[(coach_id, query)].append(client_id)
    found: dict[tuple[int, int | None, SessionQuery], int] = {}
    async with db.session() as session:
        for (coach_id, query), client_ids in groups.items():
            rows = await session.execute(
                sa.select(col(CoachingSession.client_id), sa.func.count())
                .where(*_client_conditions(coach_id, query, client_ids))
                .group_by(col(CoachingSession.client_id))
            )
            counts = {client_id: int(n) for client_id, n in rows.all()}
            for client_id in client_ids:
                found[(client_id, coach_id, query)] = counts.get(client_id, 0)
    return [found[k] for k in keys]


# ---------------------------------------------------------------- statistics


@dataclass(frozen=True)
class SessionStats:
    total: int = 0
    completed: int = 0
    cancelled: int = 0
    no_shows: int = 0
    revenue_minor: int = 0
    currency: str | None = None

    @property
    def cancellation_rate(self) -> float:
        return self.cancelled / self.total if self.total else 0.0


StatsKey = tuple[int, int]  # (client id, coach id; 0 = the client's own view)


async def load_session_stats(db: Database, keys: list[StatsKey]) -> list[SessionStats]:
    """Statistics per (client, coach) in one aggregate statement per coach of the batch."""
    found: dict[StatsKey, SessionStats] = {}
    status = col(CoachingSession.status)

    def when(s: SessionStatus, then: Any = 1) -> sa.ColumnElement[Any]:
        return sa.func.coalesce(sa.func.sum(sa.case((status == s.value, then), else_=0)), 0)

    for coach_id in {k[1] for k in keys}:
        client_ids = [k[0] for k in keys if k[1] == coach_id]
        query = (
            sa.select(
                col(CoachingSession.client_id),
                col(CoachingSession.currency),
                sa.func.count(),
                when(SessionStatus.COMPLETED),
                when(SessionStatus.CANCELLED),
                when(SessionStatus.NO_SHOW),
                when(SessionStatus.COMPLETED, col(CoachingSession.price_minor)),
            )
            .where(col(CoachingSession.client_id).in_(client_ids))
            .group_by(col(CoachingSession.client_id), col(CoachingSession.currency))
        )
        if coach_id:
            # Keys come from ClientViews, whose client the coach may see: no consent subquery.
            query = query.where(col(CoachingSession.coach_id) == coach_id)
        async with db.session() as session:
            rows = (await session.execute(query)).all()
        for client_id, currency, total, completed, cancelled, no_shows, revenue in rows:
            k = (int(client_id), coach_id)
            old = found.get(k, SessionStats())
            # Several currencies: counts add up; revenue is the biggest currency's.
            keep_revenue = old.currency is None or int(revenue) > old.revenue_minor
            found[k] = SessionStats(
                total=old.total + int(total),
                completed=old.completed + int(completed),
                cancelled=old.cancelled + int(cancelled),
                no_shows=old.no_shows + int(no_shows),
                revenue_minor=int(revenue) if keep_revenue else old.revenue_minor,
                currency=currency if keep_revenue else old.currency,
            )
    return [found.get(k, SessionStats()) for k in keys]


# ---------------------------------------------------------------- deleted clients


async def detach_client(session: AsyncSession, coach_id: int, client_id: int) -> None:
    """Called by deleteClient inside its transaction: the client's sessions with this coach stay
    (notes too) but link to no one, their pending reschedule requests expire, and unsent
    messages about them are dropped."""
    session_ids = sa.select(col(CoachingSession.id)).where(
        col(CoachingSession.coach_id) == coach_id, col(CoachingSession.client_id) == client_id
    )
    await session.execute(
        sa.delete(OutboxMessage).where(
            col(OutboxMessage.session_id).in_(session_ids),
            col(OutboxMessage.sent_at).is_(None),
        )
    )
    await session.execute(
        sa.update(RescheduleRequest)
        .where(
            col(RescheduleRequest.coach_id) == coach_id,
            col(RescheduleRequest.client_id) == client_id,
        )
        .values(
            client_id=None,
            status=sa.case(
                (
                    col(RescheduleRequest.status) == RescheduleRequestStatus.PENDING.value,
                    RescheduleRequestStatus.EXPIRED.value,
                ),
                else_=col(RescheduleRequest.status),
            ),
        )
    )
    await session.execute(
        sa.update(CoachingSession)
        .where(
            col(CoachingSession.coach_id) == coach_id, col(CoachingSession.client_id) == client_id
        )
        .values(client_id=None)
    )
