"""The analysis worker: oldest first, leases across workers, retries with backoff, restarts."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.journals import analysis
from coach_graph.journals.analysis import analyse_due_entries, claim_due_entries
from coach_graph.journals.insight.offline import OfflineAnalyser
from coach_graph.journals.insight.protocol import AnalysedEntry, EntryAnalysis
from coach_graph.journals.models import JournalEntry
from tests.conftest import Practice
from tests.journals.conftest import Journals, coach_and_client


class BrokenAnalyser:
    """An analyser that always raises, standing for a bug in an analyser implementation."""

    async def analyse_entry(self, text: str) -> EntryAnalysis:
        raise RuntimeError("analyser crashed")

    async def summarise_period(self, entries: list[AnalysedEntry]) -> str:
        raise RuntimeError("analyser crashed")


async def _entries(db: Database) -> list[JournalEntry]:
    async with db.session() as session:
        rows = await session.scalars(sa.select(JournalEntry).order_by(col(JournalEntry.id)))
        return list(rows.all())


async def test_the_worker_analyses_pending_entries_oldest_first(
    practice: Practice, journals: Journals, db: Database, manual_clock: clock.ManualClock
) -> None:
    _, _, _, token = await coach_and_client(practice)
    ids = []
    for i in range(3):
        ids.append(int((await journals.write(token, f"Day {i}: a calm walk."))["id"]))
        manual_clock.advance(timedelta(minutes=5))
    assert await analyse_due_entries(db, OfflineAnalyser()) == ids
    assert {e.analysis_status for e in await _entries(db)} == {"ANALYSED"}
    assert await analyse_due_entries(db, OfflineAnalyser()) == []


async def test_two_concurrent_workers_never_analyse_the_same_entry(
    practice: Practice, journals: Journals, db: Database
) -> None:
    _, _, _, token = await coach_and_client(practice)
    for i in range(30):
        await journals.write(token, f"Entry {i}: worked late, felt tired but proud.")
    first, second = await asyncio.gather(
        analyse_due_entries(db, OfflineAnalyser(), limit=30),
        analyse_due_entries(db, OfflineAnalyser(), limit=30),
    )
    assert not set(first) & set(second)
    assert len(first) + len(second) == 30
    rows = await _entries(db)
    assert all(e.analysis_status == "ANALYSED" and e.analysis_attempts == 1 for e in rows)


async def test_a_claimed_entry_is_not_claimed_again_until_its_lease_expires(
    practice: Practice, journals: Journals, db: Database, manual_clock: clock.ManualClock
) -> None:
    _, _, _, token = await coach_and_client(practice)
    await journals.write(token, "Worker dies while analysing this.")
    # A worker claims the entry, then dies (a restart): its claim must not lose the entry.
    assert len(await claim_due_entries(db)) == 1
    assert await analyse_due_entries(db, OfflineAnalyser()) == []
    manual_clock.advance(analysis.LEASE + timedelta(seconds=1))
    assert len(await analyse_due_entries(db, OfflineAnalyser())) == 1
    (entry,) = await _entries(db)
    assert entry.analysis_status == "ANALYSED" and entry.analysis_attempts == 2


async def test_a_failing_analysis_is_retried_with_backoff_then_failed(
    practice: Practice, journals: Journals, db: Database, manual_clock: clock.ManualClock
) -> None:
    _, _, _, token = await coach_and_client(practice)
    await journals.write(token, "This one will not analyse.")
    broken = BrokenAnalyser()
    for attempt in range(1, analysis.MAX_ATTEMPTS):
        assert await analyse_due_entries(db, broken) == []
        (entry,) = await _entries(db)
        assert entry.analysis_status == "PENDING" and entry.analysis_attempts == attempt
        assert entry.analysis_error == "RuntimeError: analyser crashed"
        delay = analysis.retry_delay(attempt)
        assert entry.analysis_due_at == clock.now() + delay
        # Not due before its backoff has passed.
        manual_clock.advance(delay - timedelta(seconds=1))
        assert await claim_due_entries(db) == []
        manual_clock.advance(timedelta(seconds=1))
    assert await analyse_due_entries(db, broken) == []
    (entry,) = await _entries(db)
    assert entry.analysis_status == "FAILED"
    manual_clock.advance(timedelta(days=1))
    assert await claim_due_entries(db) == []


async def test_a_retry_that_succeeds_analyses_the_entry(
    practice: Practice, journals: Journals, db: Database, manual_clock: clock.ManualClock
) -> None:
    _, _, _, token = await coach_and_client(practice)
    await journals.write(token, "Temporary trouble, then fine.")
    await analyse_due_entries(db, BrokenAnalyser())
    manual_clock.advance(analysis.retry_delay(1))
    assert len(await analyse_due_entries(db, OfflineAnalyser())) == 1
    (entry,) = await _entries(db)
    assert entry.analysis_status == "ANALYSED" and entry.analysis_error is None


async def test_the_background_job_analyses_what_was_pending(
    practice: Practice, journals: Journals, resources: Resources
) -> None:
    _, _, _, token = await coach_and_client(practice)
    for i in range(3):
        await journals.write(token, f"Entry {i}.")
    await analysis.analysis_job().run(resources)
    assert {e.analysis_status for e in await _entries(resources.db)} == {"ANALYSED"}
