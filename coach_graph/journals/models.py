"""Journal entries and the summaries that consolidate them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach_graph.fields import enum_column, foreign_key, utc_column

EMOTIONS = ("joy", "trust", "fear", "surprise", "sadness", "disgust", "anger", "anticipation")


class AnalysisStatus(StrEnum):
    PENDING = "PENDING"
    ANALYSED = "ANALYSED"
    FAILED = "FAILED"


class Emotion(StrEnum):
    """The eight basic emotions; the value is the name of the entry's score column."""

    JOY = "joy"
    TRUST = "trust"
    FEAR = "fear"
    SURPRISE = "surprise"
    SADNESS = "sadness"
    DISGUST = "disgust"
    ANGER = "anger"
    ANTICIPATION = "anticipation"


class Sentiment(StrEnum):
    POSITIVE = "POSITIVE"
    NEGATIVE = "NEGATIVE"
    NEUTRAL = "NEUTRAL"


class JournalSummary(SQLModel, table=True):
    """A consolidation of a client's analysed entries that no earlier summary covered."""

    __tablename__ = "journal_summary"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = foreign_key("user_account.id")
    created_at: datetime = utc_column(now=True)
    journal_count: int
    summary: str = Field(sa_type=sa.Text)
    emotion_trend: str = Field(sa_type=sa.Text)
    period_start: datetime = utc_column()
    period_end: datetime = utc_column()


class JournalEntry(SQLModel, table=True):
    """A client's journal entry. Analysis fields stay null until the analyser has run."""

    __tablename__ = "journal_entry"
    __table_args__ = (
        sa.Index("ix_journal_entry_client_created", "client_id", "created_at"),
        sa.Index("ix_journal_entry_analysis_queue", "analysis_status", "analysis_due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    created_at: datetime = utc_column(now=True)
    content: str = Field(sa_type=sa.Text)
    analysis_status: str = enum_column(AnalysisStatus.PENDING.value, length=16)
    # Analysis queue: when the next attempt may run, how many ran, who holds it until when.
    analysis_attempts: int = Field(default=0)
    analysis_due_at: datetime | None = utc_column(nullable=True)
    analysis_lease_until: datetime | None = utc_column(nullable=True)
    analysis_error: str | None = Field(default=None, max_length=500)
    analysed_at: datetime | None = utc_column(nullable=True)
    # Results.
    sentiment: str | None = Field(default=None, max_length=16)
    sentiment_score: float | None = None
    summary: str | None = Field(default=None, sa_type=sa.Text)
    themes: list[str] | None = Field(default=None, sa_type=sa.JSON)
    joy: float | None = None
    trust: float | None = None
    fear: float | None = None
    surprise: float | None = None
    sadness: float | None = None
    disgust: float | None = None
    anger: float | None = None
    anticipation: float | None = None
    # The summary that covers this entry; an entry is covered by at most one.
    summary_id: int | None = foreign_key("journal_summary.id", nullable=True, ondelete="SET NULL")
