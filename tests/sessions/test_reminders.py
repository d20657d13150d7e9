from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import sqlalchemy as sa

from coach_graph import clock
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.outbox.models import OutboxMessage
from coach_graph.outbox.service import LogSender, backoff, backoff_ceiling, send_due
from coach_graph.sessions.reminders import queue_reminders
from tests.sessions.conftest import Scene, at


async def _reminders(db: Database) -> list[tuple[int | None, str, str]]:
    async with db.session() as session:
        rows = await session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind.in_(["REMINDER_24H", "REMINDER_1H"]))  # type: ignore[attr-defined]
            .order_by(OutboxMessage.id)  # type: ignore[arg-type]
        )
        return [(m.recipient_id, m.kind, m.payload["starts_at"]) for m in rows.all()]


async def test_reminders_are_queued_24_hours_and_1_hour_before_exactly_once(
    scene: Scene, db: Database, manual_clock: clock.ManualClock
) -> None:
    await scene.book(at(3, 9), 60)
    manual_clock.set(at(2, 9) - timedelta(minutes=1))
    assert await queue_reminders(db) == 0
    manual_clock.set(at(2, 9))
    assert await queue_reminders(db) == 1
    manual_clock.advance(timedelta(minutes=5))
    assert await queue_reminders(db) == 0  # a later run, or a restart, adds nothing
    manual_clock.set(at(3, 8))
    assert await queue_reminders(db) == 1
    assert await queue_reminders(db) == 0
    starts = "2026-03-05T09:00:00+00:00"
    assert await _reminders(db) == [
        (scene.client.id, "REMINDER_24H", starts),
        (scene.client.id, "REMINDER_1H", starts),
    ]


async def test_two_workers_queuing_at_once_add_each_reminder_once(
    scene: Scene, db: Database, manual_clock: clock.ManualClock
) -> None:
    for hour in (9, 11, 13, 15):
        await scene.book(at(3, hour), 60)
    manual_clock.set(at(2, 16))  # every 24-hour reminder is due
    workers = [Database(db.url), Database(db.url)]
    try:
        for _ in range(3):
            results = await asyncio.gather(*(queue_reminders(w) for w in workers))
            assert sum(results) in (0, 4)
    finally:
        for w in workers:
            await w.dispose()
    assert len(await _reminders(db)) == 4


async def test_a_session_booked_late_gets_only_the_reminders_still_ahead(
    scene: Scene, db: Database, manual_clock: clock.ManualClock
) -> None:
    await scene.book(at(0, 15), 60)  # booked at 10:00 for 15:00 the same day
    manual_clock.set(at(0, 14))
    assert await queue_reminders(db) == 1
    assert [k for _, k, _ in await _reminders(db)] == ["REMINDER_1H"]


async def test_rescheduling_moves_and_cancelling_drops_pending_reminders(
    scene: Scene, db: Database, manual_clock: clock.ManualClock
) -> None:
    moved = (await scene.book(at(2, 9), 60))["id"]
    cancelled = (await scene.book(at(2, 11), 60))["id"]
    manual_clock.set(at(1, 11, 30))
    assert await queue_reminders(db) == 2  # both 24-hour reminders, not sent yet
    await scene.as_coach(
        "mutation($id: ID!) { rescheduleSession(id: $id, startsAt: "
        '"2026-03-05T14:00:00Z") { id } }',
        id=moved,
    )
    await scene.as_coach("mutation($id: ID!) { cancelSession(id: $id) { id } }", id=cancelled)
    assert await _reminders(db) == []
    assert await queue_reminders(db) == 0  # the new time's 24-hour reminder is not due yet
    manual_clock.set(at(2, 14))
    assert await queue_reminders(db) == 1
    assert await _reminders(db) == [(scene.client.id, "REMINDER_24H", "2026-03-05T14:00:00+00:00")]


class FlakySender:
    """Fails the first `failures` deliveries, then records what it sends."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[int | None] = []

    async def send(self, message: OutboxMessage) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("mail server unavailable")
        self.sent.append(message.id)

    async def prepare(self, batch: list[OutboxMessage]) -> None:
        return None

    async def close(self) -> None:
        return None


async def test_the_sender_drains_the_outbox_and_retries_failures_with_backoff(
    scene: Scene, db: Database, manual_clock: clock.ManualClock
) -> None:
    await scene.book(at(2, 9), 60)
    assert (await send_due(db, LogSender())).sent == 1  # the booking's message
    manual_clock.set(at(1, 9))
    assert await queue_reminders(db) == 1
    sender = FlakySender(failures=2)
    first = await send_due(db, sender)
    assert (first.sent, first.failed) == (0, 1)
    assert (await send_due(db, sender)).sent == 0  # not due before its backoff
    manual_clock.advance(backoff_ceiling(1))
    assert (await send_due(db, sender)).failed == 1
    # The jittered wait is at least half the ceiling, at most the ceiling.
    manual_clock.advance(backoff_ceiling(2) / 2 - timedelta(seconds=1))
    assert (await send_due(db, sender)).sent == 0
    manual_clock.advance(backoff_ceiling(2) / 2 + timedelta(seconds=1))
    assert (await send_due(db, sender)).sent == 1
    assert len(sender.sent) == 1
    manual_clock.advance(timedelta(days=1))
    assert (await send_due(db, sender)).sent == 0  # sent once, never again
    async with db.session() as session:
        message = await session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "REMINDER_24H")  # type: ignore[arg-type]
        )
    assert message is not None and message.attempts == 2 and message.sent_at is not None


async def test_the_default_sender_logs_each_message(
    scene: Scene, resources: Resources, manual_clock: clock.ManualClock, caplog: object
) -> None:
    import logging

    import pytest

    assert isinstance(caplog, pytest.LogCaptureFixture)
    await scene.book(at(1, 9), 60)
    await scene.as_coach(
        'mutation($id: ID!) { cancelSession(id: $id, reason: "ill") { id } }',
        id=(await scene.book(at(1, 11), 60))["id"],
    )
    with caplog.at_level(logging.INFO, logger="coach_graph.outbox"):
        report = await send_due(resources.db, LogSender())
    assert report.sent == 3  # two bookings and a cancellation
    assert any(
        r.getMessage().startswith("outbox message SESSION_CANCELLED") for r in caplog.records
    )


def test_backoff_doubles_is_capped_at_five_minutes_and_jittered() -> None:
    assert [backoff_ceiling(n).total_seconds() for n in (1, 2, 3)] == [15, 30, 60]
    assert backoff_ceiling(50) == timedelta(minutes=5)
    rng = random.Random(7)
    waits = [backoff(3, rng).total_seconds() for _ in range(200)]
    assert all(30 <= w <= 60 for w in waits)
    assert len(set(waits)) > 100  # spread, so failures that came together do not return together
