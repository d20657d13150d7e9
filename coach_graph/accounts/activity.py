"""When clients were last active: noted by requests, written in the background.

A client's request only notes (client id, time) in memory; a background task writes every noted
time in one statement every few seconds, in its own transaction. So a read never writes, never
waits for the database's write lock and never needs a second connection. A crash loses at most
the last few seconds of activity (the rule coalesces to a minute anyway).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.background import Background
from coach_graph.db import Database, UtcDateTime

log = logging.getLogger("coach_graph.activity")

# Rows per UPDATE statement (keeps the statement's parameters well under SQLite's limit).
_BATCH = 500


class ActivityRecorder:
    """Collects clients' activity times and flushes them every `interval` seconds."""

    def __init__(self, db: Database, interval: float = 5.0) -> None:
        self.db = db
        self.interval = interval
        self._pending: dict[int, datetime] = {}
        self._writer = Background("activity-recorder")

    def note(self, user_id: int, at: datetime) -> None:
        """Remember that the user was active at `at` (never waits, never fails)."""
        known = self._pending.get(user_id)
        if known is None or at > known:
            self._pending[user_id] = at

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def flush(self) -> int:
        """Write every noted time; returns how many users were written. On failure the times
        are kept for the next flush (newer notes win)."""
        pending, self._pending = self._pending, {}
        if not pending:
            return 0
        try:
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
        except Exception as exc:
            log.warning(
                "recording activity of %d user(s) failed; retrying later (%r)", len(pending), exc
            )
            for user_id, at in pending.items():
                self.note(user_id, at)
            return 0
        return len(pending)

    def start(self) -> None:
        """Flush every `interval` seconds until `stop()` (call inside the app's lifespan)."""
        self._writer.start(self._run())

    async def stop(self) -> None:
        """Stop the loop and write what is still pending."""
        await self._writer.stop()
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush()
