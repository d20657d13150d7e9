from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach_graph.fields import enum_column, foreign_key, utc_column


class NotificationKind(StrEnum):
    SESSION_BOOKED = "SESSION_BOOKED"
    SESSION_RESCHEDULED = "SESSION_RESCHEDULED"
    SESSION_CANCELLED = "SESSION_CANCELLED"
    SESSION_REMINDER = "SESSION_REMINDER"
    RESCHEDULE_REQUESTED = "RESCHEDULE_REQUESTED"
    RESCHEDULE_ANSWERED = "RESCHEDULE_ANSWERED"
    REVIEW_REQUESTED = "REVIEW_REQUESTED"
    MESSAGE_RECEIVED = "MESSAGE_RECEIVED"
    WAITLIST_SLOT_OPENED = "WAITLIST_SLOT_OPENED"
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"


class Notification(SQLModel, table=True):
    """One thing the product told one person (their inbox); `read_at` once they read it."""

    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_recipient_unread", "recipient_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = foreign_key("user_account.id")
    kind: str = enum_column(length=32)
    title: str = Field(max_length=300)
    body: str = Field(sa_type=sa.Text)
    session_id: int | None = foreign_key("coaching_session.id", nullable=True, ondelete="SET NULL")
    # The conversation a MESSAGE_RECEIVED notification gathers (one unread one per conversation
    # and recipient), and when its latest mail was queued (mails of a conversation are spaced).
    conversation_id: int | None = foreign_key("coach_client.id", nullable=True, ondelete="SET NULL")
    mailed_at: datetime | None = utc_column(nullable=True)
    created_at: datetime = utc_column(now=True)
    read_at: datetime | None = utc_column(nullable=True)
