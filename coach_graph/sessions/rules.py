"""A coach's booking rules (SPEC.md "Sessions", Booking rules): the minimum notice and the
booking window of clients' own bookings and moves, and the buffer kept free before and after
every session. A coach without a row has the defaults."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph.accounts.models import Role, User
from coach_graph.auth import Viewer, require_coach
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, NotFound
from coach_graph.sessions.models import BookingRules as BookingRulesRow

MAX_NOTICE_HOURS = 720
MAX_WINDOW_DAYS = 730
MAX_BUFFER_MINUTES = 240


@dataclass(frozen=True)
class Rules:
    """What a coach's booking rules say; the defaults of SPEC.md when none were saved."""

    minimum_notice_hours: int = 2
    booking_window_days: int = 60
    buffer_minutes: int = 0


async def rules_of(session: AsyncSession, coach_id: int) -> Rules:
    """The coach's rules, in the caller's session."""
    row = await session.get(BookingRulesRow, coach_id)
    if row is None:
        return Rules()
    return Rules(row.minimum_notice_hours, row.booking_window_days, row.buffer_minutes)


async def get_rules(db: Database, viewer: Viewer | None, coach_id: int | None) -> Rules:
    """A coach's own rules (no id), or any coach's by id (public, like the booking page: a
    client sees how far ahead they may book); an id that is not a coach's is NOT_FOUND."""
    if coach_id is None:
        coach_id = require_coach(viewer).id
    async with db.read() as session:
        is_coach = await session.scalar(
            sa.select(col(User.id)).where(col(User.id) == coach_id, col(User.role) == Role.COACH)
        )
        if is_coach is None:
            raise NotFound.of("coach", coach_id)
        return await rules_of(session, coach_id)


def _in_range(value: int, low: int, high: int, field: str, unit: str) -> None:
    if not low <= value <= high:
        raise BadUserInput(f"{field} is {low} to {high} {unit}; got {value}.", field=field)


async def set_rules(
    db: Database,
    viewer: Viewer | None,
    minimum_notice_hours: int,
    booking_window_days: int,
    buffer_minutes: int,
) -> Rules:
    """Replace the coach's rules; they apply to placements from now on (sessions already booked
    stay where they are)."""
    coach = require_coach(viewer)
    _in_range(minimum_notice_hours, 0, MAX_NOTICE_HOURS, "minimumNoticeHours", "hours")
    _in_range(booking_window_days, 1, MAX_WINDOW_DAYS, "bookingWindowDays", "days")
    _in_range(buffer_minutes, 0, MAX_BUFFER_MINUTES, "bufferMinutes", "minutes")
    if minimum_notice_hours > booking_window_days * 24:
        raise BadUserInput(
            "The minimum notice cannot be longer than the booking window "
            f"({minimum_notice_hours} hours > {booking_window_days} days)."
        )
    async with db.transaction() as session:
        row = await session.get(BookingRulesRow, coach.id)
        if row is None:
            row = BookingRulesRow(coach_id=coach.id)
            session.add(row)
        row.minimum_notice_hours = minimum_notice_hours
        row.booking_window_days = booking_window_days
        row.buffer_minutes = buffer_minutes
    return Rules(minimum_notice_hours, booking_window_days, buffer_minutes)
