from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach_graph.fields import utc_column


class CalendarFeed(SQLModel, table=True):
    """A person's one calendar feed: only the SHA-256 of its secret is kept (the URL is shown
    once), and the secret's first characters, so the person can tell which URL is live."""

    __tablename__ = "calendar_feed"
    __table_args__ = (sa.Index("uq_calendar_feed_secret_hash", "secret_hash", unique=True),)

    owner_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    secret_hash: str = Field(max_length=64)
    hint: str = Field(max_length=8)
    created_at: datetime = utc_column(now=True)
