"""Demo step of the waitlist: client1 waits for a 60-minute session with the demo coach over
the coming week (through `join_waitlist`, as the `joinWaitlist` mutation does), so the coach's
`waitlist` shows an entry and cancelling one of that week's sessions tells client1."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.practice import DemoPractice, acting_as
from coach_graph.sessions.models import CoachingService
from coach_graph.waitlist.service import join_waitlist

WAITING_CLIENT = "client1@demo.example"
WAITED_MINUTES = 60


async def seed_waitlist(db: Database, settings: Settings, practice: DemoPractice) -> None:
    """Demo step: client1 on the demo coach's waitlist for the 60-minute session, from
    tomorrow for 7 days."""
    coach_id = practice.demo_coach_id
    client = next((c for c in practice.clients_of(coach_id) if c.email == WAITING_CLIENT), None)
    async with db.read() as session:
        service_id = await session.scalar(
            sa.select(col(CoachingService.id))
            .where(
                col(CoachingService.coach_id) == coach_id,
                col(CoachingService.duration_minutes) == WAITED_MINUTES,
                col(CoachingService.archived_at).is_(None),
            )
            .order_by(col(CoachingService.id))
            .limit(1)
        )
    if client is None or service_id is None:
        return
    start = practice.now + timedelta(days=1)
    await join_waitlist(
        db, await acting_as(db, client.id), coach_id, service_id, start, start + timedelta(days=7)
    )
