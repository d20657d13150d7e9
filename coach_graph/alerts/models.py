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
    the unique constraint keeps at most one alert per (coach, client, category, cause), so the
    evaluator can run any number of times, in any number of workers, without duplicates.
    """

    __tablename__ = "alert"
    __table_args__ = (
        sa.UniqueConstraint("coach_id", "client_id", "category", "cause", name="uq_alert_cause"),
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
