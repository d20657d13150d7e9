"""The demo's journals are analysed by the real analyser, and past weeks are summarised."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from coach_graph import clock
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.journals.demo import analyse_demo_entries, create_demo_summaries
from coach_graph.journals.insight.offline import OfflineAnalyser
from coach_graph.journals.models import JournalEntry, JournalSummary
from tests.conftest import Practice

TEXTS = [
    "Slept badly and felt anxious before the team meeting.",
    "A calm walk in the park, then dinner with my sister. Grateful.",
    "Deadlines everywhere, I am stressed and tired.",
    "Good yoga session, I feel strong and hopeful.",
]


async def test_demo_entries_are_analysed_for_real_and_past_weeks_summarised(
    practice: Practice, db: Database, settings: Settings, manual_clock: clock.ManualClock
) -> None:
    client = await practice.client(await practice.coach())
    now = clock.now()  # Monday 2 March: the weeks of 16 and 23 February are past
    async with db.transaction() as session:
        for days_ago in [14, 13, 12, 11, 7, 6, 0, 0]:
            session.add(
                JournalEntry(
                    client_id=client.id,
                    created_at=now - timedelta(days=days_ago, hours=1),
                    content=TEXTS[days_ago % 4],
                )
            )
    await analyse_demo_entries(db, settings)
    async with db.session() as session:
        entries = (await session.scalars(sa.select(JournalEntry))).all()
    assert {e.analysis_status for e in entries} == {"ANALYSED"}
    offline = OfflineAnalyser()
    for e in entries:
        assert e.sentiment_score == offline.analyse(e.content).sentiment_score
    assert await create_demo_summaries(db, settings) == 1  # the week of 7 days ago has only 2
    async with db.session() as session:
        (summary,) = (await session.scalars(sa.select(JournalSummary))).all()
    assert summary.journal_count == 4
    assert summary.period_start == now - timedelta(days=14, hours=1)
