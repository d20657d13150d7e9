"""Demo data for sessions: services, a calendar and availability, months of past sessions in
every status with notes and ratings, upcoming sessions and one pending reschedule request, all
relative to `clock.now()`. Rows go in with bulk inserts, so thousands of clients are quick.
(The prospects are in `demo_prospects`, the cancellation policy and its fees in `demo_policy`.)
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.practice import DemoPractice
from coach_graph.sessions.models import (
    AvailabilityWindow,
    Calendar,
    CoachingService,
    CoachingSession,
    CoachSchedule,
    RescheduleRequest,
    RescheduleRequestStatus,
    SessionStatus,
)
from coach_graph.sessions.policy import policy_of
from coach_graph.sessions.setup import (
    DEFAULT_WINDOWS,
    MAIN_CALENDAR,
    default_services,
)

PAST_DAYS = 180
FUTURE_DAYS = 28
PRIVATE_NOTES = (
    "Discussed goal setting; homework: write three goals.",
    "Progress on anxiety management; try the breathing exercises daily.",
    "Reviewed last week's action items; two of three done.",
    "Talked through the career change; next: update the CV.",
    "Rescheduled from last week due to illness.",
    "Sleep routine is improving; keep the journal going.",
)
CUSTOMER_NOTES = (
    "Video link: https://meet.example/room",
    "Please bring your goals worksheet.",
    "Short check-in on the action plan.",
    None,
)
CANCEL_REASONS = ("Client is ill", "Schedule conflict", "Travelling", None)


def _slots(tz: ZoneInfo, now: datetime, windows: list[tuple[int, int, int]]) -> list[datetime]:
    """Hourly starts inside the weekly windows from PAST_DAYS ago to FUTURE_DAYS ahead."""
    result: list[datetime] = []
    day = (now - timedelta(days=PAST_DAYS)).astimezone(tz).date()
    last = (now + timedelta(days=FUTURE_DAYS)).astimezone(tz).date()
    while day <= last:
        for weekday, start, end in windows:
            if weekday != day.weekday():
                continue
            minute = start
            while minute + 60 <= end:
                local = datetime.combine(day, time(), tzinfo=tz) + timedelta(minutes=minute)
                result.append(local.astimezone(UTC))
                minute += 60
        day += timedelta(days=1)
    return result


async def _ensure_setup(db: Database, settings: Settings, coach_id: int) -> list[CoachingService]:
    """What a new coach starts with (services, a calendar, weekly hours, the schedule row), for
    coaches inserted in bulk without it; the coach's bookable services, shortest first."""
    async with db.transaction() as session:
        services = list(
            (
                await session.scalars(
                    sa.select(CoachingService).where(col(CoachingService.coach_id) == coach_id)
                )
            ).all()
        )
        if not services:
            session.add_all(default_services(coach_id, settings))
        has_hours = await session.scalar(
            sa.select(col(AvailabilityWindow.id)).where(
                col(AvailabilityWindow.coach_id) == coach_id
            )
        )
        if not has_hours:
            session.add_all(
                AvailabilityWindow(coach_id=coach_id, weekday=d, start_minute=s, end_minute=e)
                for d, s, e in DEFAULT_WINDOWS
            )
        has_calendar = await session.scalar(
            sa.select(col(Calendar.id)).where(col(Calendar.coach_id) == coach_id)
        )
        if not has_calendar:
            session.add(Calendar(coach_id=coach_id, name=MAIN_CALENDAR))
        if await session.get(CoachSchedule, coach_id) is None:
            session.add(CoachSchedule(coach_id=coach_id))
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(CoachingService)
            .where(
                col(CoachingService.coach_id) == coach_id,
                col(CoachingService.archived_at).is_(None),
            )
            .order_by(col(CoachingService.duration_minutes))
        )
        return list(rows.all())


def _past_status(rng: random.Random) -> SessionStatus:
    roll = rng.random()
    if roll < 0.74:
        return SessionStatus.COMPLETED
    if roll < 0.88:
        return SessionStatus.CANCELLED
    return SessionStatus.NO_SHOW


def _future_status(rng: random.Random) -> SessionStatus:
    roll = rng.random()
    if roll < 0.8:
        return SessionStatus.CONFIRMED
    if roll < 0.95:
        return SessionStatus.PENDING
    return SessionStatus.CANCELLED


