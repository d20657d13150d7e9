from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach_graph.fields import enum_column, foreign_key, utc_column


class MessageKind(StrEnum):
    SESSION_BOOKED = "SESSION_BOOKED"
    REMINDER_24H = "REMINDER_24H"
    REMINDER_1H = "REMINDER_1H"
    SESSION_RESCHEDULED = "SESSION_RESCHEDULED"
    SESSION_CANCELLED = "SESSION_CANCELLED"
    RESCHEDULE_ANSWERED = "RESCHEDULE_ANSWERED"
    REVIEW_INVITATION = "REVIEW_INVITATION"
    RESCHEDULE_REQUESTED = "RESCHEDULE_REQUESTED"
    MESSAGE_RECEIVED = "MESSAGE_RECEIVED"
    WAITLIST_SLOT_OPENED = "WAITLIST_SLOT_OPENED"
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"


class OutboxMessage(SQLModel, table=True):
    """A message waiting to be delivered, delivered (`sent_at`), or given up (`failed_at`: the
    mail server refused it for good, or it failed for FAIL_AFTER; retried only on request).

    Reminders carry `session_id` and the start time they announce (`for_starts_at`); the unique
    key on (session, kind, start) makes queuing one an insert-if-absent, so it happens once however
    many workers or restarts try. Other messages leave `for_starts_at` null (never conflicting).
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.UniqueConstraint(
            "session_id", "kind", "for_starts_at", name="uq_outbox_message_session_kind_start"
        ),
        # The sender's claim: not sent, not given up, due.
        sa.Index("ix_outbox_message_unsent", "sent_at", "failed_at", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int | None = foreign_key("user_account.id", nullable=True, ondelete="SET NULL")
    session_id: int | None = foreign_key("coaching_session.id", nullable=True)
    kind: str = enum_column(length=32)
    for_starts_at: datetime | None = utc_column(nullable=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = utc_column(now=True)
    next_attempt_at: datetime = utc_column(now=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    # The first failed attempt since it was queued (or put back): the clock of FAIL_AFTER.
    failing_since: datetime | None = utc_column(nullable=True)
    failed_at: datetime | None = utc_column(nullable=True)
    # A sender claims a batch until then, so two senders never deliver the same message.
    claimed_until: datetime | None = utc_column(nullable=True)
    sent_at: datetime | None = utc_column(nullable=True)
