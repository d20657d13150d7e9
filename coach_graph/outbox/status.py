"""The outbox as an operator sees it (`coach-graph outbox`, the /metrics gauges): what waits,
what was sent, what was given up (FAILED), and putting one FAILED message back."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.db import Database
from coach_graph.errors import Conflict, NotFound
from coach_graph.outbox.models import OutboxMessage


class OutboxStatus(StrEnum):
    PENDING = "pending"  # not sent yet and still tried (including those being retried)
    FAILED = "failed"  # given up: refused for good, or failing for FAIL_AFTER
    SENT = "sent"


def pending() -> sa.ColumnElement[bool]:
    """Not sent and not given up: the sender still tries these."""
    return sa.and_(col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.failed_at).is_(None))


@dataclass(frozen=True)
class OutboxCounts:
    pending: int  # still tried
    retrying: int  # of those, the ones whose last attempt failed
    failed: int  # given up (FAILED)
    oldest_pending_seconds: float


async def outbox_counts(db: Database) -> OutboxCounts:
    """How many messages wait (and of those, how many failed at least once), how many were given
    up, and for how long the oldest waiting one has waited."""
    waiting = pending()
    async with db.read() as session:
        row = (
            await session.execute(
                sa.select(
                    sa.func.count(sa.case((waiting, 1))),
                    sa.func.count(sa.case((sa.and_(waiting, col(OutboxMessage.attempts) > 0), 1))),
                    sa.func.count(sa.case((col(OutboxMessage.failed_at).is_not(None), 1))),
                    sa.func.min(sa.case((waiting, col(OutboxMessage.created_at)))),
                ).where(col(OutboxMessage.sent_at).is_(None))
            )
        ).one()
    oldest = row[3]
    age = (clock.now() - clock.as_utc(oldest)).total_seconds() if oldest is not None else 0.0
    return OutboxCounts(
        pending=row[0], retrying=row[1], failed=row[2], oldest_pending_seconds=max(age, 0.0)
    )


async def list_messages(
    db: Database, status: OutboxStatus, *, limit: int = 50
) -> list[OutboxMessage]:
    """Messages in one status: pending ones by their next attempt, sent and failed ones newest
    first."""
    query = sa.select(OutboxMessage).limit(limit)
    if status == OutboxStatus.SENT:
        query = query.where(col(OutboxMessage.sent_at).is_not(None)).order_by(
            col(OutboxMessage.sent_at).desc(), col(OutboxMessage.id).desc()
        )
    elif status == OutboxStatus.FAILED:
        query = query.where(col(OutboxMessage.failed_at).is_not(None)).order_by(
            col(OutboxMessage.failed_at).desc(), col(OutboxMessage.id).desc()
        )
    else:
        query = query.where(pending()).order_by(
            col(OutboxMessage.next_attempt_at), col(OutboxMessage.id)
        )
    async with db.read() as session:
        return list((await session.scalars(query)).all())


async def retry_failed(db: Database, message_id: int) -> OutboxMessage:
    """Put one FAILED message back: it is due at once (the senders' timer finds it within
    seconds), with a fresh count of attempts and a fresh FAIL_AFTER; its last error stays until
    the next attempt. NotFound for an unknown id, Conflict for a message that is not FAILED."""
    async with db.transaction() as session:
        # Guarded: of two operators putting it back at once, one does; the other is told.
        put_back = await session.scalar(
            sa.update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.failed_at).is_not(None))
            .values(
                failed_at=None,
                failing_since=None,
                attempts=0,
                next_attempt_at=clock.now(),
                claimed_until=None,
            )
            .returning(col(OutboxMessage.id))
        )
        message = await session.get(OutboxMessage, message_id, populate_existing=True)
        if message is None:
            raise NotFound.of("outbox message", message_id)
        if put_back is None:
            state = "was sent already" if message.sent_at is not None else "is still being tried"
            raise Conflict(f"Outbox message {message_id} is not FAILED: it {state}.")
    return message
