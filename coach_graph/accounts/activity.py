"""When clients were last active: noted by requests, written in the background.

A client's request only notes (client id, time) in memory; a background task writes every noted
time in one statement every few seconds, in its own transaction. So a read never writes, never
waits for the database's write lock and never needs a second connection. A crash loses at most
the last few seconds of activity (the rule coalesces to a minute anyway). The mechanism is
`writebehind.WriteBehind`, shared with the audit trail's reads.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.db import Database
from coach_graph.fields import UtcDateTime
from coach_graph.writebehind import WriteBehind

# Rows per UPDATE statement (keeps the statement's parameters well under SQLite's limit).
_BATCH = 500


class ActivityRecorder(WriteBehind[int, datetime]):
    """Collects clients' activity times and flushes them every `interval` seconds."""

    what = "activity times"

    def __init__(self, db: Database, interval: float = 5.0) -> None:
        super().__init__(interval)
        self.db = db

    def merge(self, known: datetime, new: datetime) -> datetime:
        return max(known, new)

    async def write(self, pending: dict[int, datetime]) -> None:
        """One UPDATE per chunk of users, in one transaction."""
        ids = sorted(pending)
        async with self.db.transaction() as session:
            for start in range(0, len(ids), _BATCH):
                chunk = ids[start : start + _BATCH]
                times = sa.case(
                    {i: sa.bindparam(None, pending[i], type_=UtcDateTime()) for i in chunk},
                    value=col(User.id),
                )
                await session.execute(
                    sa.update(User).where(col(User.id).in_(chunk)).values(last_active_at=times)
                )
