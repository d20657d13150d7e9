"""GraphQL types of session figures: a client's totals and the practice's analytics."""

from __future__ import annotations

from datetime import datetime

import strawberry

from coach_graph.gql import enum
from coach_graph.sessions import stats as figures
from coach_graph.sessions.analytics import AnalyticsResult, Interval
from coach_graph.sessions.analytics import RevenuePoint as RevenuePointData
from coach_graph.sessions.types.catalog import Money

enum(
    Interval,
    "The length of a revenue period, in the coach's time zone.",
    {
        Interval.DAY: "One calendar day.",
        Interval.WEEK: "One week, Monday to Sunday.",
        Interval.MONTH: "One calendar month.",
    },
    name="AnalyticsInterval",
)


@strawberry.type(description="Session figures for one client.")
class SessionStats:
    total: int = strawberry.field(description="Sessions of every status.")
    completed: int = strawberry.field(description="COMPLETED sessions.")
    cancelled: int = strawberry.field(description="CANCELLED sessions.")
    no_shows: int = strawberry.field(description="NO_SHOW sessions.")
    cancellation_rate: float = strawberry.field(description="cancelled / total; 0 when none.")
    revenue: Money = strawberry.field(
        description="Prices of COMPLETED sessions plus the fees charged."
    )

    @classmethod
    def of(cls, stats: figures.SessionStats, currency: str) -> SessionStats:
        return cls(
            total=stats.total,
            completed=stats.completed,
            cancelled=stats.cancelled,
            no_shows=stats.no_shows,
            cancellation_rate=stats.cancellation_rate,
            revenue=Money(amount_minor=stats.revenue_minor, currency=stats.currency or currency),
        )


@strawberry.type(description="Revenue of one period (day, week or month) in one currency.")
class RevenuePoint:
    period_start: datetime = strawberry.field(
        description="Local midnight of the period's first day in the coach's time zone (in UTC)."
    )
    revenue: Money = strawberry.field(description="Completed sessions' prices plus fees charged.")

    @classmethod
    def of(cls, p: RevenuePointData) -> RevenuePoint:
        return cls(
            period_start=p.period_start,
            revenue=Money(amount_minor=p.amount_minor, currency=p.currency),
        )


@strawberry.type(description="Practice figures of a period.")
class Analytics:
    sessions_completed: int = strawberry.field(description="Sessions COMPLETED in the period.")
    retention_rate: float | None = strawberry.field(
        description="Of the clients with a completed session in the previous period of equal "
        "length, the share with one in this period; null when there were none."
    )
    average_rating: float | None = strawberry.field(description="Null when nothing was rated.")
    revenue: list[RevenuePoint] = strawberry.field(
        description="Revenue per period of the interval, oldest first."
    )

    @classmethod
    def of(cls, a: AnalyticsResult) -> Analytics:
        return cls(
            sessions_completed=a.sessions_completed,
            retention_rate=a.retention_rate,
            average_rating=a.average_rating,
            revenue=[RevenuePoint.of(p) for p in a.revenue],
        )
