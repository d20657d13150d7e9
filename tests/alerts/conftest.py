"""Fixtures for alert tests: a way to shape clients' history (activity, links, journal entries,
homework) straight in the database, relative to the manual clock."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.alerts.models import Alert
from coach_graph.alerts.store import ALERTS_CHANNEL
from coach_graph.clients.models import CoachClient
from coach_graph.context import Resources
from coach_graph.homework.models import Homework, Lesson, Module
from coach_graph.journals.models import JournalEntry
from coach_graph.realtime import Realtime


async def replay(realtime: Realtime, alerts: Iterable[Alert]) -> None:
    """Announce alerts committed earlier on the alerts channel, one event per coach, as the unit
    of work does after a commit: tests replay events late, twice or out of order."""
    by_coach: dict[int, list[int]] = defaultdict(list)
    for alert in alerts:
        assert alert.id is not None
        by_coach[alert.coach_id].append(alert.id)
    for coach_id, ids in by_coach.items():
        await realtime.publish(ALERTS_CHANNEL, {"coachId": coach_id, "alertIds": sorted(ids)})


class History:
    """Writes what the evaluator reads: times are given as days before now."""

    def __init__(self, resources: Resources) -> None:
        self.db = resources.db

    def ago(self, days: float) -> datetime:
        return clock.now() - timedelta(days=days)

    async def linked(self, coach: User, client: User, days_ago: float) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                sa.update(CoachClient)
                .where(
                    col(CoachClient.coach_id) == coach.id, col(CoachClient.client_id) == client.id
                )
                .values(linked_at=self.ago(days_ago))
            )

    async def active(self, client: User, days_ago: float | None) -> None:
        at = None if days_ago is None else self.ago(days_ago)
        async with self.db.transaction() as session:
            await session.execute(
                sa.update(User).where(col(User.id) == client.id).values(last_active_at=at)
            )

    async def journal(self, client: User, days_ago: float) -> int:
        async with self.db.transaction() as session:
            entry = JournalEntry(client_id=client.id, created_at=self.ago(days_ago), content="x")
            session.add(entry)
            await session.flush()
            assert entry.id is not None
            return entry.id

    async def homework(
        self,
        coach: User,
        client: User,
        expired_days_ago: float | None,
        completed: bool = False,
        title: str = "Breathing",
        assigned_days_ago: float = 30,
    ) -> int:
        async with self.db.transaction() as session:
            module = Module(title="Basics")
            session.add(module)
            await session.flush()
            lesson = Lesson(module_id=module.id, title=title)
            session.add(lesson)
            await session.flush()
            expires = None if expired_days_ago is None else self.ago(expired_days_ago)
            row = Homework(
                coach_id=coach.id,
                client_id=client.id,
                lesson_id=lesson.id,
                assigned_at=self.ago(assigned_days_ago),
                expires_at=expires,
                completed_at=clock.now() if completed else None,
            )
            session.add(row)
            await session.flush()
            assert row.id is not None
            return row.id


@pytest.fixture
def history(resources: Resources) -> History:
    return History(resources)
