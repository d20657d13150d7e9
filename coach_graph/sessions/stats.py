"""Per-client session figures: totals by status and revenue, batched per coach."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.db import Database
from coach_graph.sessions.models import CoachingSession, SessionStatus


@dataclass(frozen=True)
class SessionStats:
    total: int = 0
    completed: int = 0
    cancelled: int = 0
    no_shows: int = 0
    revenue_minor: int = 0
    currency: str | None = None

    @property
    def cancellation_rate(self) -> float:
        return self.cancelled / self.total if self.total else 0.0


StatsKey = tuple[int, int]  # (client id, coach id; 0 = the client's own view)


async def load_session_stats(db: Database, keys: list[StatsKey]) -> list[SessionStats]:
    """Statistics per (client, coach) in one aggregate statement per coach of the batch."""
    found: dict[StatsKey, SessionStats] = {}
    status = col(CoachingSession.status)

    def when(s: SessionStatus, then: Any = 1) -> sa.ColumnElement[Any]:
        return sa.func.coalesce(sa.func.sum(sa.case((status == s.value, then), else_=0)), 0)

    for coach_id in {k[1] for k in keys}:
        client_ids = [k[0] for k in keys if k[1] == coach_id]
        query = (
            sa.select(
                col(CoachingSession.client_id),
                col(CoachingSession.currency),
                sa.func.count(),
                when(SessionStatus.COMPLETED),
                when(SessionStatus.CANCELLED),
                when(SessionStatus.NO_SHOW),
                when(SessionStatus.COMPLETED, col(CoachingSession.price_minor))
                + sa.func.coalesce(sa.func.sum(col(CoachingSession.fee_minor)), 0),
            )
            .where(col(CoachingSession.client_id).in_(client_ids))
            .group_by(col(CoachingSession.client_id), col(CoachingSession.currency))
        )
        if coach_id:
            # Keys come from ClientViews, whose client the coach may see: no consent subquery.
            query = query.where(col(CoachingSession.coach_id) == coach_id)
        async with db.session() as session:
            rows = (await session.execute(query)).all()
        for client_id, currency, total, completed, cancelled, no_shows, revenue in rows:
            k = (int(client_id), coach_id)
            old = found.get(k, SessionStats())
            # Several currencies: counts add up; revenue is the biggest currency's.
            keep_revenue = old.currency is None or int(revenue) > old.revenue_minor
            found[k] = SessionStats(
                total=old.total + int(total),
                completed=old.completed + int(completed),
                cancelled=old.cancelled + int(cancelled),
                no_shows=old.no_shows + int(no_shows),
                revenue_minor=int(revenue) if keep_revenue else old.revenue_minor,
                currency=currency if keep_revenue else old.currency,
            )
    return [found.get(k, SessionStats()) for k in keys]
