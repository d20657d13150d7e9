"""DataLoader batch functions of the sessions domain: one statement per batch of keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import SQLModel, col

from coach_graph.accounts.models import User
from coach_graph.db import Database
from coach_graph.prepared import Read, entities, table
from coach_graph.sessions.models import (
    Calendar,
    CoachingService,
    CoachingSession,
    SeriesSkip,
    SessionSeries,
)

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


async def load_series(db: Database, ids: list[int]) -> list[SessionSeries | None]:
    """Series by id, for sessions that were scoped already (a session's `series`)."""
    return await _by_id(db, SessionSeries, ids)


async def load_series_sessions(db: Database, ids: list[int]) -> list[list[CoachingSession]]:
    """Each series' sessions, oldest first, cancelled ones too (scope them before showing)."""
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(CoachingSession)
            .where(col(CoachingSession.series_id).in_(ids))
            .order_by(col(CoachingSession.starts_at), col(CoachingSession.id))
        )
        found: dict[int, list[CoachingSession]] = {i: [] for i in ids}
        for row in rows.all():
            assert row.series_id is not None
            found[row.series_id].append(row)
    return [found[i] for i in ids]


async def load_series_skips(db: Database, ids: list[int]) -> list[list[datetime]]:
    """Each series' skipped starts, earliest first."""
    async with db.read() as session:
        rows = await session.execute(
            sa.select(col(SeriesSkip.series_id), col(SeriesSkip.starts_at))
            .where(col(SeriesSkip.series_id).in_(ids))
            .order_by(col(SeriesSkip.starts_at))
        )
        found: dict[int, list[datetime]] = {i: [] for i in ids}
        for series_id, starts_at in rows.all():
            found[series_id].append(starts_at)
    return [found[i] for i in ids]
