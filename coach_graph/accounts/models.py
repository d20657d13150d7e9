from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach_graph.fields import enum_column, foreign_key, utc_column
from coach_graph.search import key_column, sort_key_column


class Role(StrEnum):
    COACH = "COACH"
    CLIENT = "CLIENT"


class User(SQLModel, table=True):
    """A coach or a client. E-mail addresses are stored lower-case and are unique."""

    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    role: str = enum_column(index=True)
    email: str = Field(max_length=320, unique=True, index=True)
    name: str | None = Field(default=None, max_length=200)
    password_hash: str = Field(max_length=255)
    time_zone: str = Field(default="UTC", max_length=64)
    avatar_url: str | None = Field(default=None, max_length=500)
    is_premium: bool = Field(default=False)
    created_at: datetime = utc_column(now=True)
    # Updated when a client's token is used, at most once a minute.
    last_active_at: datetime | None = utc_column(nullable=True)
    # Name and e-mail, folded for the case- and accent-insensitive search (search.py).
    search_key: str = key_column("name", "email")
    # The name (else the e-mail), folded: what lists of people sort by (search.py).
    sort_key: str = sort_key_column("name", "email")


class AuthToken(SQLModel, table=True):
    """A bearer token, stored only as its SHA-256 hash."""

    __tablename__ = "auth_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = foreign_key("user_account.id")
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = utc_column(now=True)
    expires_at: datetime = utc_column()
    revoked_at: datetime | None = utc_column(nullable=True)


class RateEvent(SQLModel, table=True):
    """One counted attempt (e.g. a failed login) in a throttle's bucket, forgotten once expired.
    The bucket is the throttle's name and a hash of its key (account and client address)."""

    __tablename__ = "rate_event"
    __table_args__ = (sa.Index("ix_rate_event_bucket_expires_at", "bucket", "expires_at"),)

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=100)
    expires_at: datetime = utc_column(index=True)
