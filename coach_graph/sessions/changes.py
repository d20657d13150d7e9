"""Changes to sessions: booking, follow-ups, the status moves, notes, the coach's moves and
cancellations, review invitations and ratings. Each is one unit of
work; its live events are published once it commits."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock, events, text
from coach_graph.auth import Viewer, require_client, require_coach
from coach_graph.clients.access import lock_scheduled_link
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, Conflict, NotFound, require_row
from coach_graph.notifications.service import local_time_of, notify
from coach_graph.outbox.models import MessageKind
from coach_graph.sessions.access import find_session, own_session
from coach_graph.sessions.catalog import coach_service
from coach_graph.sessions.events import (
    SessionBooked,
    SessionCancelled,
    SessionRescheduled,
    SessionStatusChanged,
)
from coach_graph.sessions.models import (
    Calendar,
    CoachingService,
    CoachingSession,
    ReviewRequest,
    SessionStatus,
)
from coach_graph.sessions.placement import Schedule, check_placement, move_session
from coach_graph.sessions.policy import charge_no_show
from coach_graph.sessions.reminders import drop_pending_reminders
from coach_graph.sessions.reschedule import close_pending_request
from coach_graph.sessions.setup import lock_schedule
from coach_graph.sessions.status import LIVE, transition_refusal


class Keep(enum.Enum):
    """An argument that was not given: leave the stored value as it is."""

    KEEP = "KEEP"


KEEP = Keep.KEEP
CLIENT_DELETED = "Client deleted"


def _check_text(value: str | None, field: str) -> str | None:
    limit = text.REASON if field == "reason" else text.NOTES
    return text.checked_text(value, field, limit)


def session_message(s: CoachingSession, **extra: Any) -> dict[str, Any]:
    """The outbox payload naming a session (its mail and notification are written from it)."""
    return {"session_id": s.id, "starts_at": s.starts_at.isoformat(), **extra}


# ---------------------------------------------------------------- booking


async def place_session(
    session: AsyncSession,
    service: CoachingService,
    client_id: int,
    starts_at: datetime,
    *,
    status: SessionStatus,
    calendar_id: int | None = None,
    customer_notes: str | None = None,
    private_notes: str | None = None,
    self_booked: bool = False,
    by_client: bool = False,
    schedule: Schedule | None = None,
    series_id: int | None = None,
) -> CoachingSession:
    """The one way a new session is placed, for the coach's booking and the client's: on a
    service that is not archived, where the placement rule allows (call after `lock_schedule`;
    `schedule`: one loaded already, which then holds the new session too), on the given
    calendar or the coach's first. Added and flushed in the caller's transaction."""
    assert service.id is not None
    if service.archived_at is not None:
        raise BadUserInput(f"The service {service.name!r} is archived and takes no bookings.")
    if schedule is None:
        ends_at = await check_placement(
            session, service.coach_id, starts_at, service.duration_minutes, by_client=by_client
        )
    else:
        ends_at = schedule.check(starts_at, service.duration_minutes, by_client=by_client)
    if calendar_id is None:
        calendar_id = await session.scalar(
            sa.select(col(Calendar.id))
            .where(col(Calendar.coach_id) == service.coach_id)
            .order_by(col(Calendar.id))
            .limit(1)
        )
    booked = CoachingSession(
        coach_id=service.coach_id,
        client_id=client_id,
        service_id=service.id,
        calendar_id=calendar_id,
        starts_at=starts_at,
        ends_at=ends_at,
        duration_minutes=service.duration_minutes,
        status=status.value,
        customer_notes=customer_notes,
        private_notes=private_notes,
        price_minor=service.price_minor,
        currency=service.currency,
        self_booked=self_booked,
        series_id=series_id,
    )
    session.add(booked)
    await session.flush()
    assert booked.id is not None
    if schedule is not None:
        schedule.take(booked.id, starts_at, ends_at)
    events.record(
        session,
        SessionBooked(
            booked.id, booked.coach_id, client_id, starts_at, ends_at, self_booked=self_booked
        ),
    )
    return booked


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
    async with db.transaction() as session:
        await lock_scheduled_link(session, coach.id, client_id)
        service = await coach_service(session, coach.id, service_id)
        if calendar_id is not None:
            calendar = await session.scalar(
                sa.select(col(Calendar.id)).where(
                    col(Calendar.id) == calendar_id, col(Calendar.coach_id) == coach.id
                )
            )
            if calendar is None:
                raise NotFound.of("calendar", calendar_id)
        await lock_schedule(session, coach.id)
        booked = await place_session(
            session,
            service,
            client_id,
            starts_at,
            status=status,
            calendar_id=calendar_id,
            customer_notes=customer_notes,
            private_notes=private_notes,
        )
        await notify(
            session,
            client_id,
            MessageKind.SESSION_BOOKED,
            session_message(booked),
            session_id=booked.id,
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


async def update_status(
    db: Database,
    viewer: Viewer | None,
    session_id: int,
    target: SessionStatus,
    reason: str | None = None,
) -> CoachingSession:
    """Move a session along the status machine; cancelling drops its pending reminders and
    rejects its pending reschedule request."""
    coach = require_coach(viewer)
    _check_text(reason, "reason")
    async with db.transaction() as session:
        s = await own_session(session, coach, session_id)
        refusal = transition_refusal(s, target, clock.now())
        if refusal:
            raise Conflict(refusal)
        if target == SessionStatus.CANCELLED:
            await cancel_occurrence(session, s, reason)
            return s
        confirmed = target == SessionStatus.CONFIRMED and s.status == SessionStatus.PENDING
        previous_status = s.status
        s.status = target.value
        assert s.id is not None
        events.record(
            session,
            SessionStatusChanged(s.id, s.coach_id, s.client_id, previous_status, target.value),
        )
        if confirmed and s.client_id is not None:
            when = await local_time_of(session, s.client_id, s.starts_at)
            await notify(
                session,
                s.client_id,
                MessageKind.SESSION_BOOKED,
                session_message(s),
                session_id=s.id,
                title="Session confirmed",
                body=f"Your coach confirmed the session of {when}.",
            )
        if target in (SessionStatus.NO_SHOW, SessionStatus.COMPLETED):
            await charge_no_show(session, s)
    return s


async def cancel_occurrence(session: AsyncSession, s: CoachingSession, reason: str | None) -> None:
    """The coach cancels one session (alone, or as an occurrence of a series): its invitation
    sequence moves on, reminders are dropped, a pending request rejected, the client told."""
    s.status = SessionStatus.CANCELLED.value
    s.cancellation_reason = reason
    s.invite_sequence += 1
    assert s.id is not None
    events.record(session, SessionCancelled(s.id, s.coach_id, s.client_id, s.starts_at, s.ends_at))
    await drop_pending_reminders(session, s.id)
    await close_pending_request(session, s.id, "The session was cancelled.")
    await notify(
        session,
        s.client_id,
        MessageKind.SESSION_CANCELLED,
        session_message(s, reason=reason),
        session_id=s.id,
    )


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
        s = await own_session(session, coach, session_id)
        if not isinstance(customer_notes, Keep):
            s.customer_notes = _check_text(customer_notes, "customerNotes")
        if not isinstance(private_notes, Keep):
            s.private_notes = _check_text(private_notes, "privateNotes")
    return s


async def reschedule_session(
    db: Database, viewer: Viewer | None, session_id: int, starts_at: datetime, reason: str | None
) -> CoachingSession:
    """The coach moves a session at once; the client is told through the outbox. A pending
    request of the client is rejected."""
    coach = require_coach(viewer)
    _check_text(reason, "reason")
    async with db.transaction() as session:
        await lock_schedule(session, coach.id)
        s = await own_session(session, coach, session_id)
        if s.status not in LIVE:
            raise Conflict(f"A {s.status} session cannot be rescheduled.")
        ends_at = await check_placement(
            session, coach.id, starts_at, s.duration_minutes, exclude_session_id=s.id
        )
        await move_occurrence(session, s, starts_at, ends_at, reason)
    return s


async def move_occurrence(
    session: AsyncSession,
    s: CoachingSession,
    starts_at: datetime,
    ends_at: datetime,
    reason: str | None,
) -> None:
    """The coach moves one session (alone, or as an occurrence of a series) to a place the
    placement rule allowed: a new invitation sequence, reminders for the new time, a pending
    request of the client rejected, the client told."""
    previous = s.starts_at
    move_session(s, starts_at, ends_at)
    assert s.id is not None
    events.record(
        session, SessionRescheduled(s.id, s.coach_id, s.client_id, previous, starts_at, ends_at)
    )
    await drop_pending_reminders(session, s.id)
    await close_pending_request(session, s.id, "The coach rescheduled the session.")
    await notify(
        session,
        s.client_id,
        MessageKind.SESSION_RESCHEDULED,
        session_message(s, previous_starts_at=previous.isoformat(), reason=reason),
        session_id=s.id,
    )


async def request_review(db: Database, viewer: Viewer | None, session_id: int) -> bool:
    """Invite the client to review a completed session; one open invitation per session."""
    coach = require_coach(viewer)
    try:
        async with db.transaction() as session:
            s = await own_session(session, coach, session_id)
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
                session,
                s.client_id,
                MessageKind.REVIEW_INVITATION,
                session_message(s),
                session_id=s.id,
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
        theirs = sa.select(CoachingSession).where(
            col(CoachingSession.id) == session_id, col(CoachingSession.client_id) == client.id
        )
        s = await require_row(session, theirs, "session", session_id)
        if s.status != SessionStatus.COMPLETED:
            raise Conflict(f"Only a COMPLETED session can be rated; this one is {s.status}.")
        s.rating = rating
        await session.execute(
            sa.update(ReviewRequest)
            .where(col(ReviewRequest.session_id) == s.id, col(ReviewRequest.closed_at).is_(None))
            .values(closed_at=clock.now())
        )
    return s
