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
    """Claim up to `limit` due entries, oldest first, for `lease`, in one guarded update. The
    update re-checks that each entry is still due, so an entry another worker claimed in between
    (PostgreSQL re-evaluates the condition on the locked row) is skipped."""
    now = clock.now()
    oldest_due = (
        sa.select(col(JournalEntry.id))
        .where(_due(now))
        .order_by(col(JournalEntry.created_at), col(JournalEntry.id))
        .limit(limit)
    )
    async with db.transaction() as session:
        rows = (
            await session.execute(
                sa.update(JournalEntry)
                .where(col(JournalEntry.id).in_(oldest_due.scalar_subquery()), _due(now))
                .values(
                    analysis_lease_until=now + lease,
                    analysis_attempts=col(JournalEntry.analysis_attempts) + 1,
                )
                .returning(
                    col(JournalEntry.id),
                    col(JournalEntry.content),
                    col(JournalEntry.analysis_attempts),
                    col(JournalEntry.created_at),
                )
                .execution_options(synchronize_session=False)
            )
        ).all()
    oldest_first = sorted(rows, key=lambda r: (r.created_at, r.id))
    return [ClaimedEntry(r.id, r.content, r.analysis_attempts) for r in oldest_first]


async def record_analyses(db: Database, results: list[tuple[int, EntryAnalysis]]) -> list[int]:
    """Store a batch of results in one transaction; returns the ids stored (an entry no longer
    pending, because someone finished it, is left alone)."""
    stored: list[int] = []
    if not results:
        return stored
    now = clock.now()
    async with db.transaction() as session:
        for entry_id, analysis in results:
            done = await session.execute(
                sa.update(JournalEntry)
                .where(
                    col(JournalEntry.id) == entry_id,
                    col(JournalEntry.analysis_status) == AnalysisStatus.PENDING,
                )
                .values(
                    analysis_status=AnalysisStatus.ANALYSED.value,
                    analysed_at=now,
                    analysis_lease_until=None,
                    analysis_error=None,
                    sentiment=analysis.sentiment.value,
                    sentiment_score=analysis.sentiment_score,
                    summary=analysis.summary,
                    themes=list(analysis.themes),
                    **analysis.emotions,
                )
                .execution_options(synchronize_session=False)
            )
            if done.rowcount:  # type: ignore[attr-defined]
                stored.append(entry_id)
    return stored


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
    """One sweep of the queue: claim due entries, analyse them, store the results together.
    Returns the ids analysed."""
    results: list[tuple[int, EntryAnalysis]] = []
    for entry in await claim_due_entries(db, limit):
        try:
            results.append((entry.id, await analyser.analyse_entry(entry.content)))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the analyser's bug must not stop the queue
            log.exception("analysis of journal entry %s failed", entry.id)
            await record_failure(db, entry, f"{type(exc).__name__}: {exc}")
    return await record_analyses(db, results)


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
