"""Guard for coach_graph/patches/aiosqlite.py: the installed aiosqlite is the version it was
written for and still keeps its sqlite3 connection where the patch reads it; a read sends no
rollback to aiosqlite's thread, and a write that fails is still rolled back."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.db import Database
from coach_graph.patches.aiosqlite import WRITTEN_FOR
from tests.conftest import Practice
from tests.patches.pins import assert_written_for

pytestmark = pytest.mark.skipif(
    "os.environ.get('DATABASE_URL', '').startswith('postgresql')", reason="SQLite's driver"
)


def test_the_installed_aiosqlite_is_the_version_the_patch_was_written_for() -> None:
    assert_written_for(WRITTEN_FOR)


async def test_aiosqlite_still_keeps_its_sqlite3_connection_as_connection(db: Database) -> None:
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, aiosqlite.Connection)
        assert isinstance(driver._connection, sqlite3.Connection)


@pytest.fixture
def rollbacks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Every rollback aiosqlite is asked to run on its thread (upstream's method, counted)."""
    calls: list[int] = []
    upstream = aiosqlite.Connection.rollback

    async def counted(self: aiosqlite.Connection) -> Any:
        calls.append(1)
        return await upstream(self)

    monkeypatch.setattr(aiosqlite.Connection, "rollback", counted)
    yield calls


async def test_a_read_scope_ends_without_a_rollback(
    db: Database, practice: Practice, rollbacks: list[int]
) -> None:
    coach = await practice.coach()
    rollbacks.clear()
    for _ in range(3):
        async with db.read_scope(), db.read() as session:
            assert (await session.get(User, coach.id)) is not None
    assert rollbacks == []


async def test_a_failed_write_is_rolled_back_and_frees_the_write_lock(
    db: Database, practice: Practice, rollbacks: list[int]
) -> None:
    coach = await practice.coach()
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await session.execute(
                sa.update(User).where(col(User.id) == coach.id).values(name="never kept")
            )
            raise RuntimeError("the write fails half-way")
    assert rollbacks, "an open transaction must still be rolled back"
    async with db.transaction() as session:  # the write lock is free again
        await session.execute(sa.update(User).where(col(User.id) == coach.id).values(name="Kept"))
    async with db.read() as session:
        assert (await session.get(User, coach.id)).name == "Kept"  # type: ignore[union-attr]
