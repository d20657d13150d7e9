"""Queue messages for users and deliver them.

Messages are written inside the transaction of what caused them, and the commit rings the
sender's doorbell (`OUTBOX_DOORBELL`) so delivery starts at once rather than at the next tick.
A sender job drains the outbox: it claims a batch (so two senders never deliver one message
twice), hands each message to the configured `Sender`, marks it sent, or schedules a retry with
exponential backoff and jitter, capped at BACKOFF_MAX so that mail held back while the mail
server was down leaves within minutes of its return. A message the way out refuses for good
(an SMTP 5xx reply), or that has failed for FAIL_AFTER, is given up: FAILED, with its last
error, no longer retried until an operator puts it back (`coach-graph outbox retry ID`); the
operator's view is `outbox.status`.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock
from coach_graph.db import Database, after_commit
from coach_graph.jobs import Doorbell
from coach_graph.outbox.metrics import OUTBOX_METRICS
from coach_graph.outbox.models import MessageKind, OutboxMessage
from coach_graph.outbox.status import outbox_counts, pending

log = logging.getLogger("coach_graph.outbox")

# A claimed batch is the sender's for this long; a crashed sender's batch is retried after it.
CLAIM_TTL = timedelta(minutes=5)
# Retries wait 15 s, 30 s, 1 min, 2 min, 4 min, then 5 min each (less a random part of up to
# half, so messages that failed together do not all come back together).
BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_MAX = timedelta(minutes=5)
# A message failing for this long (connection refused, 4xx replies, timeouts) is given up.
FAIL_AFTER = timedelta(days=3)
# Delivered messages are marked sent in groups of this many (see `send_due`).
MARK_EVERY = 20
# A payload's recipient as they were when the message was queued (see `addressed_to`).
ADDRESSED_TO = "to"
# Rung after the commit of a transaction that queued a message: wakes the sender job.
OUTBOX_DOORBELL = Doorbell()


class DeliveryUnavailable(Exception):
    """The way out is down (the mail server refuses connections): the rest of the batch is not
    tried, it is retried with the same backoff."""


class MessageRefused(Exception):
    """The way out refused this one message: for good (`permanent`, e.g. an SMTP 5xx reply: it
    is marked FAILED at once) or for now (e.g. a 4xx reply: retried with backoff). The text is
    what `last_error` keeps: say what the server said, never a credential."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Sender(Protocol):
    """Delivers one message (e-mail, push, ...); raises when it could not. `prepare` starts a
    batch and `close` ends it (an SMTP sender loads the batch's people and sessions at once and
    keeps one connection for the whole batch)."""

    async def prepare(self, batch: list[OutboxMessage]) -> None:
        """Before a batch: load what its messages need in a few queries."""

    async def send(self, message: OutboxMessage) -> None: ...

    async def close(self) -> None: ...


class LogSender:
    """The default sender: one structured log line per message."""

    async def prepare(self, batch: list[OutboxMessage]) -> None:
        return None

    async def close(self) -> None:
        return None

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
    wake_sender_after_commit(session)


