"""What every new coach starts with, and the per-coach schedule lock."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.config import Settings
from coach_graph.sessions.models import AvailabilityWindow, Calendar, CoachingService, CoachSchedule

# Monday to Friday, 09:00-17:00 local time.
DEFAULT_WINDOWS = tuple((weekday, 9 * 60, 17 * 60) for weekday in range(5))
MAIN_CALENDAR = "Main calendar"


def default_services(coach_id: int, settings: Settings) -> list[CoachingService]:
    """The four services of SPEC.md: a free 15-minute intro and paid 30/45/60-minute sessions."""
    p30, p45, p60 = settings.default_prices_minor
    cur = settings.default_currency
    offer = [("Free intro call", 15, 0), ("30-minute session", 30, p30),
             ("45-minute session", 45, p45), ("60-minute session", 60, p60)]  # fmt: skip
    return [
        CoachingService(
            coach_id=coach_id, name=name, duration_minutes=minutes, price_minor=price, currency=cur
        )
        for name, minutes, price in offer
    ]


async def setup_new_coach(
    session: AsyncSession, coach: User, settings: Settings | None = None
) -> None:
    """Give a new coach the four services, one calendar, Monday-Friday 09:00-17:00 availability
    and their schedule row, inside the caller's transaction."""
    assert coach.id is not None
    settings = settings or Settings.from_env()
    session.add_all(default_services(coach.id, settings))
    session.add(Calendar(coach_id=coach.id, name=MAIN_CALENDAR))
    session.add_all(
        AvailabilityWindow(coach_id=coach.id, weekday=d, start_minute=s, end_minute=e)
        for d, s, e in DEFAULT_WINDOWS
    )
    session.add(CoachSchedule(coach_id=coach.id))
    await session.flush()


async def lock_schedule(session: AsyncSession, coach_id: int) -> None:
    """Serialise writes that place sessions of one coach: a write first, checks after."""
    bumped = await session.execute(
        sa.update(CoachSchedule)
        .where(col(CoachSchedule.coach_id) == coach_id)
        .values(version=col(CoachSchedule.version) + 1)
    )
    if not bumped.rowcount:  # type: ignore[attr-defined]
        # A coach created before sessions existed: create the row, which locks just the same.
        session.add(CoachSchedule(coach_id=coach_id, version=1))
        await session.flush()
