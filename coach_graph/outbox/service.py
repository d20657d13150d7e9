"""Queue messages for users and deliver them.

Messages are written inside the transaction of what caused them. A sender job drains the outbox:
it claims a batch (so two senders never deliver one message twice), hands each message to the
configured `Sender`, marks it sent, or schedules a retry with exponential backoff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock
from coach_graph.db import Database
from coach_graph.outbox.models import MessageKind, OutboxMessage

log = logging.getLogger("coach_graph.outbox")

# A claimed batch is the sender's for this long; a crashed sender's batch is retried after it.
CLAIM_TTL = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)


class Sender(Protocol):
    """Delivers one message (e-mail, push, ...); raises when it could not."""

    async def send(self, message: OutboxMessage) -> None: ...


class LogSender:
    """The default sender: one structured log line per message."""

    async def send(self, message: OutboxMessage) -> None:
        log.info(
            "outbox message %s to user %s",
            message.kind,
            message.recipient_id,
            extra={
                "outbox_id": message.id,
                "kind": message.kind,
                "recipient_id": message.recipient_id,
                "session_id": message.session_id,
                "payload": message.payload,
            },
        )


def enqueue(
    session: AsyncSession,
    kind: MessageKind,
    recipient_id: int | None,
    payload: dict[str, Any],
    *,
    session_id: int | None = None,
) -> None:
    """Add a message to the outbox inside the caller's transaction (nothing when no recipient)."""
    if recipient_id is None:
        return
    session.add(
        OutboxMessage(
            kind=kind.value,
            recipient_id=recipient_id,
            session_id=session_id,
            payload=payload,
            next_attempt_at=clock.now(),
        )
    )


def backoff(attempts: int) -> timedelta:
    """The wait before retry number `attempts` (1, 2, ...): 30 s doubling, at most 6 hours."""
    # The exponent is capped before multiplying: 2**50 seconds would overflow a timedelta.
    doublings = min(max(attempts - 1, 0), 20)
    delay: timedelta = BACKOFF_BASE * (2**doublings)
    return min(delay, BACKOFF_MAX)


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int


async def _claim(db: Database, now: datetime, limit: int) -> list[OutboxMessage]:
    async with db.transaction() as session:
        due = (
            sa.select(col(OutboxMessage.id))
            .where(
                col(OutboxMessage.sent_at).is_(None),
                col(OutboxMessage.next_attempt_at) <= now,
                sa.or_(
                    col(OutboxMessage.claimed_until).is_(None),
                    col(OutboxMessage.claimed_until) < now,
                ),
            )
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(limit)
        )
        ids = list((await session.scalars(due)).all())
        if not ids:
            return []
        # The same condition again in the UPDATE: a row another sender claimed meanwhile is skipped.
        claimed = await session.scalars(
            sa.update(OutboxMessage)
            .where(
                col(OutboxMessage.id).in_(ids),
                col(OutboxMessage.sent_at).is_(None),
                sa.or_(
                    col(OutboxMessage.claimed_until).is_(None),
                    col(OutboxMessage.claimed_until) < now,
                ),
            )
            .values(claimed_until=now + CLAIM_TTL)
            .returning(col(OutboxMessage.id))
        )
        claimed_ids = list(claimed.all())
        if not claimed_ids:
            return []
        rows = await session.scalars(
            sa.select(OutboxMessage)
            .where(col(OutboxMessage.id).in_(claimed_ids))
            .order_by(col(OutboxMessage.id))
        )
        return list(rows.all())


async def send_due(db: Database, sender: Sender, *, limit: int = 200) -> SendReport:
    """Deliver the messages that are due; failures are retried later with backoff."""
    now = clock.now()
    sent = failed = 0
    for message in await _claim(db, now, limit):
        try:
            await sender.send(message)
        except Exception as exc:  # any delivery failure: keep the message, retry later
            failed += 1
            attempts = message.attempts + 1
            log.warning("outbox message %s failed (attempt %d): %s", message.id, attempts, exc)
            values: dict[str, Any] = {
                "attempts": attempts,
                "next_attempt_at": now + backoff(attempts),
                "last_error": str(exc)[:500],
                "claimed_until": None,
            }
        else:
            sent += 1
            values = {"sent_at": clock.now(), "claimed_until": None}
        async with db.transaction() as session:
            await session.execute(
                sa.update(OutboxMessage).where(col(OutboxMessage.id) == message.id).values(**values)
            )
    return SendReport(sent, failed)
