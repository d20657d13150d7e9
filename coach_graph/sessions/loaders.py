"""DataLoader batch functions of the sessions domain: one statement per batch of keys."""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import SQLModel, col

from coach_graph.accounts.models import User
from coach_graph.db import Database
from coach_graph.sessions.models import Calendar, CoachingService, CoachingSession

M = TypeVar("M", bound=SQLModel)


async def _by_id(db: Database, model: type[M], ids: list[int]) -> list[M | None]:
    async with db.session() as session:
        rows = await session.scalars(sa.select(model).where(col(model.id).in_(ids)))  # type: ignore[attr-defined]
        found = {row.id: row for row in rows.all()}  # type: ignore[attr-defined]
    return [found.get(i) for i in ids]


async def load_services(db: Database, ids: list[int]) -> list[CoachingService | None]:
    return await _by_id(db, CoachingService, ids)


async def load_calendars(db: Database, ids: list[int]) -> list[Calendar | None]:
    return await _by_id(db, Calendar, ids)


async def load_users(db: Database, ids: list[int]) -> list[User | None]:
    return await _by_id(db, User, ids)


async def load_sessions(db: Database, ids: list[int]) -> list[CoachingSession | None]:
    """Sessions by id, for objects that were scoped already (a reschedule request's session)."""
    return await _by_id(db, CoachingSession, ids)
