"""Practice analytics for a period: sessions completed, client retention, average rating and
revenue per day, week or month. Every figure is an SQL aggregate; periods are cut at midnight in
the coach's time zone, computed here and handed to SQL as a CASE over UTC boundaries."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.auth import Viewer, require_coach
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.errors import BadUserInput
from coach_graph.sessions.models import CoachingSession, SessionStatus

MAX_PERIODS = 400
MAX_RANGE = timedelta(days=5 * 365 + 2)  # 5 years, leap days included


class Interval(enum.StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


@dataclass(frozen=True)
class RevenuePoint:
    period_start: datetime
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class AnalyticsResult:
    sessions_completed: int
    retention_rate: float | None
    average_rating: float | None
    revenue: list[RevenuePoint]


def _floor(day: date, interval: Interval) -> date:
    if interval == Interval.WEEK:
        return day - timedelta(days=day.weekday())
    if interval == Interval.MONTH:
        return day.replace(day=1)
    return day


def _next(day: date, interval: Interval) -> date:
    if interval == Interval.DAY:
        return day + timedelta(days=1)
    if interval == Interval.WEEK:
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_starts(
    start: datetime, end: datetime, interval: Interval, tz: ZoneInfo
) -> list[datetime]:
    """UTC instants of the local period starts covering [start, end)."""
    day = _floor(start.astimezone(tz).date(), interval)
    starts: list[datetime] = []
    while True:
        instant = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
        if instant >= end:
            break
        starts.append(instant)
        if len(starts) > MAX_PERIODS:
            raise BadUserInput(
                f"That range has more than {MAX_PERIODS} periods; choose a longer interval."
            )
        day = _next(day, interval)
    return starts


def _bucket(column: Any, bounds: list[datetime], lo: int, hi: int) -> sa.ColumnElement[int]:
    """The index of the period holding `column`: a balanced tree of CASEs over `bounds` (the
    starts of periods lo..hi-1), so each row costs about log2(periods) comparisons."""
    if hi - lo == 1:
        return sa.literal(lo)
    mid = (lo + hi) // 2
    return sa.case(
        (column < bounds[mid], _bucket(column, bounds, lo, mid)),
        else_=_bucket(column, bounds, mid, hi),
    )


async def analytics(
    db: Database,
    settings: Settings,
    viewer: Viewer | None,
    start: datetime,
    end: datetime,
    interval: Interval,
) -> AnalyticsResult:
    """Figures of the coach's sessions starting in [start, end)."""
    coach = require_coach(viewer)
    if end <= start:
        raise BadUserInput("`to` must come after `from`.")
    if end - start > MAX_RANGE:
        raise BadUserInput("An analytics range spans at most 5 years.", field="to")
    tz = ZoneInfo(coach.time_zone)
    starts = period_starts(start, end, interval, tz)
    s = CoachingSession
    starts_at = col(s.starts_at)
    mine = col(s.coach_id) == coach.id
    completed = col(s.status) == SessionStatus.COMPLETED.value
    # Grouped in an outer query: PostgreSQL cannot match a GROUP BY expression that carries
    # bound parameters to the same expression in the SELECT list.
    completed_rows = (
        sa.select(
            _bucket(starts_at, starts, 0, len(starts)).label("bucket"),
            col(s.currency).label("currency"),
            sa.case((completed, 1), else_=0).label("completed"),
            # Revenue: completed sessions' prices plus the fees charged (late cancellations,
            # no-shows).
            (sa.case((completed, col(s.price_minor)), else_=0) + col(s.fee_minor)).label("price"),
        )
        .where(mine, sa.or_(completed, col(s.fee_minor) > 0), starts_at >= start, starts_at < end)
        .subquery()
    )
    revenue_q = sa.select(
        completed_rows.c.bucket,
        completed_rows.c.currency,
        sa.func.sum(completed_rows.c.completed),
        sa.func.sum(completed_rows.c.price),
    ).group_by(completed_rows.c.bucket, completed_rows.c.currency)
    rating_q = sa.select(sa.func.avg(col(s.rating))).where(
        mine, starts_at >= start, starts_at < end, col(s.rating).is_not(None)
    )
    previous_start = start - (end - start)

    def clients_between(a: datetime, b: datetime) -> sa.Subquery:
        return (
            sa.select(col(s.client_id).label("client_id"))
            .where(mine, completed, col(s.client_id).is_not(None), starts_at >= a, starts_at < b)
            .distinct()
            .subquery()
        )

    before, now_ = clients_between(previous_start, start), clients_between(start, end)
    retention_q = sa.select(
        sa.func.count(before.c.client_id), sa.func.count(now_.c.client_id)
    ).select_from(before.outerjoin(now_, now_.c.client_id == before.c.client_id))
    async with db.read() as session:
        revenue_rows = (await session.execute(revenue_q)).all()
        average = await session.scalar(rating_q)
        retention_row = (await session.execute(retention_q)).one()
    amounts: dict[tuple[int, str], int] = {}
    sessions_completed = 0
    currencies = {settings.default_currency}
    for index, currency, count, amount in revenue_rows:
        sessions_completed += int(count or 0)
        amounts[(int(index), currency)] = int(amount or 0)
        currencies.add(currency)
    revenue = [
        RevenuePoint(period, amounts.get((i, cur), 0), cur)
        for i, period in enumerate(starts)
        for cur in sorted(currencies)
        if cur == settings.default_currency or (i, cur) in amounts
    ]
    previous_clients, retained = int(retention_row[0]), int(retention_row[1])
    return AnalyticsResult(
        sessions_completed=sessions_completed,
        retention_rate=retained / previous_clients if previous_clients else None,
        average_rating=float(average) if average is not None else None,
        revenue=revenue,
    )
