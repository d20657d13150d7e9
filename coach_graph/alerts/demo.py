"""Demo data for alerts: a history in which the evaluator ran before, so the Notifications page
shows RESOLVED alerts (with `resolvedAt`) beside the OPEN ones."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.alerts.evaluator import evaluate_in
from coach_graph.alerts.models import Alert, AlertCategory
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.practice import DemoPractice

CAME_BACK = 2  # demo clients alerted for inactivity ten days ago who came back two days ago


async def _evaluate_at(db: Database, at: datetime) -> None:
    with clock.using(clock.ManualClock(at)):
        async with db.transaction() as session:
            await evaluate_in(session)


async def seed_alert_history(db: Database, settings: Settings, practice: DemoPractice) -> None:
    """The evaluator ran ten days ago; two of the demo coach's clients it flagged as inactive
    came back two days ago, so yesterday's run resolved their alerts; then it runs now."""
    now = practice.now
    await _evaluate_at(db, now - timedelta(days=10))
    async with db.transaction() as session:
        # The least inactive of those once active come back; the longest inactive stays away.
        once_active = list(
            (
                await session.scalars(
                    sa.select(col(Alert.client_id))
                    .join(User, col(User.id) == col(Alert.client_id))
                    .where(
                        col(Alert.coach_id) == practice.demo_coach_id,
                        col(Alert.category) == AlertCategory.INACTIVITY.value,
                        col(User.last_active_at).is_not(None),
                    )
                    .order_by(col(User.last_active_at).desc(), col(User.id))
                )
            ).all()
        )
        flagged = once_active[: min(CAME_BACK, len(once_active) - 1)]
        await session.execute(
            sa.update(User)
            .where(col(User.id).in_(flagged))
            .values(last_active_at=now - timedelta(days=2))
        )
    await _evaluate_at(db, now - timedelta(days=1))
    await _evaluate_at(db, now)
