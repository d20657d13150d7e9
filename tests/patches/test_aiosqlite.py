"""Guard for coach_graph/patches/aiosqlite.py: the installed aiosqlite is the version it was
written for and still keeps its sqlite3 connection where the patch reads it; a read sends no
rollback to aiosqlite's thread, and a write that fails is still rolled back; prepared reads on
a pooled file run on the event loop's thread, next to writers on aiosqlite's threads, and an
in-memory database's one shared connection keeps every statement on aiosqlite's thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.db import Database
from coach_graph.patches.aiosqlite import ON_LOOP, WRITTEN_FOR
from coach_graph.prepared import rows, table
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


_users = table(User)
NAME = rows(sa.select(_users.c.name).where(_users.c.id == sa.bindparam("id")))
ONE = rows(sa.select(sa.literal(1)))


@pytest.fixture
def hand_overs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Every statement handed to aiosqlite's thread as a read (upstream's method, counted)."""
    calls: list[int] = []
    upstream = aiosqlite.Connection.execute_fetchall

    async def counted(self: aiosqlite.Connection, *args: Any) -> Any:
        calls.append(1)
        return await upstream(self, *args)

    monkeypatch.setattr(aiosqlite.Connection, "execute_fetchall", counted)
    yield calls


async def test_prepared_reads_run_on_the_event_loops_thread(
    db: Database, practice: Practice, hand_overs: list[int]
) -> None:
    coach = await practice.coach("On the loop")
    threads: list[int] = []
    async with db.read_scope(), db.connection() as conn:
        raw = await conn.get_raw_connection()
        assert raw.info.get(ON_LOOP) is True
        sqlite = raw.driver_connection._connection  # type: ignore[union-attr]
        sqlite.set_trace_callback(lambda _sql: threads.append(threading.get_ident()))
        try:
            for _ in range(3):
                assert await NAME.all(db, id=coach.id) == [("On the loop",)]
        finally:
            sqlite.set_trace_callback(None)
    assert threads and set(threads) == {threading.get_ident()}
    assert hand_overs == []


async def test_reads_on_the_loop_and_writes_on_aiosqlites_threads_at_once(
    db: Database, practice: Practice
) -> None:
    """Many readers (each on a connection of its own or in a scope) and writers at once: every
    read sees a name some write committed, every write lands."""
    coach = await practice.coach("Name 0")
    names = {f"Name {i}" for i in range(21)}

    async def write(i: int) -> None:
        async with db.transaction() as session:
            await session.execute(
                sa.update(User).where(col(User.id) == coach.id).values(name=f"Name {i}")
            )

    async def read(scoped: bool) -> str:
        if scoped:
            async with db.read_scope():
                found = [(await NAME.first(db, id=coach.id)) for _ in range(3)]
        else:
            found = [await NAME.first(db, id=coach.id)]
        assert all(row is not None and row[0] in names for row in found)
        return str(found[-1][0])  # type: ignore[index]

    results = await asyncio.gather(
        *(write(i) for i in range(1, 21)), *(read(i % 2 == 0) for i in range(40))
    )
    assert all(r in names for r in results if r is not None)
    assert await NAME.first(db, id=coach.id) in {(n,) for n in names - {"Name 0"}}


async def test_an_in_memory_databases_shared_connection_reads_on_aiosqlites_thread(
    hand_overs: list[int],
) -> None:
    memory = Database("sqlite+aiosqlite://")
    try:
        async with memory.engine.connect() as conn:
            assert ON_LOOP not in (await conn.get_raw_connection()).info
        assert await ONE.all(memory) == [(1,)]
        assert hand_overs == [1]
    finally:
        await memory.engine.dispose()
