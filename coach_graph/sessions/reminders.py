"""Reminders: an outbox message for the client 24 hours and 1 hour before every session that is
not cancelled, exactly once each.

The job queues a reminder when its moment has come. Exactly-once does not rest on timing: the
outbox's unique key (session, kind, start time) turns every queuing into an insert-if-absent
(`ON CONFLICT DO NOTHING`), so restarts, re-runs and two workers at once add each reminder once.
A session moved to a new time gets reminders for the new time; unsent ones for the old time are
dropped by the move itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock
from coach_graph.db import Database
from coach_graph.notifications.service import notify
from coach_graph.outbox.models import MessageKind, OutboxMessage
from coach_graph.sessions.models import CoachingSession
from coach_graph.sessions.status import LIVE

REMINDERS: tuple[tuple[MessageKind, timedelta], ...] = (
    (MessageKind.REMINDER_24H, timedelta(hours=24)),
    (MessageKind.REMINDER_1H, timedelta(hours=1)),
)
REMINDER_KINDS = tuple(kind.value for kind, _ in REMINDERS)


def due_reminders(s: CoachingSession, now: datetime) -> list[tuple[MessageKind, datetime]]:
    """The reminders of `s` whose moment has come: before the start, not yet superseded by the
    next reminder, and not before the session got its current time."""
    due: list[tuple[MessageKind, datetime]] = []
    for i, (kind, ahead) in enumerate(REMINDERS):
        moment = s.starts_at - ahead
        later = REMINDERS[i + 1][1] if i + 1 < len(REMINDERS) else timedelta(0)
        if moment <= now < s.starts_at - later and s.scheduled_at <= moment:
            due.append((kind, moment))
    return due


async def queue_reminders(db: Database) -> int:
    """Queue every reminder that is due now; returns how many were new."""
    now = clock.now()
    horizon = max(ahead for _, ahead in REMINDERS)
    async with db.transaction() as session:
        sessions = (
            await session.scalars(
                sa.select(CoachingSession).where(
                    col(CoachingSession.status).in_([s.value for s in LIVE]),
                    col(CoachingSession.client_id).is_not(None),
                    col(CoachingSession.starts_at) > now,
                    col(CoachingSession.starts_at) <= now + horizon,
                )
            )
        ).all()
        new = 0
        for s in sessions:
            for kind, _moment in due_reminders(s, now):
                payload = {"session_id": s.id, "starts_at": s.starts_at.isoformat()}
                told = await notify(
                    session, s.client_id, kind, payload, session_id=s.id, once_for=s.starts_at
                )
                new += told is not None
        return new


async def drop_pending_reminders(session: AsyncSession, session_id: int | None) -> None:
    """Unsent reminders of a session announce a time that no longer holds: drop them (the
    reminder job queues new ones for the new time)."""
    await session.execute(
        sa.delete(OutboxMessage).where(
            col(OutboxMessage.session_id) == session_id,
            col(OutboxMessage.kind).in_(REMINDER_KINDS),
            col(OutboxMessage.sent_at).is_(None),
        )
    )
