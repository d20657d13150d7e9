"""The write turn among processes sharing one SQLite file (coach_graph/sqlite_turn.py): two
Databases on one file, as two workers hold them (each its own lock file descriptor); SQLite
files of their own whichever engine the suite runs on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from coach_graph.db import Database
from coach_graph.sqlite_turn import FileTurn, turn_file


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[tuple[Database, Database]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    first, second = Database(url), Database(url)
    await first.migrate()
    try:
        yield first, second
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_writer_of_another_process_waits_for_the_turn_then_writes(
    two: tuple[Database, Database],
) -> None:
    first, second = two
    order: list[str] = []

    async def other_worker() -> None:
        async with second.transaction() as session:
            order.append("second begins")
            await session.execute(sa.text("UPDATE alembic_version SET version_num = version_num"))

    async with first.transaction() as session:
        await session.execute(sa.text("UPDATE alembic_version SET version_num = version_num"))
        waiting = asyncio.create_task(other_worker())
        done, _ = await asyncio.wait([waiting], timeout=0.2)
        assert not done  # the turn is held: the other writer does not begin
        order.append("first commits")
    await waiting
    assert order == ["first commits", "second begins"]


async def test_a_wait_given_up_leaves_the_turn_free(tmp_path: Path) -> None:
    path = str(tmp_path / "x.db-writer")
    holder, waiter = FileTurn(path), FileTurn(path)
    held = await holder.acquire()
    given_up = asyncio.create_task(waiter.acquire())
    done, _ = await asyncio.wait([given_up], timeout=0.05)
    assert not done
    given_up.cancel()
    with pytest.raises(asyncio.CancelledError):
        await given_up
    FileTurn.release(held)  # the abandoned wait gets the lock, then gives it back at once
    again = await asyncio.wait_for(holder.acquire(), timeout=10)
    FileTurn.release(again)


def test_the_turn_file_lies_beside_the_database_and_none_in_memory() -> None:
    assert turn_file(":memory:") is None and turn_file(None) is None
    assert turn_file("/data/coach.db") == "/data/coach.db-writer"