async def seed_sessions(
    db: Database,
    settings: Settings,
    coach_id: int,
    client_ids: list[int],
    rng: random.Random,
    per_client: int,
) -> None:
    """Give the coach services and hours (if missing) and each client `per_client` sessions:
    about 85% in the last six months in every final status, the rest in the next four weeks.
    Sessions take free hourly slots while there are any; at benchmark scale (more sessions than
    slots) later ones share times. They are filed on the coach's first calendar, and a NO_SHOW
    carries the fee of the coach's cancellation policy (as `policy.charge_no_show` stores it).
    The first client gets one PENDING reschedule request."""
    if not client_ids or per_client < 1:
        return
    now = clock.now()
    services = await _ensure_setup(db, settings, coach_id)
    async with db.read() as session:
        tz_name = await session.scalar(
            sa.select(col(User.time_zone)).where(col(User.id) == coach_id)
        )
        windows = (
            await session.execute(
                sa.select(
                    col(AvailabilityWindow.weekday),
                    col(AvailabilityWindow.start_minute),
                    col(AvailabilityWindow.end_minute),
                ).where(col(AvailabilityWindow.coach_id) == coach_id)
            )
        ).all()
        calendar_id = await session.scalar(
            sa.select(col(Calendar.id))
            .where(col(Calendar.coach_id) == coach_id)
            .order_by(col(Calendar.id))
            .limit(1)
        )
        policy = await policy_of(session, coach_id)
        taken = set(
            (
                await session.scalars(
                    sa.select(col(CoachingSession.starts_at)).where(
                        col(CoachingSession.coach_id) == coach_id,
                        col(CoachingSession.status) != SessionStatus.CANCELLED,
                    )
                )
            ).all()
        )
    slots = _slots(ZoneInfo(tz_name or "UTC"), now, [tuple(w) for w in windows])  # type: ignore[misc]
    past = [s for s in slots if s + timedelta(hours=1) <= now and s not in taken]
    future = [s for s in slots if s > now + timedelta(hours=1) and s not in taken]
    rng.shuffle(past)
    rng.shuffle(future)
    all_past = [s for s in slots if s + timedelta(hours=1) <= now] or [now - timedelta(days=1)]
    all_future = [s for s in slots if s > now + timedelta(hours=1)] or [now + timedelta(days=2)]
    rows: list[dict[str, Any]] = []
    for client_id in client_ids:
        upcoming = max(1, round(per_client * 0.15)) if per_client > 1 else 0
        for i in range(per_client):
            is_future = i >= per_client - upcoming
            pool, fallback = (future, all_future) if is_future else (past, all_past)
            starts_at = pool.pop() if pool else rng.choice(fallback)
            status = _future_status(rng) if is_future else _past_status(rng)
            service = (
                services[0]
                if i == 0 and len(services) > 1
                else rng.choice(services[1:] or services)
            )
            booked_at = min(now, starts_at - timedelta(days=rng.randint(2, 21)))
            rows.append(
                {
                    "coach_id": coach_id,
                    "client_id": client_id,
                    "service_id": service.id,
                    "calendar_id": calendar_id,
                    "starts_at": starts_at,
                    "ends_at": starts_at + timedelta(minutes=service.duration_minutes),
                    "duration_minutes": service.duration_minutes,
                    "status": status.value,
                    "customer_notes": rng.choice(CUSTOMER_NOTES),
                    "private_notes": rng.choice(PRIVATE_NOTES)
                    if status in (SessionStatus.COMPLETED, SessionStatus.NO_SHOW)
                    else None,
                    "cancellation_reason": rng.choice(CANCEL_REASONS)
                    if status == SessionStatus.CANCELLED
                    else None,
                    "price_minor": service.price_minor,
                    "fee_minor": policy.fee(service.price_minor)
                    if status == SessionStatus.NO_SHOW
                    else 0,
                    "currency": service.currency,
                    "rating": rng.choice((3, 4, 4, 5, 5, 5))
                    if status == SessionStatus.COMPLETED and rng.random() < 0.6
                    else None,
                    "created_at": booked_at,
                    "scheduled_at": booked_at,
                }
            )
    async with db.transaction() as session:
        await session.execute(sa.insert(CoachingSession), rows)
    await _pending_request(db, coach_id, client_ids[0], now)


async def _pending_request(db: Database, coach_id: int, client_id: int, now: datetime) -> None:
    """One PENDING request on the client's next live session, as if asked an hour ago."""
    async with db.transaction() as session:
        target = await session.scalar(
            sa.select(CoachingSession)
            .where(
                col(CoachingSession.coach_id) == coach_id,
                col(CoachingSession.client_id) == client_id,
                col(CoachingSession.status).in_(
                    [SessionStatus.CONFIRMED.value, SessionStatus.PENDING.value]
                ),
                col(CoachingSession.starts_at) > now + timedelta(hours=2),
            )
            .order_by(col(CoachingSession.starts_at))
            .limit(1)
        )
        if target is None or target.id is None:
            return
        requested_at = now - timedelta(hours=1)
        session.add(
            RescheduleRequest(
                session_id=target.id,
                coach_id=coach_id,
                client_id=client_id,
                original_starts_at=target.starts_at,
                proposed_starts_at=target.starts_at + timedelta(days=7),
                reason="Could we move this by a week? I'm travelling.",
                status=RescheduleRequestStatus.PENDING.value,
                requested_at=requested_at,
                expires_at=min(requested_at + timedelta(hours=48), target.starts_at),
            )
        )


async def seed_session_history(db: Database, settings: Settings, practice: DemoPractice) -> None:
    """Demo step: every coach's services and hours, and each of their clients' sessions."""
    for coach_id in practice.coach_ids:
        client_ids = [c.id for c in practice.clients_of(coach_id)]
        await seed_sessions(
            db, settings, coach_id, client_ids, practice.rng, practice.size.sessions
        )
