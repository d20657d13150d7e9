"""Journal rules: writing an entry, and consolidating analysed entries into a summary.

Writing never waits for the analysis: the entry is stored PENDING and the analysis worker
(`journals.analysis`) picks it up. A summary covers the client's analysed entries that no
summary covers yet (at least three), and an entry is covered by at most one summary, also when
two coaches' requests race.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock, events
from coach_graph.auth import Viewer, require_client, require_coach
from coach_graph.clients.access import visible_client
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, Conflict
from coach_graph.journals import reads
from coach_graph.journals.events import JournalEntryWritten
from coach_graph.journals.insight.protocol import AnalysedEntry, Analyser
from coach_graph.journals.models import AnalysisStatus, JournalEntry, JournalSummary
from coach_graph.journals.reads import analysis_of, uncovered_condition
from coach_graph.journals.text import clean_entry_text
from coach_graph.journals.trends import emotion_trend
from coach_graph.loaders import Loaders
from coach_graph.pagination import Keyset, Page, page_size

MIN_SUMMARY_ENTRIES = 3
ENTRY_PAGE = 20  # journal entries per page when `first` is not given


async def create_entry(db: Database, viewer: Viewer | None, content: str) -> JournalEntry:
    """Store a client's new entry, PENDING analysis (due at once); JournalEntryWritten recorded."""
    client = require_client(viewer)
    text = clean_entry_text(content)
    now = clock.now()
    entry = JournalEntry(
        client_id=client.id,
        created_at=now,
        content=text,
        analysis_status=AnalysisStatus.PENDING.value,
        analysis_due_at=now,
    )
    async with db.transaction() as session:
        session.add(entry)
        await session.flush()
        assert entry.id is not None
        # Alerts react in this transaction (writing ends every coach's JOURNAL alert about them).
        events.record(session, JournalEntryWritten(client_id=client.id, entry_id=entry.id))
    return entry


async def uncovered_entries(db: Database, client_id: int) -> list[JournalEntry]:
    """The client's analysed entries that no summary covers yet, oldest first."""
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(JournalEntry)
            .where(col(JournalEntry.client_id) == client_id, uncovered_condition())
            .order_by(col(JournalEntry.created_at), col(JournalEntry.id))
        )
        return list(rows.all())


async def generate_summary(
    db: Database, viewer: Viewer | None, client_id: int, analyser: Analyser
) -> JournalSummary:
    """The coach's request for a summary of the client's entries not yet summarised."""
    require_coach(viewer)
    await visible_client(db, viewer, client_id)
    entries = await uncovered_entries(db, client_id)
    if len(entries) < MIN_SUMMARY_ENTRIES:
        raise BadUserInput(
            f"A summary needs at least {MIN_SUMMARY_ENTRIES} analysed entries that no summary "
            f"covers yet; this client has {len(entries)}."
        )
    return await consolidate(db, analyser, client_id, entries)


async def consolidate(
    db: Database, analyser: Analyser, client_id: int, entries: Sequence[JournalEntry]
) -> JournalSummary:
    """Write one summary covering `entries` (analysed, oldest first), or CONFLICT when another
    summary took any of them meanwhile (nothing is written then)."""
    analysed = []
    for entry in entries:
        analysis = analysis_of(entry)
        assert analysis is not None, "only analysed entries are summarised"
        analysed.append(AnalysedEntry(entry.created_at, entry.content, analysis))
    # The analyser may take seconds (a provider): ask it before taking any write lock.
    text = await analyser.summarise_period(analysed)
    summary = JournalSummary(
        client_id=client_id,
        created_at=clock.now(),
        journal_count=len(entries),
        summary=text,
        emotion_trend=emotion_trend([a.analysis for a in analysed]),
        period_start=analysed[0].created_at,
        period_end=analysed[-1].created_at,
    )
    ids = [e.id for e in entries]
    async with db.transaction() as session:
        # Write first: the insert takes the write lock (SQLite) before anything is read, and the
        # guarded update below only claims entries still uncovered (row locks on PostgreSQL).
        session.add(summary)
        await session.flush()
        claimed = await session.execute(
            sa.update(JournalEntry)
            .where(col(JournalEntry.id).in_(ids), col(JournalEntry.summary_id).is_(None))
            .values(summary_id=summary.id)
        )
        if claimed.rowcount != len(ids):  # type: ignore[attr-defined]
            raise Conflict(
                "Some of these entries were just summarised by another request; reload and try "
                "again."
            )
    return summary


async def entry_page(
    loaders: Loaders, client_id: int, first: int | None, after: str | None
) -> Page[JournalEntry]:
    """A page of the client's journal entries, newest first (`first` 1 to 100; a cursor that is
    not one of this list's is BAD_USER_INPUT), read through the request's loaders so a page of
    clients costs the same statements whatever its size."""
    size = page_size(first, ENTRY_PAGE)
    cursors = loaders.db.cursors
    key = reads.EntryPageKey(client_id, size, reads.ENTRY_ORDER.decode(after, cursors=cursors))
    rows = await loaders(reads.entry_pages).load(key)

    async def count() -> int:
        return await loaders(reads.entry_counts).load(client_id)

    return Keyset.page(rows, size, key=lambda e: (e.created_at, e.id), count=count, cursors=cursors)
