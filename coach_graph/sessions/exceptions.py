"""Availability exceptions (SPEC.md "Sessions"): a coach's time off (a holiday, an afternoon)
and extra hours outside the weekly ones, each a UTC range with an optional note. The placement
rule (`placement.Schedule`) honours them; this module adds, removes and lists them. Sessions
already booked inside new time off stay where they are and are listed as its `conflicts`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock, events, text
from coach_graph.auth import Viewer, require_coach
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, NotFound
from coach_graph.sessions.access import coach_scope
from coach_graph.sessions.events import ExtraHoursAdded, TimeOffRemoved
from coach_graph.sessions.models import AvailabilityException, CoachingSession
from coach_graph.sessions.setup import lock_schedule
from coach_graph.sessions.status import LIVE

# One exception spans at most this long, and one listing asks for at most this long a period.
MAX_SPAN = timedelta(days=366)
# A listing answers at most this many exceptions.
MAX_LISTED = 500


@dataclass
class ExceptionView:
    """An exception and, for time off, the coach's PENDING and CONFIRMED sessions inside it."""

    row: AvailabilityException
    conflicts: list[CoachingSession] = field(default_factory=list)


def _check_range(starts_at: datetime, ends_at: datetime, what: str) -> None:
    if ends_at <= starts_at:
        raise BadUserInput(f"{what} must end after it starts.", field="endsAt")
    if ends_at - starts_at > MAX_SPAN:
        raise BadUserInput(f"{what} spans at most {MAX_SPAN.days} days.", field="endsAt")


async def _with_conflicts(
    session: AsyncSession, coach_id: int, rows: list[AvailabilityException]
) -> list[ExceptionView]:
    """Each exception with its conflicts, found in one statement for them all."""
    views = [ExceptionView(r) for r in rows]
    blocked = [r for r in rows if not r.available]
    if not blocked:
        return views
    inside_any = sa.or_(
        *(
            sa.and_(
                col(CoachingSession.starts_at) < r.ends_at,
                col(CoachingSession.ends_at) > r.starts_at,
            )
            for r in blocked
        )
    )
    sessions = (
        await session.scalars(
            sa.select(CoachingSession)
            .where(
                coach_scope(coach_id),
                col(CoachingSession.status).in_([s.value for s in LIVE]),
                inside_any,
            )
            .order_by(col(CoachingSession.starts_at), col(CoachingSession.id))
        )
    ).all()
    for view in views:
        if not view.row.available:
            view.conflicts = [
                s
                for s in sessions
                if s.starts_at < view.row.ends_at and s.ends_at > view.row.starts_at
            ]
    return views


async def add_exception(
    db: Database,
    viewer: Viewer | None,
    starts_at: datetime,
    ends_at: datetime,
    available: bool,
    note: str | None,
) -> ExceptionView:
    """Add time off (`available` false) or extra hours (true) to the coach's schedule, in the
    schedule's turn (a booking racing it lands before it, and is then listed, or after it, and
    is then refused). Time off lists the sessions already booked inside it; none is moved.
    Extra hours are told to the domains that react (ExtraHoursAdded: the waitlist)."""
    coach = require_coach(viewer)
    what = "Extra hours" if available else "Time off"
    _check_range(starts_at, ends_at, what)
    if ends_at <= clock.now():
        raise BadUserInput(f"{what} must end in the future.", field="endsAt")
    note = text.checked_text(note, "note", text.REASON)
    if note is not None:
        note = note.strip() or None
    async with db.transaction() as session:
        await lock_schedule(session, coach.id)
        row = AvailabilityException(
            coach_id=coach.id, starts_at=starts_at, ends_at=ends_at, available=available, note=note
        )
        session.add(row)
        await session.flush()
        if available:
            assert row.id is not None
            events.record(session, ExtraHoursAdded(row.id, coach.id, starts_at, ends_at))
        (view,) = await _with_conflicts(session, coach.id, [row])
    return view


async def remove_exception(db: Database, viewer: Viewer | None, exception_id: int) -> bool:
    """Remove one of the coach's exceptions (sessions booked meanwhile stay). Removed time off
    is told to the domains that react (TimeOffRemoved: the waitlist), in the same transaction."""
    coach = require_coach(viewer)
    async with db.transaction() as session:
        await lock_schedule(session, coach.id)
        row = await session.scalar(
            sa.select(AvailabilityException).where(
                col(AvailabilityException.id) == exception_id,
                col(AvailabilityException.coach_id) == coach.id,
            )
        )
        if row is None:
            raise NotFound.of("availability exception", exception_id)
        await session.delete(row)
        if not row.available:
            events.record(session, TimeOffRemoved(coach.id, row.starts_at, row.ends_at))
    return True


async def list_exceptions(
    db: Database, viewer: Viewer | None, start: datetime, end: datetime
) -> list[ExceptionView]:
    """The coach's exceptions overlapping [start, end) (at most 366 days), earliest first,
    each time off with its conflicts."""
    coach = require_coach(viewer)
    if end <= start:
        raise BadUserInput("`to` must come after `from`.")
    if end - start > MAX_SPAN:
        raise BadUserInput(f"Ask for at most {MAX_SPAN.days} days at a time.")
    async with db.read() as session:
        rows = (
            await session.scalars(
                sa.select(AvailabilityException)
                .where(
                    col(AvailabilityException.coach_id) == coach.id,
                    col(AvailabilityException.ends_at) > start,
                    col(AvailabilityException.starts_at) < end,
                )
                .order_by(col(AvailabilityException.starts_at), col(AvailabilityException.id))
                .limit(MAX_LISTED)
            )
        ).all()
        return await _with_conflicts(session, coach.id, list(rows))
