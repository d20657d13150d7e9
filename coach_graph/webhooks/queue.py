"""Queuing deliveries: one row per subscribed endpoint, written in the transaction of the change
that caused it (the webhook outbox: a rolled-back change sends nothing), and the sender woken
once it commits."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock
from coach_graph.db import after_commit
from coach_graph.jobs import Doorbell
from coach_graph.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

# A delivery is retried (backoff with jitter) for this long, then FAILED.
RETRY_FOR = timedelta(days=3)
# What an endpoint turned off by the sender says (`disabledReason`).
DISABLED_REASON = (
    "Every delivery failed for 3 days: turned off. Fix the endpoint, then turn it back on "
    "(updateWebhook with active: true)."
)
# Rung after the commit of a transaction that queued a delivery: wakes the sender job.
WEBHOOK_DOORBELL = Doorbell()
_ENDPOINTS = "coach_graph.webhooks.endpoints"


def new_message_id() -> str:
    """A delivery's `webhook-id`: unique, the same on every attempt of that delivery."""
    return f"msg_{uuid.uuid4().hex}"


MESSAGE_ID = re.compile(r"msg_[0-9a-f]{32}")


def is_message_id(text: str) -> bool:
    """Whether `text` is a delivery id as `new_message_id` makes them (anything else names no
    delivery, and never reaches the database)."""
    return MESSAGE_ID.fullmatch(text) is not None


def body_of(event: WebhookEvent, data: dict[str, Any]) -> str:
    """The Standard Webhooks JSON body: the event's type, when it happened, what it names."""
    return json.dumps(
        {"type": event.value, "timestamp": clock.now().isoformat(), "data": data},
        separators=(",", ":"),
        sort_keys=True,
    )


def subscribed(endpoint: WebhookEndpoint, event: WebhookEvent) -> bool:
    return event.name in endpoint.events.split(",")


async def _endpoints(session: AsyncSession, coach_id: int) -> list[WebhookEndpoint]:
    """The coach's active endpoints, read once per transaction (a run of the alert evaluator
    raises many alerts for one coach)."""
    known: dict[int, list[WebhookEndpoint]] = session.info.setdefault(_ENDPOINTS, {})
    if coach_id not in known:
        rows = await session.scalars(
            sa.select(WebhookEndpoint).where(
                col(WebhookEndpoint.coach_id) == coach_id, col(WebhookEndpoint.active)
            )
        )
        known[coach_id] = list(rows.all())
    return known[coach_id]


async def queue_event(
    session: AsyncSession, coach_id: int, event: WebhookEvent, data: dict[str, Any]
) -> int:
    """Queue `event` for every active endpoint of `coach_id` subscribed to it, inside the
    caller's transaction; how many deliveries were queued."""
    targets = [e for e in await _endpoints(session, coach_id) if subscribed(e, event)]
    if not targets:
        return 0
    now = clock.now()
    body = body_of(event, data)
    for endpoint in targets:
        assert endpoint.id is not None
        session.add(
            WebhookDelivery(
                message_id=new_message_id(),
                endpoint_id=endpoint.id,
                event=event.name,
                body=body,
                status=DeliveryStatus.PENDING.value,
                created_at=now,
                retry_until=now + RETRY_FOR,
                next_attempt_at=now,
            )
        )
    wake_sender_after_commit(session)
    return len(targets)


async def _ring() -> None:
    WEBHOOK_DOORBELL.ring()


def wake_sender_after_commit(session: AsyncSession) -> None:
    """Ring the sender's doorbell once this transaction commits (never for a rollback)."""
    after_commit(session, _ring)
