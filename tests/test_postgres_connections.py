"""PostgreSQL's pooled connections (coach_graph/postgres.py): generic plans, and a ping only for
a connection that sat idle, so a connection closed behind the pool's back is replaced before a
request uses it while busy connections go straight back to work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

from coach_graph.db import Database


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's connections (scripts/test --postgres)")
    return database_url


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times SQLAlchemy's asyncpg adapter pinged a connection."""
    count = [0]
    ping = AsyncAdapt_asyncpg_connection.ping

    def counted(self: Any) -> None:
        count[0] += 1
        ping(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)
    yield count


async def open_db(url: str, ping_after_idle: float) -> Database:
    return Database(url, pool_size=4, max_overflow=0, ping_after_idle=ping_after_idle)


@pytest.fixture
async def idle_pings(postgres_url: str) -> AsyncIterator[Database]:
    db = await open_db(postgres_url, ping_after_idle=0.0)  # every reuse counts as idle
    yield db
    await db.dispose()


@pytest.fixture
async def busy(postgres_url: str) -> AsyncIterator[Database]:
    db = await open_db(postgres_url, ping_after_idle=3600.0)  # never idle long enough
    yield db
    await db.dispose()


async def backend_pid(db: Database) -> int:
    async with db.connection() as conn:
        return int((await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one())


async def test_every_connection_plans_its_statements_once(busy: Database) -> None:
    async with busy.connection() as conn:
        mode = (await conn.execute(sa.text("SHOW plan_cache_mode"))).scalar_one()
    assert mode == "force_generic_plan"


async def test_connections_killed_while_idle_are_replaced_before_concurrent_requests_use_them(
    idle_pings: Database, pings: list[int]
) -> None:
    # Four connections in the pool, then the server drops them all (a restart, an idle timeout).
    pids = set(await asyncio.gather(*(backend_pid(idle_pings) for _ in range(4))))
    other = Database(idle_pings.url)
    async with other.connection() as conn:
        for pid in pids:
            await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await other.dispose()

    pings[0] = 0
    after = await asyncio.gather(*(backend_pid(idle_pings) for _ in range(12)))

    assert pings[0] >= 4  # the idle ones were checked before use
    assert not pids & set(after)  # and every dead one was replaced, no request failed


async def test_a_connection_back_in_the_pool_a_moment_ago_is_used_without_a_ping(
    busy: Database, pings: list[int]
) -> None:
    first = await backend_pid(busy)
    pings[0] = 0

    again = await asyncio.gather(*(backend_pid(busy) for _ in range(20)))

    assert pings[0] == 0
    assert first in again
