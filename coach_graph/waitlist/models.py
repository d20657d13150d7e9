from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach_graph.fields import foreign_key, utc_column


class WaitlistEnd(StrEnum):
    """Why an entry left the waitlist (an entry whose range passed simply expired)."""

    BOOKED = "BOOKED"  # its client booked with the coach inside the range
    LEFT = "LEFT"  # its client left the waitlist
    REMOVED = "REMOVED"  # the coach removed the client


class WaitlistEntry(SQLModel, table=True):
    """A client waiting for a time of a coach's service in [starts_at, ends_at) (at most 14
    days). Open while `ended_at` is null and the range has not passed."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (
        # The open entries of a coach around a freed time (the fan-out on a cancellation).
        sa.Index("ix_waitlist_entry_coach_open", "coach_id", "ended_at", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = foreign_key("user_account.id")
    client_id: int = foreign_key("user_account.id")
    service_id: int = foreign_key("coaching_service.id")
    starts_at: datetime = utc_column()
    ends_at: datetime = utc_column()
    created_at: datetime = utc_column(now=True)
    ended_at: datetime | None = utc_column(nullable=True)
    end_reason: str | None = Field(default=None, max_length=16)
