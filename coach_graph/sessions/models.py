from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach_graph.fields import enum_column, foreign_key, utc_column


class SessionStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


class RecurrenceFrequency(StrEnum):
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class RescheduleRequestStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


class CoachingService(SQLModel, table=True):
    """Something a coach offers: a duration and a price (0 for the free intro call)."""

    __tablename__ = "coaching_service"

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = foreign_key("user_account.id")
    name: str = Field(max_length=200)
    duration_minutes: int
    price_minor: int
    currency: str = Field(max_length=3)
    # An archived service takes no new bookings; its past sessions keep it.
    archived_at: datetime | None = utc_column(nullable=True)
    created_at: datetime = utc_column(now=True)


class Calendar(SQLModel, table=True):
    """A coach's calendar; sessions may be filed on one."""

    __tablename__ = "coaching_calendar"

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = foreign_key("user_account.id")
    name: str = Field(max_length=200)
    created_at: datetime = utc_column(now=True)


class AvailabilityWindow(SQLModel, table=True):
    """Weekly hours in the coach's time zone: weekday 0 = Monday, minutes after local midnight."""

    __tablename__ = "availability_window"

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = foreign_key("user_account.id")
    weekday: int
    start_minute: int
    end_minute: int


class CoachSchedule(SQLModel, table=True):
    """One row per coach, updated first by every write that places a session, so concurrent
    bookings of one coach queue up (a row lock on PostgreSQL, the write lock on SQLite) and the
    no-overlap check cannot race."""

    __tablename__ = "coach_schedule"

    coach_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    version: int = Field(default=0)


class CoachingSession(SQLModel, table=True):
    """One coaching session. `client_id` is null once the client was deleted."""

    __tablename__ = "coaching_session"
    __table_args__ = (
        sa.Index("ix_coaching_session_coach_starts", "coach_id", "starts_at"),
        # Client first: a client's history and statistics (with or without the coach) use it.
        sa.Index("ix_coaching_session_client_coach_starts", "client_id", "coach_id", "starts_at"),
        sa.Index("ix_coaching_session_coach_status_starts", "coach_id", "status", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    client_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", nullable=True
    )
    service_id: int = Field(foreign_key="coaching_service.id", ondelete="RESTRICT", index=True)
    calendar_id: int | None = foreign_key(
        "coaching_calendar.id", nullable=True, ondelete="SET NULL"
    )
    starts_at: datetime = utc_column()
    ends_at: datetime = utc_column()
    duration_minutes: int
    status: str = enum_column(SessionStatus.CONFIRMED.value, length=16)
    customer_notes: str | None = Field(default=None, sa_type=sa.Text)
    private_notes: str | None = Field(default=None, sa_type=sa.Text)
    cancellation_reason: str | None = Field(default=None, sa_type=sa.Text)
    price_minor: int
    currency: str = Field(max_length=3)
    rating: int | None = None
    created_at: datetime = utc_column(now=True)
    # When the session got its current start time (booked or moved): a reminder whose moment
    # lies before this is not sent (a session booked 5 hours ahead gets no 24-hour reminder).
    scheduled_at: datetime = utc_column(now=True)
    # The iCalendar SEQUENCE of the session's invitation: 0 when booked, one more on each move
    # and on cancellation, so calendar programs apply the newest mail about it.
    invite_sequence: int = Field(default=0)
    # The session's video-call room: 128 random bits, kept across moves.
    meeting_room: str = Field(default_factory=lambda: new_meeting_room(), max_length=64)
    # What the cancellation policy charged, stored when it was charged (the policy may change).
    fee_minor: int = Field(default=0)
    late_cancellation: bool = Field(default=False)
    # Booked by the client themselves (bookMySession) rather than by the coach.
    self_booked: bool = Field(default=False)
    # The recurring series this session is an occurrence of (bookSeries), if any.
    series_id: int | None = foreign_key("session_series.id", nullable=True, ondelete="SET NULL")


def new_meeting_room() -> str:
    """A meeting room nobody can guess: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


class CancellationPolicy(SQLModel, table=True):
    """A coach's cancellation policy; a coach without a row has the defaults."""

    __tablename__ = "cancellation_policy"

    coach_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    notice_hours: int = Field(default=24)
    late_fee_percent: int = Field(default=0)


class RescheduleRequest(SQLModel, table=True):
    """A client's request to move a session to another time."""

    __tablename__ = "reschedule_request"
    __table_args__ = (
        # One pending request per session, kept by the database itself.
        sa.Index(
            "uq_reschedule_request_pending",
            "session_id",
            unique=True,
            sqlite_where=sa.text("status = 'PENDING'"),
            postgresql_where=sa.text("status = 'PENDING'"),
        ),
        sa.Index("ix_reschedule_request_status_expires", "status", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = foreign_key("coaching_session.id")
    coach_id: int = foreign_key("user_account.id")
    client_id: int | None = foreign_key("user_account.id", nullable=True, ondelete="SET NULL")
    original_starts_at: datetime = utc_column()
    proposed_starts_at: datetime = utc_column()
    reason: str | None = Field(default=None, sa_type=sa.Text)
    status: str = enum_column(RescheduleRequestStatus.PENDING.value, length=16)
    requested_at: datetime = utc_column(now=True)
    expires_at: datetime = utc_column()
    responded_at: datetime | None = utc_column(nullable=True)
    response_reason: str | None = Field(default=None, sa_type=sa.Text)


class ReviewRequest(SQLModel, table=True):
    """A coach's invitation to the client to review a session; open until the client rates it."""

    __tablename__ = "review_request"
    __table_args__ = (
        sa.Index(
            "uq_review_request_open",
            "session_id",
            unique=True,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = foreign_key("coaching_session.id")
    created_at: datetime = utc_column(now=True)
    closed_at: datetime | None = utc_column(nullable=True)


class SessionSeries(SQLModel, table=True):
    """A recurring series booked by a coach (bookSeries): its occurrences are ordinary sessions
    pointing at it (`CoachingSession.series_id`)."""

    __tablename__ = "session_series"

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = foreign_key("user_account.id")
    client_id: int | None = foreign_key("user_account.id", nullable=True, ondelete="SET NULL")
    service_id: int = foreign_key("coaching_service.id", ondelete="RESTRICT")
    frequency: str = enum_column(RecurrenceFrequency.WEEKLY.value, length=16)
    interval: int = Field(default=1)
    created_at: datetime = utc_column(now=True)


class SeriesSkip(SQLModel, table=True):
    """An occurrence of a series that was not booked (its time taken or outside availability)."""

    __tablename__ = "session_series_skip"

    id: int | None = Field(default=None, primary_key=True)
    series_id: int = foreign_key("session_series.id")
    starts_at: datetime = utc_column()


class AvailabilityException(SQLModel, table=True):
    """A UTC range where a coach's weekly hours do not hold: time off (`available` false) or
    extra hours (`available` true)."""

    __tablename__ = "availability_exception"
    __table_args__ = (sa.Index("ix_availability_exception_coach_ends", "coach_id", "ends_at"),)

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    starts_at: datetime = utc_column()
    ends_at: datetime = utc_column()
    available: bool
    note: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = utc_column(now=True)


class BookingRules(SQLModel, table=True):
    """A coach's booking rules; a coach without a row has the defaults."""

    __tablename__ = "booking_rules"

    coach_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    minimum_notice_hours: int = Field(default=2)
    booking_window_days: int = Field(default=60)
    buffer_minutes: int = Field(default=0)
