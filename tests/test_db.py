"""The database's read scope: one shared session for the reads of a GraphQL operation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.engine import Dialect
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.db import Database
from coach_graph.fields import UtcDateTime
from tests.conftest import Practice


async def test_reads_in_a_scope_share_one_session_and_outside_they_do_not(db: Database) -> None:
    async with db.read_scope():
        async with db.session() as first:
            pass
        async with db.session() as second:
            pass
        assert first is second
    async with db.session() as outside:
        assert outside is not first


async def test_a_scope_reads_what_a_transaction_committed_meanwhile(
    db: Database, practice: Practice
) -> None:
    coach = await practice.coach("Before")
    async with db.read_scope():
        async with db.session() as session:
            assert (await session.get(User, coach.id)).name == "Before"  # type: ignore[union-attr]
        async with db.transaction() as session:
            await session.execute(
                sa.update(User).where(col(User.id) == coach.id).values(name="After")
            )
        async with db.session() as session:
            assert (await session.get(User, coach.id)).name == "After"  # type: ignore[union-attr]


async def test_concurrent_readers_in_a_scope_take_turns(db: Database, practice: Practice) -> None:
    await practice.coach()

    async def count() -> int:
        async with db.session() as session:
            await asyncio.sleep(0)  # yield while holding the session
            return int(await session.scalar(sa.select(sa.func.count()).select_from(User)) or 0)

    async with db.read_scope():
        assert await asyncio.gather(*(count() for _ in range(10))) == [1] * 10


async def test_nested_use_in_one_task_gets_the_same_session(db: Database) -> None:
    async with db.read_scope(), db.session() as outer, db.session() as inner:
        assert inner is outer


async def test_a_reader_that_outlives_its_scope_gets_a_session_of_its_own(
    db: Database, practice: Practice
) -> None:
    await practice.coach()
    started = asyncio.Event()

    async def straggler() -> int:
        await started.wait()
        async with db.session() as session:
            return int(await session.scalar(sa.select(sa.func.count()).select_from(User)) or 0)

    async with db.read_scope():
        task = asyncio.ensure_future(straggler())  # copies the scope into its context
    started.set()
    assert await task == 1


@pytest.mark.parametrize("dialect", [sqlite.dialect(), asyncpg.dialect()], ids=["sqlite", "pg"])
def test_utc_times_read_back_as_the_general_processor_reads_them(dialect: Dialect) -> None:
    """UtcDateTime's one-step reader answers exactly what SQLAlchemy's general path (the
    dialect's parser, then process_result_value) answers, for every form a value can take."""
    column_type = UtcDateTime().dialect_impl(dialect)  # as a statement's columns hold it
    fast = column_type.result_processor(dialect, None)
    general = sa.types.TypeDecorator.result_processor(column_type, dialect, None)
    assert fast is not None
    assert general is not None
    paris = timezone(timedelta(hours=2))
    values: list[object] = [None]
    if dialect.name != "sqlite":  # the driver's datetimes
        values += [datetime(2026, 3, 1, 9, 30, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=paris)]
    else:  # SQLite's text
        values += [
            "2026-03-01 09:30:00.123456",
            "2026-03-01 09:30:00",
            "2026-03-01T09:30:00.5",
            "2026-03-01 09:30:00+02:00",
            "2026-03-01 09:30:00Z",
        ]
    for value in values:
        answer = fast(value)
        assert answer == general(value), value
        assert answer is None or answer.tzinfo is UTC, value
    if dialect.name == "sqlite":
        with pytest.raises(ValueError):
            fast("not a time")
