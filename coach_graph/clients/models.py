from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach_graph.fields import enum_column, foreign_key, utc_column


class ConsentStatus(StrEnum):
    GRANTED = "GRANTED"
    PENDING = "PENDING"
    DECLINED = "DECLINED"


class CoachClient(SQLModel, table=True):
    """The link between a coach and a client, with the client's consent for that coach."""

    __tablename__ = "coach_client"
    __table_args__ = (sa.UniqueConstraint("coach_id", "client_id"),)

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = foreign_key("user_account.id")
    client_id: int = foreign_key("user_account.id")
    consent: str = enum_column(ConsentStatus.PENDING.value, length=16)
    consent_updated_at: datetime = utc_column(now=True)
    linked_at: datetime = utc_column(now=True)