async def enqueue_once(
    session: AsyncSession,
    kind: MessageKind,
    recipient_id: int,
    payload: dict[str, Any],
    *,
    session_id: int,
    for_starts_at: datetime,
) -> bool:
    """Add a message about a session's start time unless one of its kind for that start is
    queued already (an insert-if-absent on the unique key): whether it was new."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = clock.now()
    result = await session.execute(
        insert(OutboxMessage)
        .values(
            kind=kind.value,
            recipient_id=recipient_id,
            session_id=session_id,
            for_starts_at=for_starts_at,
            payload=payload,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["session_id", "kind", "for_starts_at"])
    )
    new = int(getattr(result, "rowcount", 0) or 0) > 0
    if new:
        wake_sender_after_commit(session)
    return new


def addressed_to(name: str | None, email: str, time_zone: str) -> dict[str, Any]:
    """The payload field that keeps a recipient's name, address and time zone with the
    message, for a mail that must reach them after the link to them is gone (a deleted
    client's cancellations): the sender uses it when it finds no account to read them from."""
    return {ADDRESSED_TO: {"name": name or "", "email": email, "time_zone": time_zone}}


def wake_sender_after_commit(session: AsyncSession) -> None:
    """Ring the sender's doorbell once this transaction commits (never for a rollback)."""
    after_commit(session, _ring)


async def _ring() -> None:
    OUTBOX_DOORBELL.ring()


def backoff_ceiling(attempts: int) -> timedelta:
    """The longest wait before retry number `attempts` (1, 2, ...): 15 s doubling, at most
    BACKOFF_MAX."""
    # The exponent is capped before multiplying: 2**50 seconds would overflow a timedelta.
    doublings = min(max(attempts - 1, 0), 20)
    delay: timedelta = BACKOFF_BASE * (2**doublings)
    return min(delay, BACKOFF_MAX)


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait before retry number `attempts`: between half the ceiling and the ceiling."""
    ceiling = backoff_ceiling(attempts)
    return ceiling * (0.5 + 0.5 * (rng or random).random())


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int  # failed attempts (given up or to be retried)
    given_up: int = 0  # of those, the messages now FAILED

    @property
    def handled(self) -> int:
        return self.sent + self.failed


async def _claim(db: Database, now: datetime, limit: int) -> list[OutboxMessage]:
    async with db.transaction() as session:
        due = (
            sa.select(col(OutboxMessage.id))
            .where(
                pending(),
                col(OutboxMessage.next_attempt_at) <= now,
                sa.or_(
                    col(OutboxMessage.claimed_until).is_(None),
                    col(OutboxMessage.claimed_until) < now,
                ),
            )
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(limit)
            # PostgreSQL: rows another sender is claiming are passed over, not waited for and
            # then found taken (its batch would come back empty and end its drain); SQLite's
            # writers take turns, and it renders no FOR UPDATE.
            .with_for_update(skip_locked=True)
        )
        ids = list((await session.scalars(due)).all())
        if not ids:
            return []
        # The same condition again in the UPDATE: a row another sender claimed meanwhile is skipped.
        claimed = await session.scalars(
            sa.update(OutboxMessage)
            .where(
                col(OutboxMessage.id).in_(ids),
                pending(),
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
    """Deliver one batch of the messages that are due; failures are retried later with
    backoff, or given up (FAILED) when refused for good or failing for FAIL_AFTER. Delivered
    messages are marked sent in groups of MARK_EVERY (and whenever the batch ends or fails), so
    a crash re-sends at most that many, with the same Message-ID."""
    now = clock.now()
    failed = given_up = 0
    delivered: list[int] = []
    marked = 0
    batch = await _claim(db, now, limit)
    try:
        if batch:
            await sender.prepare(batch)
        for i, message in enumerate(batch):
            try:
                await sender.send(message)
            except DeliveryUnavailable as exc:
                failed += len(batch) - i
                given_up += await _failed(db, batch[i:], now, exc)
                break
            except Exception as exc:  # any other failure: retried later, or given up
                failed += 1
                given_up += await _failed(db, [message], now, exc)
            else:
                assert message.id is not None
                delivered.append(message.id)
                if len(delivered) - marked >= MARK_EVERY:
                    await _mark_sent(db, delivered[marked:])
                    marked = len(delivered)
    finally:
        try:
            await _mark_sent(db, delivered[marked:])
        finally:  # even when the job is stopped mid-batch: the connection is closed
            await sender.close()
            OUTBOX_METRICS.record(sent=len(delivered), failed=failed, given_up=given_up)
    return SendReport(len(delivered), failed, given_up)


async def _mark_sent(db: Database, ids: list[int]) -> None:
    if not ids:
        return
    async with db.transaction() as session:
        await session.execute(
            sa.update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids))
            .values(sent_at=clock.now(), claimed_until=None)
        )


def _error_text(exc: Exception) -> str:
    """What `last_error` keeps: a refusal's own words (the server's reply), otherwise the kind
    of failure and its message."""
    text = str(exc) if isinstance(exc, MessageRefused) else f"{type(exc).__name__}: {exc}"
    return text[:500]


async def _failed(
    db: Database, messages: list[OutboxMessage], now: datetime, exc: Exception
) -> int:
    """Record a failed attempt of each message: retried after a backoff, or given up (FAILED)
    when refused for good or failing since FAIL_AFTER ago. How many were given up."""
    error = _error_text(exc)
    permanent = isinstance(exc, MessageRefused) and exc.permanent
    given_up = 0
    async with db.transaction() as session:
        for message in messages:
            attempts = message.attempts + 1
            since = clock.as_utc(message.failing_since) if message.failing_since else now
            give_up = permanent or now - since >= FAIL_AFTER
            if give_up:
                given_up += 1
                log.error(
                    "outbox message %s FAILED after %d attempts: %s", message.id, attempts, error
                )
            else:
                log.warning(
                    "outbox message %s failed (attempt %d): %s", message.id, attempts, error
                )
            then = {"failed_at": now} if give_up else {"next_attempt_at": now + backoff(attempts)}
            await session.execute(
                sa.update(OutboxMessage)
                .where(col(OutboxMessage.id) == message.id)
                .values(
                    attempts=attempts,
                    failing_since=since,
                    last_error=error,
                    claimed_until=None,
                    **then,
                )
            )
    return given_up


async def drain(db: Database, sender: Sender, *, batch: int = 200) -> SendReport:
    """Send batches until no due message is left (or a batch failed), then refresh the gauges."""
    sent = failed = given_up = 0
    while True:
        report = await send_due(db, sender, limit=batch)
        sent, failed = sent + report.sent, failed + report.failed
        given_up += report.given_up
        if report.handled < batch or report.failed:
            break
    OUTBOX_METRICS.observe(await outbox_counts(db))
    return SendReport(sent, failed, given_up)
