"""A coach's services, calendars and weekly availability."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock
from coach_graph.auth import Viewer, require_coach
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, require_row
from coach_graph.sessions.availability import MAX_SLOT_PERIOD, Window, validate_windows
from coach_graph.sessions.models import AvailabilityWindow, Calendar, CoachingService
from coach_graph.sessions.placement import load_schedule
from coach_graph.text import NAME, checked_text

_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_DURATION_MINUTES = 8 * 60


def _validate_service(name: str, duration_minutes: int, price_minor: int, currency: str) -> str:
    name = checked_text(name, "name", NAME).strip()
    if not name:
        raise BadUserInput("A service needs a name.", field="name")
    if not 5 <= duration_minutes <= MAX_DURATION_MINUTES or duration_minutes % 5:
        raise BadUserInput(
            f"A service lasts 5 to {MAX_DURATION_MINUTES} minutes, in steps of 5; "
            f"got {duration_minutes}."
        )
    if price_minor < 0:
        raise BadUserInput("A price cannot be negative.")
    if not _CURRENCY.match(currency):
        raise BadUserInput(f"{currency!r} is not an ISO 4217 currency code like EUR.")
    return name


async def coach_service(session: AsyncSession, coach_id: int, service_id: int) -> CoachingService:
    """One of the coach's services, else NOT_FOUND (in the caller's transaction)."""
    mine = sa.select(CoachingService).where(
        col(CoachingService.id) == service_id, col(CoachingService.coach_id) == coach_id
    )
    return await require_row(session, mine, "service", service_id)


async def list_services(db: Database, viewer: Viewer | None) -> list[CoachingService]:
    """The coach's services, archived ones included (they say so)."""
    coach = require_coach(viewer)
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(CoachingService)
            .where(col(CoachingService.coach_id) == coach.id)
            .order_by(col(CoachingService.duration_minutes), col(CoachingService.id))
        )
        return list(rows.all())


async def load_bookable_services(db: Database, coach_ids: list[int]) -> list[list[CoachingService]]:
    """DataLoader batch: each coach's bookable services (archived ones left out), shortest
    first, in one statement for every coach asked."""
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(CoachingService)
            .where(
                col(CoachingService.coach_id).in_(coach_ids),
                col(CoachingService.archived_at).is_(None),
            )
            .order_by(col(CoachingService.duration_minutes), col(CoachingService.id))
        )
        found: dict[int, list[CoachingService]] = {i: [] for i in coach_ids}
        for row in rows.all():
            found[row.coach_id].append(row)
    return [found[i] for i in coach_ids]


async def bookable_service(db: Database, viewer: Viewer | None, service_id: int) -> CoachingService:
    """A service whose free times the viewer may read: any coach's service that takes bookings
    (a booking page is public: anyone, signed in or not), and a coach's own archived ones.
    Anything else is NOT_FOUND."""
    takes_bookings: sa.ColumnElement[bool] = col(CoachingService.archived_at).is_(None)
    if viewer is not None and viewer.is_coach:
        takes_bookings = sa.or_(takes_bookings, col(CoachingService.coach_id) == viewer.id)
    bookable = sa.select(CoachingService).where(
        col(CoachingService.id) == service_id, takes_bookings
    )
    async with db.read() as session:
        return await require_row(session, bookable, "service", service_id)


async def create_service(
    db: Database, viewer: Viewer | None, name: str, duration: int, price: int, currency: str
) -> CoachingService:
    coach = require_coach(viewer)
    name = _validate_service(name, duration, price, currency)
    service = CoachingService(
        coach_id=coach.id,
        name=name,
        duration_minutes=duration,
        price_minor=price,
        currency=currency,
    )
    async with db.transaction() as session:
        session.add(service)
    return service


async def update_service(
    db: Database,
    viewer: Viewer | None,
    service_id: int,
    name: str,
    duration: int,
    price: int,
    currency: str,
) -> CoachingService:
    """Change a service; sessions already booked keep their own duration and price."""
    coach = require_coach(viewer)
    name = _validate_service(name, duration, price, currency)
    async with db.transaction() as session:
        service = await coach_service(session, coach.id, service_id)
        service.name, service.duration_minutes = name, duration
        service.price_minor, service.currency = price, currency
    return service


async def archive_service(db: Database, viewer: Viewer | None, service_id: int) -> CoachingService:
    """Stop new bookings of a service (idempotent); its sessions keep it."""
    coach = require_coach(viewer)
    async with db.transaction() as session:
        service = await coach_service(session, coach.id, service_id)
        if service.archived_at is None:
            service.archived_at = clock.now()
    return service


async def list_calendars(db: Database, viewer: Viewer | None) -> list[Calendar]:
    coach = require_coach(viewer)
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(Calendar).where(col(Calendar.coach_id) == coach.id).order_by(col(Calendar.id))
        )
        return list(rows.all())


async def create_calendar(db: Database, viewer: Viewer | None, name: str) -> Calendar:
    coach = require_coach(viewer)
    name = checked_text(name, "name", NAME).strip()
    if not name:
        raise BadUserInput("A calendar needs a name.", field="name")
    calendar = Calendar(coach_id=coach.id, name=name)
    async with db.transaction() as session:
        session.add(calendar)
    return calendar


async def coach_windows(db: Database, coach_id: int) -> list[Window]:
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(AvailabilityWindow).where(col(AvailabilityWindow.coach_id) == coach_id)
        )
        return sorted(
            (Window(r.weekday, r.start_minute, r.end_minute) for r in rows.all()),
            key=lambda w: (w.weekday, w.start_minute),
        )


async def list_availability(db: Database, viewer: Viewer | None) -> list[Window]:
    """The coach's weekly hours, Monday first."""
    coach = require_coach(viewer)
    return await coach_windows(db, coach.id)


async def set_availability(
    db: Database, viewer: Viewer | None, windows: Sequence[Window]
) -> list[Window]:
    """Replace the coach's weekly hours (sessions already booked stay where they are)."""
    coach = require_coach(viewer)
    ordered = validate_windows(windows)
    async with db.transaction() as session:
        await session.execute(
            sa.delete(AvailabilityWindow).where(col(AvailabilityWindow.coach_id) == coach.id)
        )
        session.add_all(
            AvailabilityWindow(
                coach_id=coach.id, weekday=w.weekday, start_minute=w.start_minute,
                end_minute=w.end_minute,
            )
            for w in ordered
        )  # fmt: skip
    return ordered


async def available_slots(
    db: Database, viewer: Viewer | None, service_id: int, start: datetime, end: datetime
) -> list[datetime]:
    """Free start times for a service in [start, end), by the placement rule: on the 15-minute
    grid of the coach's open hours (weekly plus extra hours, less time off), in the future, with
    the coach's buffer free of sessions. Anyone but the coach sees only starts a client may book
    (inside the minimum notice and the booking window)."""
    service = await bookable_service(db, viewer, service_id)
    if end <= start:
        raise BadUserInput("`to` must come after `from`.")
    if end - start > MAX_SLOT_PERIOD:
        raise BadUserInput(f"Ask for slots over at most {MAX_SLOT_PERIOD.days} days at a time.")
    start = max(start, clock.now())
    if end <= start:
        return []
    async with db.read() as session:
        schedule = await load_schedule(session, service.coach_id, start, end)
    by_client = viewer is None or viewer.id != service.coach_id
    return list(schedule.free_starts(start, end, service.duration_minutes, by_client=by_client))
