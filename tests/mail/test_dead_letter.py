"""Mail the SMTP server refuses for good (5xx), or that keeps failing for 3 days, is given up:
FAILED with its last error, no longer tried, counted by `coach-graph outbox` and /metrics, and
sent again only by `coach-graph outbox retry ID` (SPEC "Messages and notifications")."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.cli import _outbox, _outbox_retry
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.errors import Conflict, NotFound
from coach_graph.outbox.models import OutboxMessage
from coach_graph.outbox.service import BACKOFF_MAX, FAIL_AFTER, drain
from coach_graph.outbox.status import outbox_counts, retry_failed
from tests.conftest import T0
from tests.mail.conftest import Mailbox, SmtpTestServer, smtp_sender
from tests.sessions.conftest import Scene, at
from tests.test_cli import coach_graph

REFUSED = "rita@refused.test"  # 550: the mailbox does not exist
DEFERRED = "larry@deferred.test"  # 451: try again later


class PickyMailbox(Mailbox):
    """Answers RCPT TO with a fixed refusal for some addresses; counts every RCPT it sees."""

    def __init__(self) -> None:
        super().__init__()
        self.refusals: dict[str, str] = {
            REFUSED: "550 5.1.1 No such mailbox here",
            DEFERRED: "451 4.3.0 Mailbox busy, try again later",
        }
        self.asked: Counter[str] = Counter()
        self._asked_lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        with self._asked_lock:
            self.asked[address] += 1
        refusal = self.refusals.get(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def picky() -> Iterator[SmtpTestServer]:
    server = SmtpTestServer(PickyMailbox())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def mailbox(server: SmtpTestServer) -> PickyMailbox:
    assert isinstance(server.mailbox, PickyMailbox)
    return server.mailbox


async def _message_to(db: Database, client_id: int | None) -> OutboxMessage:
    async with db.session() as session:
        found = await session.scalar(
            sa.select(OutboxMessage).where(col(OutboxMessage.recipient_id) == client_id)
        )
    assert found is not None
    return found


async def _metric(http: httpx.AsyncClient, name: str) -> float:
    for line in (await http.get("/metrics")).text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not on /metrics")


async def test_a_5xx_fails_at_once_a_4xx_retries_until_3_days_and_retry_sends_it_again(
    scene: Scene,
    db: Database,
    picky: SmtpTestServer,
    manual_clock: clock.ManualClock,
    settings: Settings,
    http: httpx.AsyncClient,
) -> None:
    refused = await scene.practice.client(scene.coach, "Rita", email=REFUSED)
    deferred = await scene.practice.client(scene.coach, "Larry", email=DEFERRED)
    await scene.book(at(3, 9), 60)
    await scene.book(at(3, 11), 60, c=str(refused.id))
    await scene.book(at(3, 13), 60, c=str(deferred.id))
    sender = smtp_sender(db, picky)

    report = await drain(db, sender)
    assert (report.sent, report.failed, report.given_up) == (1, 2, 1)
    dead = await _message_to(db, refused.id)
    assert dead.failed_at == T0 and dead.attempts == 1
    assert dead.last_error is not None and "550 5.1.1 No such mailbox here" in dead.last_error
    assert "refused" in dead.last_error
    later = await _message_to(db, deferred.id)
    assert later.failed_at is None and later.failing_since == T0
    assert later.last_error is not None and "451 4.3.0" in later.last_error

    # The 4xx is retried with backoff; the 5xx is never tried again.
    for _ in range(3):
        manual_clock.advance(BACKOFF_MAX)
        assert await drain(db, sender) == type(report)(0, 1, 0)
    manual_clock.set(T0 + FAIL_AFTER - timedelta(minutes=1))
    assert (await drain(db, sender)).given_up == 0
    assert (await _message_to(db, deferred.id)).failed_at is None
    given_up_at = manual_clock.advance(BACKOFF_MAX)  # the next retry falls after the 3 days
    assert await drain(db, sender) == type(report)(0, 1, 1)
    later = await _message_to(db, deferred.id)
    assert later.failed_at == given_up_at and later.attempts == 6
    assert mailbox(picky).asked[REFUSED] == 1 and mailbox(picky).asked[DEFERRED] == 6
    manual_clock.advance(timedelta(days=1))
    assert (await drain(db, sender)).handled == 0  # FAILED mail is left alone
    assert mailbox(picky).asked[DEFERRED] == 6

    counts = await outbox_counts(db)
    assert (counts.pending, counts.retrying, counts.failed) == (0, 0, 2)
    assert await _metric(http, "coach_graph_outbox_failed") == 2
    assert await _metric(http, "coach_graph_outbox_pending") == 0
    listing = await _outbox(settings, "failed", 50)
    assert (
        f"{dead.id:>6}  SESSION_BOOKED" in listing and f"{later.id:>6}  SESSION_BOOKED" in listing
    )
    assert "550 5.1.1" in listing and "451 4.3.0" in listing
    assert "2 failed shown; waiting: 0 (0 after a failed attempt); failed: 2" in listing

    # The mailbox exists now: the operator puts the refused mail back and it leaves.
    mailbox(picky).refusals.clear()
    assert dead.id is not None
    said = await _outbox_retry(settings, dead.id)
    assert said == f"outbox message {dead.id} (SESSION_BOOKED) will be sent again"
    assert (await outbox_counts(db)).pending == 1
    assert await drain(db, sender) == type(report)(1, 0, 0)
    [mail] = [
        m for m in await picky.mailbox.wait_for(2) if m["To"].addresses[0].addr_spec == REFUSED
    ]
    assert mail["Message-ID"] == f"<outbox-{dead.id}@brightpath.test>"
    assert (await _message_to(db, refused.id)).sent_at is not None
    assert (await outbox_counts(db)).failed == 1  # the other one stays FAILED until put back
    assert await _metric(http, "coach_graph_outbox_failed") == 1

    # Putting back a mail that is not FAILED, or one that does not exist, is refused.
    with pytest.raises(Conflict, match="not FAILED: it was sent already"):
        await _outbox_retry(settings, dead.id)
    with pytest.raises(NotFound, match="No outbox message with id 999999"):
        await _outbox_retry(settings, 999999)


async def test_a_mail_server_unreachable_for_3_days_fails_the_mail(
    scene: Scene, db: Database, smtp_server: SmtpTestServer, manual_clock: clock.ManualClock
) -> None:
    smtp_server.stop()
    await scene.book(at(3, 9), 60)
    sender = smtp_sender(db, smtp_server)
    for moment in (T0, T0 + timedelta(days=1), T0 + timedelta(days=2, hours=23)):
        manual_clock.set(moment)
        assert (await drain(db, sender)).given_up == 0
    manual_clock.set(T0 + FAIL_AFTER)
    assert (await drain(db, sender)).given_up == 1
    [message] = await _all(db)
    assert message.failed_at == T0 + FAIL_AFTER and message.attempts == 4
    assert (
        message.last_error is not None and "DeliveryUnavailable: cannot reach" in message.last_error
    )
    # The server comes back: the FAILED mail is not sent by itself.
    smtp_server.start()
    manual_clock.advance(timedelta(hours=1))
    assert (await drain(db, sender)).handled == 0
    # Put back, it gets a fresh 3 days and leaves.
    assert message.id is not None
    await retry_failed(db, message.id)
    assert (await drain(db, sender)).sent == 1
    assert len(await smtp_server.mailbox.wait_for(1)) == 1


async def _all(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        return list((await session.scalars(sa.select(OutboxMessage))).all())


async def test_two_senders_at_once_try_a_refused_mail_once_and_deliver_the_rest_once(
    scene: Scene, db: Database, picky: SmtpTestServer, database_url: str
) -> None:
    refused = await scene.practice.client(scene.coach, "Rita", email=REFUSED)
    for day in (3, 4, 7):
        for hour in (9, 11, 13):
            await scene.book(at(day, hour), 60)
        await scene.book(at(day, 15), 60, c=str(refused.id))
    other_worker = Database(database_url)
    try:
        reports = await asyncio.gather(
            drain(db, smtp_sender(db, picky), batch=2),
            drain(other_worker, smtp_sender(other_worker, picky), batch=2),
        )
    finally:
        await other_worker.dispose()
    # A batch with a failure ends a drain: run until nothing is due.
    while (await drain(db, smtp_sender(db, picky))).handled:
        pass
    assert sum(r.given_up for r in reports) >= 1
    assert mailbox(picky).asked[REFUSED] == 3  # each of the three refused mails tried once
    mails = await picky.mailbox.wait_for(9)
    await asyncio.sleep(0.2)  # anything extra would have arrived by now
    ids = [m["Message-ID"] for m in picky.mailbox.mails]
    assert len(mails) == 9 and len(ids) == len(set(ids)) == 9
    counts = await outbox_counts(db)
    assert (counts.pending, counts.failed) == (0, 3)


async def test_two_operators_putting_one_mail_back_at_once_one_succeeds(
    scene: Scene, db: Database, picky: SmtpTestServer
) -> None:
    refused = await scene.practice.client(scene.coach, "Rita", email=REFUSED)
    await scene.book(at(3, 11), 60, c=str(refused.id))
    assert (await drain(db, smtp_sender(db, picky))).given_up == 1
    [message] = await _all(db)
    assert message.id is not None
    results = await asyncio.gather(
        retry_failed(db, message.id), retry_failed(db, message.id), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "OutboxMessage"]
    [back] = await _all(db)
    assert (back.failed_at, back.failing_since, back.attempts) == (None, None, 0)


async def test_the_retry_command_exits_non_zero_for_an_unknown_or_pending_mail(
    scene: Scene, db: Database, database_url: str, picky: SmtpTestServer
) -> None:
    refused = await scene.practice.client(scene.coach, "Rita", email=REFUSED)
    await scene.book(at(3, 9), 60)  # sent
    await scene.book(at(3, 11), 60, c=str(refused.id))  # FAILED
    await drain(db, smtp_sender(db, picky))
    await scene.book(at(3, 13), 60)  # pending: not drained yet
    by_recipient = {m.recipient_id: m for m in await _all(db) if m.sent_at is None}
    pending = next(m for m in by_recipient.values() if m.failed_at is None)
    dead = by_recipient[refused.id]

    unknown = await coach_graph(database_url, "outbox", "retry", "999999")
    assert unknown.code != 0 and "No outbox message with id 999999" in unknown.err
    waiting = await coach_graph(database_url, "outbox", "retry", str(pending.id))
    assert waiting.code != 0 and "is not FAILED: it is still being tried" in waiting.err
    not_a_number = await coach_graph(database_url, "outbox", "retry", "abc")
    assert not_a_number.code != 0 and "invalid int value" in not_a_number.err
    status = await coach_graph(database_url, "outbox", "--status", "failed")
    assert status.code == 0 and "1 failed shown" in status.out and "failed: 1" in status.out
    put_back = await coach_graph(database_url, "outbox", "retry", str(dead.id))
    assert put_back.code == 0, put_back.err
    assert f"outbox message {dead.id} (SESSION_BOOKED) will be sent again" in put_back.out
    assert (await outbox_counts(db)).failed == 0
