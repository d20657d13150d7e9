"""DataLoader batch functions of the sessions domain: one statement per batch of keys."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import SQLModel

from coach_graph.accounts.models import User
from coach_graph.db import Database
from coach_graph.prepared import Read, entities, table
from coach_graph.sessions.models import Calendar, CoachingService, CoachingSession

M = TypeVar("M", bound=SQLModel)


_BY_ID: dict[type[SQLModel], Read[Any]] = {}


async def _by_id(db: Database, model: type[M], ids: list[int]) -> list[M | None]:
    read = _BY_ID.get(model)
    if read is None:
        t = table(model)
        query = sa.select(*t.c).where(t.c.id.in_(sa.bindparam("ids", expanding=True)))
        read = _BY_ID[model] = entities(model, query)
    found = {row.id: row for row in await read.all(db, ids=ids)}
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
