"""Demo data for journals: the demo seed inserts entries PENDING with plausible text; these
functions analyse them with the real analyser (no invented numbers) and consolidate past weeks
into summaries, leaving the current week for the coach's Generate Summary button."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.journals.analysis import analyse_due_entries
from coach_graph.journals.insight.provider import analyser_for
from coach_graph.journals.models import JournalEntry
from coach_graph.journals.reads import uncovered_condition
from coach_graph.journals.service import MIN_SUMMARY_ENTRIES, consolidate

if TYPE_CHECKING:
    from coach_graph.demo import DemoPractice

MAX_SWEEPS = 10_000
DEMO_BATCH = 500


async def analyse_demo_entries(db: Database, settings: Settings) -> None:
    """Analyse every due entry now, with the configured analyser (offline by default)."""
    analyser = analyser_for(settings)
    for _ in range(MAX_SWEEPS):
        if not await analyse_due_entries(db, analyser, limit=DEMO_BATCH):
            return


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def create_demo_summaries(db: Database, settings: Settings) -> int:
    """One summary per client and past week (Monday to Sunday, UTC) holding at least three
    analysed entries no summary covers. Returns how many summaries were written."""
    analyser = analyser_for(settings)
    this_week = _week(clock.now().date())
    async with db.session() as session:
        rows = (
            await session.scalars(
                sa.select(JournalEntry)
                .where(uncovered_condition())
                .order_by(
                    col(JournalEntry.client_id), col(JournalEntry.created_at), col(JournalEntry.id)
                )
            )
        ).all()
    weeks: dict[tuple[int, date], list[JournalEntry]] = defaultdict(list)
    for entry in rows:
        week = _week(entry.created_at.date())
        if week < this_week:
            weeks[(entry.client_id, week)].append(entry)
    written = 0
    for (client_id, _), entries in sorted(weeks.items(), key=lambda kv: kv[0]):
        if len(entries) >= MIN_SUMMARY_ENTRIES:
            await consolidate(db, analyser, client_id, entries)
            written += 1
    return written


async def seed_journal_insight(db: Database, settings: Settings, practice: DemoPractice) -> None:
    """Demo step: analyse the seeded entries for real, then summarise the past weeks."""
    await analyse_demo_entries(db, settings)
    await create_demo_summaries(db, settings)
