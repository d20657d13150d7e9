"""The demo coach's scheduling as practices run it, through the product's own services: a
10-minute buffer between sessions, a weekly series with client1 (one occurrence moved), a
fortnightly one with client2, and a holiday week next month whose time off lists the sessions
already booked inside it (`conflicts`), which stay where they are."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.auth import Viewer
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.practice import DemoPractice, acting_as
from coach_graph.sessions.catalog import available_slots
from coach_graph.sessions.changes import book_session
from coach_graph.sessions.exceptions import add_exception
from coach_graph.sessions.models import CoachingService, CoachingSession, RecurrenceFrequency
from coach_graph.sessions.rules import set_rules
from coach_graph.sessions.series import Recurrence, SeriesScope, book_series, reschedule
from coach_graph.sessions.status import LIVE

DEMO_BUFFER_MINUTES = 10
WEEKLY_CLIENT = "client1@demo.example"
FORTNIGHTLY_CLIENT = "client2@demo.example"
HOLIDAY_NOTE = "Holiday"


async def _service(db: Database, coach_id: int, minutes: int) -> int | None:
    async with db.read() as session:
        return await session.scalar(
            sa.select(col(CoachingService.id)).where(
                col(CoachingService.coach_id) == coach_id,
                col(CoachingService.duration_minutes) == minutes,
                col(CoachingService.archived_at).is_(None),
            )
        )


async def _first_slot(
    db: Database, coach: Viewer, service_id: int, start: datetime, days: int = 7
) -> datetime | None:
    slots = await available_slots(db, coach, service_id, start, start + timedelta(days=days))
    return slots[0] if slots else None


def _next_month_monday(now: datetime, tz_name: str) -> datetime:
    """Local midnight starting the first Monday of next month, in UTC."""
    tz = clock.zone(tz_name)
    today = now.astimezone(tz).date()
    first = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    return datetime.combine(monday, time(), tzinfo=tz).astimezone(UTC)


async def seed_scheduling(db: Database, settings: Settings, practice: DemoPractice) -> None:
    """Demo step: the buffer, the two series (the weekly one's third occurrence moved to the
    next day) and next month's holiday week with its conflicts."""
    coach_id = practice.demo_coach_id
    coach = await acting_as(db, coach_id)
    clients = {c.email: c.id for c in practice.clients_of(coach_id)}
    hour, three_quarters = await _service(db, coach_id, 60), await _service(db, coach_id, 45)
    if hour is None or three_quarters is None or WEEKLY_CLIENT not in clients:
        return
    await set_rules(db, coach, 2, 60, DEMO_BUFFER_MINUTES)
    now = practice.now
    weekly_start = await _first_slot(db, coach, hour, now + timedelta(days=7))
    if weekly_start is not None:
        weekly = await book_series(
            db, coach, client_id=clients[WEEKLY_CLIENT], service_id=hour,
            starts_at=weekly_start, recurrence=Recurrence(RecurrenceFrequency.WEEKLY, count=8),
            customer_notes="Our weekly session.",
        )  # fmt: skip
        if len(weekly.sessions) >= 3:
            third = weekly.sessions[2]
            moved_to = await _first_slot(db, coach, hour, third.starts_at + timedelta(days=1), 3)
            if moved_to is not None and third.id is not None:
                await reschedule(
                    db, coach, third.id, moved_to, "I'm at a conference that day.",
                    SeriesScope.THIS,
                )  # fmt: skip
    fortnightly_start = await _first_slot(db, coach, three_quarters, now + timedelta(days=8))
    if fortnightly_start is not None and FORTNIGHTLY_CLIENT in clients:
        await book_series(
            db, coach, client_id=clients[FORTNIGHTLY_CLIENT], service_id=three_quarters,
            starts_at=fortnightly_start,
            recurrence=Recurrence(RecurrenceFrequency.WEEKLY, interval=2, count=6),
        )  # fmt: skip
    holiday = _next_month_monday(now, practice.coach_time_zones.get(coach_id, "UTC"))
    holiday_end = holiday + timedelta(days=7)
    if not await _booked_inside(db, coach_id, holiday, holiday_end):
        inside = await _first_slot(db, coach, hour, holiday, 5)
        if inside is not None:
            await book_session(
                db, coach, client_id=clients[WEEKLY_CLIENT], service_id=hour, starts_at=inside
            )
    await add_exception(db, coach, holiday, holiday_end, False, HOLIDAY_NOTE)


async def _booked_inside(db: Database, coach_id: int, start: datetime, end: datetime) -> bool:
    async with db.read() as session:
        found = await session.scalar(
            sa.select(col(CoachingSession.id))
            .where(
                col(CoachingSession.coach_id) == coach_id,
                col(CoachingSession.status).in_([s.value for s in LIVE]),
                col(CoachingSession.starts_at) < end,
                col(CoachingSession.ends_at) > start,
            )
            .limit(1)
        )
    return found is not None
