"""Under load, against a real uvicorn on a SQLite file: parallel reads and writes all succeed
and nothing is lost; cold clients' reads succeed and their activity is recorded; parallel logins
succeed while /healthz keeps answering."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col

from coach_graph.accounts.models import Role, User
from coach_graph.accounts.service import add_user
from coach_graph.auth import Passwords, issue_token
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.db import Database
from coach_graph.journals.models import JournalEntry
from tests.e2e.conftest import ROOT, Worker

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
CREATE = "mutation($c: String!) { createJournalEntry(content: $c) { id } }"
MY_CLIENTS = "{ clients(first: 50) { totalCount edges { node { id name lastActiveAt } } } }"
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"""


def server_env(shared_db: Database, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": shared_db.url,
        "BROADCAST_URL": "memory://",
        "RUN_JOBS": "0",
        "PYTHONPATH": str(ROOT),
        **settings,
    }


@pytest.fixture
async def server(shared_db: Database, tmp_path: Path) -> AsyncIterator[Worker]:
    worker = Worker("load", server_env(shared_db), tmp_path)
    try:
        await worker.ready()
        yield worker
    finally:
        worker.stop()


@pytest.fixture
async def small_pool_server(shared_db: Database, tmp_path: Path) -> AsyncIterator[Worker]:
    """A worker with 3 pooled connections and 1 s to get one: 200 requests queueing at the
    pool between their statements would time out there; they wait at the door instead."""
    env = server_env(shared_db, DB_POOL_SIZE="3", DB_MAX_OVERFLOW="0", DB_POOL_TIMEOUT_SECONDS="1")
    worker = Worker("small-pool", env, tmp_path)
    try:
        await worker.ready()
        yield worker
    finally:
        worker.stop()


async def practice(db: Database, clients: int) -> tuple[str, list[str], list[int]]:
    """A coach with `clients` clients (consent granted, last active two days ago): the coach's
    token, the clients' tokens and ids."""
    cheap = Passwords(time_cost=1, memory_kib=1024)
    coach = await add_user(db, cheap, role=Role.COACH, email="coach@x.test", password=PASSWORD)
    ids = []
    for i in range(clients):
        user = await add_user(
            db, cheap, role=Role.CLIENT, email=f"client{i}@x.test", password=PASSWORD
        )
        assert user.id is not None and coach.id is not None
        ids.append(user.id)
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    async with db.transaction() as session:
        for i in ids:
            session.add(CoachClient(coach_id=coach.id, client_id=i, consent=ConsentStatus.GRANTED))
        await session.execute(
            sa.update(User).where(col(User.id).in_(ids)).values(last_active_at=two_days_ago)
        )
    assert coach.id is not None
    coach_token = (await issue_token(db, coach.id, timedelta(days=1)))[0]
    tokens = [(await issue_token(db, i, timedelta(days=1)))[0] for i in ids]
    return coach_token, tokens, ids


async def post(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str = ""
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


def succeeded(response: httpx.Response) -> bool:
    return response.status_code == 200 and not response.json().get("errors")


def client(worker: Worker) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    return httpx.AsyncClient(base_url=worker.base_url, timeout=60, limits=limits)


async def test_100_parallel_reads_and_50_parallel_writes_all_succeed_and_nothing_is_lost(
    shared_db: Database, server: Worker
) -> None:
    coach_token, tokens, _ = await practice(shared_db, 10)
    async with client(server) as http:
        reads = [post(http, MY_CLIENTS, {}, coach_token) for _ in range(100)]
        writes = [post(http, CREATE, {"c": f"entry {i}"}, tokens[i % 10]) for i in range(50)]
        responses = await asyncio.gather(*reads, *writes)
    assert [r.status_code for r in responses] == [200] * 150
    assert all(succeeded(r) for r in responses), [r.text for r in responses if not succeeded(r)]
    assert all(r.json()["data"]["clients"]["totalCount"] == 10 for r in responses[:100])
    async with shared_db.session() as session:
        count = await session.scalar(sa.select(sa.func.count()).select_from(JournalEntry))
    assert count == 50


async def test_200_parallel_dashboard_reads_all_succeed_none_refused(
    shared_db: Database, small_pool_server: Worker
) -> None:
    coach_token, _, _ = await practice(shared_db, 30)
    async with client(small_pool_server) as http:
        responses = await asyncio.gather(
            *(post(http, MY_CLIENTS, {}, coach_token) for _ in range(200))
        )
    assert [r.status_code for r in responses] == [200] * 200, {r.status_code for r in responses}
    assert all(succeeded(r) for r in responses), [r.text for r in responses if not succeeded(r)]
    assert all(r.json()["data"]["clients"]["totalCount"] == 30 for r in responses)


async def test_50_parallel_reads_by_cold_clients_succeed_and_their_activity_is_recorded(
    shared_db: Database, server: Worker
) -> None:
    _, tokens, ids = await practice(shared_db, 50)
    started = datetime.now(UTC)
    async with client(server) as http:
        responses = await asyncio.gather(*(post(http, "{ viewer { id } }", {}, t) for t in tokens))
    assert all(succeeded(r) for r in responses), [r.text for r in responses if not succeeded(r)]
    server.stop()  # a graceful shutdown flushes what the recorder still holds
    async with shared_db.session() as session:
        times = (
            await session.scalars(sa.select(col(User.last_active_at)).where(col(User.id).in_(ids)))
        ).all()
    assert len(times) == 50
    assert all(t is not None and t >= started - timedelta(seconds=1) for t in times), times


async def test_20_parallel_logins_succeed_while_healthz_keeps_answering(
    shared_db: Database, server: Worker
) -> None:
    # The production cost of argon2id (the defaults), as the service would verify it.
    await add_user(shared_db, Passwords(), role=Role.COACH, email="coach@x.test", password=PASSWORD)
    health: list[float] = []
    async with client(server) as http:

        async def poll() -> None:
            while True:
                assert (await http.get("/healthz")).status_code == 200
                health.append(time.monotonic())
                await asyncio.sleep(0.01)

        poller = asyncio.create_task(poll())
        begun = time.monotonic()
        logins = await asyncio.gather(
            *(post(http, LOGIN, {"e": "coach@x.test", "p": PASSWORD}) for _ in range(20))
        )
        ended = time.monotonic()
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)
    assert all(succeeded(r) for r in logins), [r.text for r in logins if not succeeded(r)]
    assert len({r.json()["data"]["login"]["token"] for r in logins}) == 20
    # /healthz answered while the logins were still being verified.
    assert [t for t in health if begun < t < ended]
