from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach_graph.fields import enum_column, foreign_key, utc_column


class WebhookEvent(StrEnum):
    """What a coach's endpoint may be told of; the value is the payload's `type`."""

    SESSION_BOOKED = "session.booked"
    SESSION_RESCHEDULED = "session.rescheduled"
    SESSION_CANCELLED = "session.cancelled"
    SESSION_STATUS_CHANGED = "session.status_changed"
    MESSAGE_RECEIVED = "message.received"
    ALERT_RAISED = "alert.raised"
    CONSENT_CHANGED = "consent.changed"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"  # not delivered yet and still tried
    DELIVERED = "DELIVERED"  # the endpoint answered 2xx
    FAILED = "FAILED"  # given up: failing for RETRY_FOR, or its endpoint was disabled


class WebhookEndpoint(SQLModel, table=True):
    """A coach's HTTPS endpoint and the events it is told of. `secret` signs every delivery
    (`whsec_` + base64); `failing_since` is the first failed attempt since its last success,
    the clock of disabling it."""

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = foreign_key("user_account.id")
    url: str = Field(max_length=2000)
    # The WebhookEvent names (e.g. "SESSION_BOOKED"), comma-separated.
    events: str = Field(max_length=400)
    secret: str = Field(max_length=100)
    active: bool = Field(default=True)
    disabled_reason: str | None = Field(default=None, max_length=500)
    failing_since: datetime | None = utc_column(nullable=True)
    created_at: datetime = utc_column(now=True)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint (the outbox row, written in the change's transaction) and
    where its delivery stands. `message_id` is the `webhook-id` header (the receiver's
    idempotency key, the same on every attempt); `body` is the exact JSON signed and sent."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # The sender's claim: pending and due.
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        # An endpoint's deliveries, newest first.
        sa.Index("ix_webhook_delivery_endpoint_created", "endpoint_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=40, unique=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", ondelete="CASCADE")
    event: str = enum_column(length=32)
    body: str = Field(sa_type=sa.Text)
    status: str = enum_column(DeliveryStatus.PENDING.value, length=16)
    attempts: int = Field(default=0)
    last_status_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = utc_column(now=True)
    # Retried until then (three days after it was queued or put back by `redeliverWebhook`).
    retry_until: datetime = utc_column()
    next_attempt_at: datetime | None = utc_column(nullable=True)
    # A sender claims a batch until then, so two senders never send one delivery at once.
    claimed_until: datetime | None = utc_column(nullable=True)
    delivered_at: datetime | None = utc_column(nullable=True)
