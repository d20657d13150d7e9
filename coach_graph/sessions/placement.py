"""Where a session may be placed: in the future, inside the coach's weekly hours, overlapping
none of the coach's sessions (call after `setup.lock_schedule`); moving a session to its place."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.errors import BadUserInput, Conflict
from coach_graph.sessions.availability import Window, fits
from coach_graph.sessions.models import AvailabilityWindow, CoachingSession, SessionStatus


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


def move_session(s: CoachingSession, starts_at: datetime, ends_at: datetime) -> None:
    s.starts_at, s.ends_at, s.scheduled_at = starts_at, ends_at, clock.now()
    s.invite_sequence += 1
