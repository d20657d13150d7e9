"""The demo's scheduling: a 10-minute buffer, client1's weekly series with one occurrence
moved, client2's fortnightly series, and next month's holiday week listing its conflicts."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.context import Resources
from coach_graph.demo.practice import DemoSize, acting_as
from coach_graph.demo.registry import seed_demo
from coach_graph.sessions.exceptions import list_exceptions
from coach_graph.sessions.models import CoachingSession, SessionSeries
from coach_graph.sessions.rules import get_rules


async def test_the_demo_coach_has_a_buffer_two_series_and_a_holiday_with_conflicts(
    resources: Resources, manual_clock: clock.ManualClock
) -> None:
    db = resources.db
    size = DemoSize(clients=3, entries=0, second_coach_clients=0, sessions=4)
    practice = await seed_demo(db, resources.settings, size)
    coach = await acting_as(db, practice.demo_coach_id)
    assert (await get_rules(db, coach, None)).buffer_minutes == 10
    emails = {c.id: c.email for c in practice.clients}
    async with db.session() as session:
        series = list(
            (await session.scalars(sa.select(SessionSeries).order_by(col(SessionSeries.id)))).all()
        )
        occurrences = {
            s.id: list(
                (
                    await session.scalars(
                        sa.select(CoachingSession)
                        .where(col(CoachingSession.series_id) == s.id)
                        .order_by(col(CoachingSession.starts_at))
                    )
                ).all()
            )
            for s in series
        }
    weekly, fortnightly = series
    assert emails[weekly.client_id or 0] == "client1@demo.example" and weekly.interval == 1
    assert emails[fortnightly.client_id or 0] == "client2@demo.example"
    assert fortnightly.interval == 2 and len(occurrences[fortnightly.id]) >= 3
    weekly_rows = occurrences[weekly.id]
    assert [r.invite_sequence for r in weekly_rows].count(1) == 1  # one occurrence moved
    moved = next(r for r in weekly_rows if r.invite_sequence == 1)
    others = [r for r in weekly_rows if r is not moved]
    assert {r.starts_at.weekday() for r in others} != {moved.starts_at.weekday()}
    now = clock.now()
    holidays = await list_exceptions(db, coach, now, now + clock.days(70))
    assert [(h.row.available, h.row.note) for h in holidays] == [(False, "Holiday")]
    assert holidays[0].conflicts
    assert all(c.status in ("PENDING", "CONFIRMED") for c in holidays[0].conflicts)
