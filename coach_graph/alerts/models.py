from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach_graph.fields import enum_column, foreign_key, utc_column


class AlertCategory(StrEnum):
    INACTIVITY = "INACTIVITY"
    HOMEWORK = "HOMEWORK"
    JOURNAL = "JOURNAL"
    RESCHEDULE_REQUEST = "RESCHEDULE_REQUEST"


class AlertSeverity(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


class AlertStatus(StrEnum):
    OPEN = "OPEN"  # waiting for the coach
    DISMISSED = "DISMISSED"  # the coach dismissed it
    RESOLVED = "RESOLVED"  # its cause ended (resolved_at) before the coach dismissed it


class AlertSettings(SQLModel, table=True):
    """A coach's three alert rules. No row means the defaults of SPEC.md."""

    __tablename__ = "alert_settings"

    coach_id: int = Field(primary_key=True, foreign_key="user_account.id", ondelete="CASCADE")
    inactivity_enabled: bool = Field(default=True)
    inactivity_days: int = Field(default=7)
    homework_enabled: bool = Field(default=True)
    homework_days: int = Field(default=1)
    journal_enabled: bool = Field(default=True)
    journal_days: int = Field(default=7)
    updated_at: datetime = utc_column(now=True)


class Alert(SQLModel, table=True):
    """An alert for a coach about one client.

    `cause` names what raised it (an inactivity episode, one homework, one reschedule request):
    the unique index keeps at most one unresolved alert per (coach, client, category, cause), so
    the evaluator can run any number of times, in any number of workers, without duplicates,
    and a cause that comes back after a resolution raises a new alert.
    """

    __tablename__ = "alert"
    __table_args__ = (
        sa.Index(
            "uq_alert_open_cause",
            "coach_id",
            "client_id",
            "category",
            "cause",
            unique=True,
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        ),
        sa.Index("ix_alert_coach_created", "coach_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    # Kept (as null) when the client's account is deleted: the coach's history stays.
    client_id: int | None = foreign_key("user_account.id", nullable=True, ondelete="SET NULL")
    category: str = enum_column(length=24)
    severity: str = enum_column(AlertSeverity.WARNING.value, length=16)
    cause: str = Field(max_length=200)
    # The homework or reschedule request the alert is about, when there is one.
    subject_id: int | None = Field(default=None)
    title: str = Field(max_length=200)
    message: str = Field(sa_type=sa.Text)
    created_at: datetime = utc_column(now=True)
    dismissed_at: datetime | None = utc_column(nullable=True)
    # When its cause ended (the client came back, the homework was done, ...).
    resolved_at: datetime | None = utc_column(nullable=True)

    @property
    def status(self) -> AlertStatus:
        """The coach's dismissal comes first; else RESOLVED once its cause ended; else OPEN."""
        if self.dismissed_at is not None:
            return AlertStatus.DISMISSED
        if self.resolved_at is not None:
            return AlertStatus.RESOLVED
        return AlertStatus.OPEN
