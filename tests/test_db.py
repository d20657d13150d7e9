"""The database's read scope: one shared session for the reads of a GraphQL operation."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.db import Database
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
