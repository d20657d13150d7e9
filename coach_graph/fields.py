"""Column helpers shared by every domain's models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from coach_graph import clock
from coach_graph.db import UtcDateTime


def utc_column(*, nullable: bool = False, index: bool = False, now: bool = False) -> Any:
    """A UTC datetime column; `now=True` defaults it to the clock's current time."""
    return Field(
        default_factory=clock.now if now else None,
        sa_type=UtcDateTime,
        nullable=nullable,
        index=index,
    )


def enum_column(default: str | None = None, *, length: int = 24, index: bool = False) -> Any:
    """An enum stored as its string value (portable, and migrations stay simple)."""
    return Field(default=default, sa_type=sa.String(length), nullable=False, index=index)


def foreign_key(target: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> Any:
    return Field(  # type: ignore[call-overload]
        default=None,
        foreign_key=target,
        ondelete=ondelete,
        nullable=nullable,
        index=True,
    )


__all__ = ["datetime", "enum_column", "foreign_key", "utc_column"]
