from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach_graph.fields import foreign_key, utc_column
from coach_graph.search import key_column


class Module(SQLModel, table=True):
    __tablename__ = "module"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    position: int = Field(default=0)
    title_key: str = key_column("title")  # the title folded for search (search.py)


class Lesson(SQLModel, table=True):
    __tablename__ = "lesson"

    id: int | None = Field(default=None, primary_key=True)
    module_id: int = foreign_key("module.id")
    title: str = Field(max_length=200)
    position: int = Field(default=0)
    title_key: str = key_column("title")  # the title folded for search (search.py)


class Homework(SQLModel, table=True):
    """A lesson assigned by a coach to a client."""

    __tablename__ = "homework"
    __table_args__ = (
        sa.Index("ix_homework_coach_client_assigned", "coach_id", "client_id", "assigned_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    client_id: int = foreign_key("user_account.id")
    lesson_id: int = foreign_key("lesson.id")
    assigned_at: datetime = utc_column(now=True)
    expires_at: datetime | None = utc_column(nullable=True)
    completed_at: datetime | None = utc_column(nullable=True)
