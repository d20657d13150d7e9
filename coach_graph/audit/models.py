from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach_graph.fields import enum_column, utc_column


class AuditEvent(SQLModel, table=True):
    """One event of a client's audit trail: `actor_id` did `action` to `client_id`'s data at
    `at`. A read is one row per (actor, client, action) and UTC `hour` (its first read in that
    hour); a consent change leaves `hour` null, so each change has its row (NULLs never collide
    in a unique index, on SQLite and PostgreSQL alike)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ux_audit_event_read", "actor_id", "client_id", "action", "hour", unique=True),
        # A client's trail and a reader's trail, newest first; the retention sweep by time.
        sa.Index("ix_audit_event_client_at", "client_id", "at", "id"),
        sa.Index("ix_audit_event_actor_at", "actor_id", "at", "id"),
        sa.Index("ix_audit_event_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    client_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    action: str = enum_column()
    at: datetime = utc_column()
    hour: datetime | None = utc_column(nullable=True)
