"""Writing the audit trail: coalesced reads (the recorder's batches), consent changes (in the
change's transaction) and the retention sweep."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock
from coach_graph.audit.models import AuditEvent
from coach_graph.auditing import AuditAction, AuditedRead
from coach_graph.db import Database

# Rows per INSERT (5 parameters each: well under SQLite's limit of bound parameters).
_BATCH = 500
# Rows per DELETE of the retention sweep: each statement holds its locks briefly.
_SWEEP_BATCH = 5000


async def write_reads(db: Database, pending: dict[AuditedRead, datetime]) -> None:
    """Insert a batch of coalesced reads in one transaction. A read some worker already wrote
    for its (reader, client, action, hour) stays one event (the unique key decides, across
    workers), at the earliest time any of them noted."""
    rows = [
        {
            "actor_id": read.reader_id,
            "client_id": read.client_id,
            "action": read.action.value,
            "at": at,
            "hour": read.hour,
        }
        # In key order: workers writing the same reads at once lock them in the same order.
        for read, at in sorted(
            pending.items(),
            key=lambda item: (item[0].reader_id, item[0].client_id, item[0].action, item[0].hour),
        )
    ]
    async with db.transaction() as session:
        insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
        for start in range(0, len(rows), _BATCH):
            statement = insert(AuditEvent).values(rows[start : start + _BATCH])
            # Another worker wrote this hour's read: it keeps the earlier of the two times.
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=["actor_id", "client_id", "action", "hour"],
                    set_={"at": statement.excluded.at},
                    where=statement.excluded.at < col(AuditEvent.at),
                )
            )


def record_consent_change(session: AsyncSession, client_id: int) -> None:
    """A consent change by the client, written in the change's own transaction (it commits or
    rolls back with it)."""
    session.add(
        AuditEvent(
            actor_id=client_id,
            client_id=client_id,
            action=AuditAction.CONSENT_CHANGED.value,
            at=clock.now(),
        )
    )


async def delete_expired(db: Database, keep: timedelta) -> int:
    """Delete every event older than `keep` (AUDIT_RETENTION_DAYS), in batches; how many."""
    cutoff = clock.now() - keep
    deleted = 0
    while True:
        async with db.transaction() as session:
            oldest = (
                sa.select(col(AuditEvent.id))
                .where(col(AuditEvent.at) < cutoff)
                .order_by(col(AuditEvent.at))
                .limit(_SWEEP_BATCH)
                .scalar_subquery()
            )
            result = await session.execute(
                sa.delete(AuditEvent).where(col(AuditEvent.id).in_(oldest))
            )
        n = int(getattr(result, "rowcount", 0) or 0)
        deleted += n
        if n < _SWEEP_BATCH:
            return deleted
