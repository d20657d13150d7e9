"""Per-client session figures: totals by status and revenue, batched per coach."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from coach_graph.db import Database
from coach_graph.prepared import rows, table
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


_sessions = table(CoachingSession)


def _sum_of(status: SessionStatus, then: Any = 1) -> sa.ColumnElement[Any]:
    value = sa.case((_sessions.c.status == status.value, then), else_=0)
    return sa.func.coalesce(sa.func.sum(value), 0)


# Per client and currency: sessions, completed, cancelled, no-shows, revenue (completed
# sessions' prices plus fees). One statement per coach of a batch, walking the
# (client, coach, start) index.
_FIGURES = sa.select(
    _sessions.c.client_id,
    _sessions.c.currency,
    sa.func.count(),
    _sum_of(SessionStatus.COMPLETED),
    _sum_of(SessionStatus.CANCELLED),
    _sum_of(SessionStatus.NO_SHOW),
    _sum_of(SessionStatus.COMPLETED, _sessions.c.price_minor)
    + sa.func.coalesce(sa.func.sum(_sessions.c.fee_minor), 0),
).group_by(_sessions.c.client_id, _sessions.c.currency)
_CLIENTS = _sessions.c.client_id.in_(sa.bindparam("client_ids", expanding=True))
_WITH_COACH = rows(_FIGURES.where(_CLIENTS, _sessions.c.coach_id == sa.bindparam("coach_id")))
_ALL_COACHES = rows(_FIGURES.where(_CLIENTS))


async def load_session_stats(db: Database, keys: list[StatsKey]) -> list[SessionStats]:
    """Statistics per (client, coach) in one aggregate statement per coach of the batch."""
    found: dict[StatsKey, SessionStats] = {}
    for coach_id in {k[1] for k in keys}:
        client_ids = [k[0] for k in keys if k[1] == coach_id]
        if coach_id:
            # Keys come from ClientViews, whose client the coach may see: no consent subquery.
            figures = await _WITH_COACH.all(db, client_ids=client_ids, coach_id=coach_id)
        else:
            figures = await _ALL_COACHES.all(db, client_ids=client_ids)
        for client_id, currency, total, completed, cancelled, no_shows, revenue in figures:
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
