"""What became of a batch's attempts: each delivery DELIVERED, retried after a backoff with
jitter, or FAILED three days after it was queued; and an endpoint whose attempts all failed for
three days turned off, its pending deliveries FAILED and its coach told (WEBHOOK_DISABLED)."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock
from coach_graph.db import Database
from coach_graph.notifications.service import notify
from coach_graph.outbox.models import MessageKind
from coach_graph.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from coach_graph.webhooks.queue import DISABLED_REASON

log = logging.getLogger("coach_graph.webhooks")

# Retries wait 15 s, 30 s, 1 min, ... doubling, at most 6 h (less a random part of up to half).
BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_MAX = timedelta(hours=6)
# An endpoint whose attempts all failed for this long is disabled.
DISABLE_AFTER = timedelta(days=3)


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait before retry number `attempts`: between half the ceiling and the ceiling."""
    ceiling: timedelta = min(BACKOFF_BASE * (2 ** min(max(attempts - 1, 0), 20)), BACKOFF_MAX)
    wait: timedelta = ceiling * (0.5 + 0.5 * (rng or random).random())
    return wait


@dataclass(frozen=True)
class Outcome:
    delivery: WebhookDelivery
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class SendReport:
    delivered: int
    failed: int  # failed attempts (retried later or given up)
    given_up: int = 0

    @property
    def handled(self) -> int:
        return self.delivered + self.failed


_OUTCOME = (
    sa.update(WebhookDelivery)
    .where(col(WebhookDelivery.id) == sa.bindparam("delivery_id"))
    .values(
        attempts=sa.bindparam("attempts"),
        last_status_code=sa.bindparam("last_status_code"),
        last_error=sa.bindparam("last_error"),
        status=sa.bindparam("status"),
        delivered_at=sa.bindparam("delivered_at"),
        next_attempt_at=sa.bindparam("next_attempt_at"),
        claimed_until=None,
    )
)


async def record_outcomes(db: Database, outcomes: list[Outcome]) -> SendReport:
    """Every outcome of a batch in one transaction (one statement for the deliveries; a row
    deleted meanwhile with its webhook is simply not there to update)."""
    now = clock.now()
    changes: list[dict[str, object]] = []
    succeeded: set[int] = set()
    failing: set[int] = set()
    given_up = 0
    for outcome in outcomes:
        delivery = outcome.delivery
        change: dict[str, object] = {
            "delivery_id": delivery.id,
            "attempts": delivery.attempts + 1,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
            "status": DeliveryStatus.PENDING.value,
            "delivered_at": None,
            "next_attempt_at": None,
        }
        if outcome.delivered:
            succeeded.add(delivery.endpoint_id)
            change |= {"status": DeliveryStatus.DELIVERED.value, "delivered_at": now}
        else:
            failing.add(delivery.endpoint_id)
            if now >= clock.as_utc(delivery.retry_until):
                given_up += 1
                change["status"] = DeliveryStatus.FAILED.value
                log.warning("webhook delivery %s FAILED: %s", delivery.message_id, outcome.error)
            else:
                change["next_attempt_at"] = now + backoff(delivery.attempts + 1)
        changes.append(change)
    async with db.transaction() as session:
        connection = await session.connection()
        await connection.execute(_OUTCOME, changes)
        if succeeded:
            await session.execute(
                sa.update(WebhookEndpoint)
                .where(col(WebhookEndpoint.id).in_(succeeded))
                .values(failing_since=None)
            )
        still_failing = failing - succeeded
        if still_failing:
            await session.execute(
                sa.update(WebhookEndpoint)
                .where(
                    col(WebhookEndpoint.id).in_(still_failing),
                    col(WebhookEndpoint.failing_since).is_(None),
                )
                .values(failing_since=now)
            )
            given_up += await _disable_failing(session, still_failing, now)
    delivered = sum(1 for o in outcomes if o.delivered)
    return SendReport(delivered, len(outcomes) - delivered, given_up)


async def _disable_failing(session: AsyncSession, endpoint_ids: set[int], now: datetime) -> int:
    """Disable the endpoints among `endpoint_ids` failing for DISABLE_AFTER, FAIL their pending
    deliveries and tell their coaches; how many deliveries were given up that way."""
    disabled = (
        await session.scalars(
            sa.update(WebhookEndpoint)
            .where(
                col(WebhookEndpoint.id).in_(endpoint_ids),
                col(WebhookEndpoint.active),
                col(WebhookEndpoint.failing_since) <= now - DISABLE_AFTER,
            )
            .values(
                active=False,
                disabled_reason=DISABLED_REASON,
            )
            .returning(WebhookEndpoint)
        )
    ).all()
    if not disabled:
        return 0
    ids = [e.id for e in disabled]
    given_up = (
        await session.execute(
            sa.update(WebhookDelivery)
            .where(
                col(WebhookDelivery.endpoint_id).in_(ids),
                col(WebhookDelivery.status) == DeliveryStatus.PENDING.value,
            )
            .values(status=DeliveryStatus.FAILED.value, next_attempt_at=None, claimed_until=None)
        )
    ).rowcount  # type: ignore[attr-defined]
    for endpoint in disabled:
        log.warning("webhook %s disabled: every delivery failed for 3 days", endpoint.id)
        await notify(
            session,
            endpoint.coach_id,
            MessageKind.WEBHOOK_DISABLED,
            {"webhook_id": endpoint.id},
            title="A webhook was turned off",
            body=f"Every delivery to {endpoint.url} failed for 3 days, so it was turned off. "
            "Fix the endpoint, then turn it back on.",
        )
    return int(given_up or 0)
