"""The demo coach's cancellation policy and the fees it charged: 24 hours' notice and half the
price for a late cancellation or a no-show. The policy is set before the session history (whose
no-shows carry its fee); then client2's late cancellation and no-show of the last weeks are
replayed at the moments they happened, through the product's own services, so the rows, the
notifications and the fees are what `cancelMySession` and `updateSessionStatus` store."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.practice import DemoPractice, acting_as
from coach_graph.sessions.catalog import available_slots
from coach_graph.sessions.changes import book_session, update_status
from coach_graph.sessions.models import CoachingService, SessionStatus
from coach_graph.sessions.policy import Policy, cancel_my_session, set_policy

DEMO_POLICY = Policy(notice_hours=24, late_fee_percent=50)
LATE_CLIENT = "client2@demo.example"
LATE_REASON = "So sorry, a work deadline moved and I can't make it today."


async def seed_cancellation_policy(
    db: Database, settings: Settings, practice: DemoPractice
) -> None:
    """Demo step, before the session history so its no-shows pay the fee: the demo coach's
    policy, set with `setCancellationPolicy`'s service."""
    coach = await acting_as(db, practice.demo_coach_id)
    await set_policy(db, coach, DEMO_POLICY.notice_hours, DEMO_POLICY.late_fee_percent)


async def _longest_service(db: Database, coach_id: int) -> int | None:
    async with db.read() as session:
        return await session.scalar(
            sa.select(col(CoachingService.id))
            .where(
                col(CoachingService.coach_id) == coach_id,
                col(CoachingService.archived_at).is_(None),
            )
            .order_by(col(CoachingService.duration_minutes).desc(), col(CoachingService.id))
            .limit(1)
        )


async def _book_then(
    db: Database, practice: DemoPractice, client_id: int, booked_at: datetime, after: datetime
) -> tuple[int, datetime] | None:
    """At `booked_at`, the coach books the client's longest session in the first free slot from
    `after` on (within a week); its id and start, None when the week is full."""
    coach = await acting_as(db, practice.demo_coach_id)
    service_id = await _longest_service(db, practice.demo_coach_id)
    if service_id is None:
        return None
    with clock.using(clock.ManualClock(booked_at)):
        slots = await available_slots(db, coach, service_id, after, after + timedelta(days=7))
        if not slots:
            return None
        booked = await book_session(
            db, coach, client_id=client_id, service_id=service_id, starts_at=slots[0]
        )
    assert booked.id is not None
    return booked.id, booked.starts_at


async def seed_late_fees(db: Database, settings: Settings, practice: DemoPractice) -> None:
    """Demo step: client2 cancelled a session booked three weeks ago five hours before its
    start (a late cancellation, the fee charged), and did not show up to one last week (marked
    NO_SHOW half an hour after its start, the fee charged)."""
    client = next(
        (c for c in practice.clients_of(practice.demo_coach_id) if c.email == LATE_CLIENT), None
    )
    if client is None:
        return
    now = practice.now
    days = timedelta(days=1)
    late = await _book_then(db, practice, client.id, now - 24 * days, now - 18 * days)
    if late is not None:
        session_id, starts_at = late
        with clock.using(clock.ManualClock(starts_at - timedelta(hours=5))):
            await cancel_my_session(db, await acting_as(db, client.id), session_id, LATE_REASON)
    missed = await _book_then(db, practice, client.id, now - 14 * days, now - 9 * days)
    if missed is not None:
        session_id, starts_at = missed
        with clock.using(clock.ManualClock(starts_at + timedelta(minutes=30))):
            coach = await acting_as(db, practice.demo_coach_id)
            await update_status(db, coach, session_id, SessionStatus.NO_SHOW)
