"""The analysis queue: a background worker analyses PENDING entries, oldest first.

Each entry is claimed with a lease (`analysis_lease_until`) by a guarded update, so several
workers never analyse the same entry; a worker that dies leaves its claim to expire and another
picks the entry up (pending work survives restarts: the queue is the table). An analysis that
raises is retried with exponential backoff (`analysis_due_at`) and marked FAILED after
`MAX_ATTEMPTS`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.jobs import Job
from coach_graph.journals.insight.protocol import Analyser, EntryAnalysis
from coach_graph.journals.insight.provider import analyser_for
from coach_graph.journals.models import AnalysisStatus, JournalEntry

log = logging.getLogger("coach_graph.journals.analysis")

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)
BATCH = 50
JOB_INTERVAL_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class ClaimedEntry:
    id: int
    content: str
    attempts: int


def _due(now: object) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(JournalEntry.analysis_status) == AnalysisStatus.PENDING,
        sa.or_(
            col(JournalEntry.analysis_due_at).is_(None), col(JournalEntry.analysis_due_at) <= now
        ),
        sa.or_(
            col(JournalEntry.analysis_lease_until).is_(None),
            col(JournalEntry.analysis_lease_until) < now,
        ),
    )


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next attempt after `attempts` failed ones: 30 s, 1 min, 2 min, ..."""
    factor: int = 2 ** max(0, attempts - 1)
    return FIRST_RETRY * factor


async def claim_due_entries(
    db: Database, limit: int = BATCH, lease: timedelta = LEASE
) -> list[ClaimedEntry]:
    """Claim up to `limit` due entries, oldest first, for `lease`. An entry another worker
    claimed in between is skipped: the guarded update matches no row."""
    now = clock.now()
    async with db.session() as session:
        candidates = (
            (
                await session.execute(
                    sa.select(col(JournalEntry.id))
                    .where(_due(now))
                    .order_by(col(JournalEntry.created_at), col(JournalEntry.id))
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )
    claimed: list[ClaimedEntry] = []
    for entry_id in candidates:
        assert entry_id is not None
        async with db.transaction() as session:
            row = (
                await session.execute(
                    sa.update(JournalEntry)
                    .where(col(JournalEntry.id) == entry_id, _due(now))
                    .values(
                        analysis_lease_until=now + lease,
                        analysis_attempts=col(JournalEntry.analysis_attempts) + 1,
                    )
                    .returning(col(JournalEntry.content), col(JournalEntry.analysis_attempts))
                )
            ).first()
        if row is not None:
            claimed.append(ClaimedEntry(entry_id, row[0], row[1]))
    return claimed


async def record_analysis(db: Database, entry_id: int, analysis: EntryAnalysis) -> bool:
    """Store the results; False when the entry is no longer pending (someone finished it)."""
    async with db.transaction() as session:
        done = await session.execute(
            sa.update(JournalEntry)
            .where(
                col(JournalEntry.id) == entry_id,
                col(JournalEntry.analysis_status) == AnalysisStatus.PENDING,
            )
            .values(
                analysis_status=AnalysisStatus.ANALYSED.value,
                analysed_at=clock.now(),
                analysis_lease_until=None,
                analysis_error=None,
                sentiment=analysis.sentiment.value,
                sentiment_score=analysis.sentiment_score,
                summary=analysis.summary,
                themes=list(analysis.themes),
                **analysis.emotions,
            )
        )
    return bool(done.rowcount)  # type: ignore[attr-defined]


async def record_failure(db: Database, entry: ClaimedEntry, error: str) -> None:
    """Retry later with backoff, or mark FAILED once the attempts are used up."""
    now = clock.now()
    values: dict[str, object] = {"analysis_lease_until": None, "analysis_error": error[:500]}
    if entry.attempts >= MAX_ATTEMPTS:
        values["analysis_status"] = AnalysisStatus.FAILED.value
    else:
        values["analysis_due_at"] = now + retry_delay(entry.attempts)
    async with db.transaction() as session:
        await session.execute(
            sa.update(JournalEntry)
            .where(
                col(JournalEntry.id) == entry.id,
                col(JournalEntry.analysis_status) == AnalysisStatus.PENDING,
            )
            .values(**values)
        )


async def analyse_due_entries(db: Database, analyser: Analyser, limit: int = BATCH) -> list[int]:
    """One sweep of the queue: claim due entries and analyse them. Returns the ids analysed."""
    analysed: list[int] = []
    for entry in await claim_due_entries(db, limit):
        try:
            analysis = await analyser.analyse_entry(entry.content)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the analyser's bug must not stop the queue
            log.exception("analysis of journal entry %s failed", entry.id)
            await record_failure(db, entry, f"{type(exc).__name__}: {exc}")
            continue
        if await record_analysis(db, entry.id, analysis):
            analysed.append(entry.id)
    return analysed


async def _run(resources: Resources) -> None:
    analyser = analyser_for(resources.settings)
    # Sweep until the queue is empty, so a burst of entries does not wait a job interval each.
    for _ in range(100):
        if not await analyse_due_entries(resources.db, analyser):
            return


def analysis_job() -> Job:
    """The periodic job for app.background_jobs(). Not exclusive: the per-entry leases let
    every worker share the queue."""
    return Job("journal-analysis", _run, interval_seconds=JOB_INTERVAL_SECONDS, exclusive=False)
