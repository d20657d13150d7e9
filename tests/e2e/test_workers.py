"""Several workers behind Redis: an alert created through one uvicorn process reaches a
subscriber connected to another, over both websocket protocols, exactly once, even when
redis-server restarts mid-stream."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import Role, User
from coach_graph.accounts.service import add_user
from coach_graph.alerts.models import Alert
from coach_graph.auth import Passwords, issue_token
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.db import Database
from tests.e2e.conftest import Worker
from tests.redis_server import RedisServer
from tests.ws import LEGACY_WS, TRANSPORT_WS, GqlSocket, socket, until_async

pytestmark = pytest.mark.e2e

SUBSCRIPTION = "subscription { alertCreated { id category client { id } } }"
# Saving the settings re-evaluates the coach's clients at once: each new, never-active client
# linked a month ago raises an INACTIVITY and a JOURNAL alert.
SAVE = """mutation { updateAlertSettings(input: {inactivity: {enabled: true, days: 7}}) {
  inactivity { days } } }"""


class Practice:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.passwords = Passwords(time_cost=1, memory_kib=1024)
        self.n = 0

    async def user(self, role: Role, coach: User | None = None) -> User:
        self.n += 1
        user = await add_user(
            self.db,
            self.passwords,
            role=role,
            email=f"{role.value.lower()}{self.n}@e2e.test",
            password="e2e-password",
            name=f"{role.value.title()} {self.n}",
        )
        if coach is not None:
            async with self.db.transaction() as session:
                session.add(
                    CoachClient(
                        coach_id=coach.id,
                        client_id=user.id,
                        consent=ConsentStatus.GRANTED,
                        linked_at=clock.now() - timedelta(days=30),
                    )
                )
        return user

    async def token(self, user: User) -> str:
        assert user.id is not None
        token, _ = await issue_token(self.db, user.id, timedelta(days=1))
        return token

    async def alert_ids(self, coach: User) -> list[str]:
        async with self.db.session() as session:
            ids = await session.scalars(
                sa.select(col(Alert.id))
                .where(col(Alert.coach_id) == coach.id)
                .order_by(col(Alert.id))
            )
            return [str(i) for i in ids]


async def _received(ws: GqlSocket, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        ids.append((await ws.next_data(within=15.0))["alertCreated"]["id"])
    await ws.nothing(within=0.5)
    return ids


async def test_alerts_reach_subscribers_on_every_worker_once_across_a_redis_restart(
    workers: list[Worker], shared_db: Database, redis_server: RedisServer
) -> None:
    practice = Practice(shared_db)
    coach = await practice.user(Role.COACH)
    token = await practice.token(coach)
    a, b = workers
    for worker in workers:
        await worker.ready()
    headers = {"Authorization": f"Bearer {token}"}

    async def raise_alerts(through: Worker, clients: int = 1) -> None:
        for _ in range(clients):
            await practice.user(Role.CLIENT, coach)
        async with httpx.AsyncClient(base_url=through.base_url, headers=headers) as http:
            body = (await http.post("/graphql", json={"query": SAVE})).json()
        assert not body.get("errors"), body

    async with (
        httpx.AsyncClient(base_url=a.base_url) as http_a,
        httpx.AsyncClient(base_url=b.base_url) as http_b,
        socket(http_a, TRANSPORT_WS) as on_a,
        socket(http_b, LEGACY_WS) as on_b,
    ):
        for ws in (on_a, on_b):
            assert (await ws.init(token))["type"] == "connection_ack"
            await ws.subscribe("1", SUBSCRIPTION)
        for worker in workers:
            await until_async(lambda w=worker: _has_subscription(w))

        got_a: list[str] = []
        got_b: list[str] = []

        async def receive(count: int) -> None:
            got_a.extend(await _received(on_a, count))
            got_b.extend(await _received(on_b, count))

        await raise_alerts(through=a)
        await raise_alerts(through=b)
        await receive(4)
        # Redis goes away mid-stream: alerts made meanwhile are stored but cannot be published.
        redis_server.stop()
        await raise_alerts(through=a, clients=2)
        redis_server.start()
        # No further alert is needed: each worker reconnects and its subscribers catch up.
        await receive(4)
        await raise_alerts(through=b)
        await raise_alerts(through=a)
        await receive(4)
        expected = await practice.alert_ids(coach)
        assert len(expected) == 2 * 6
    assert sorted(got_a, key=int) == expected and len(set(got_a)) == len(got_a)
    assert sorted(got_b, key=int) == expected and len(set(got_b)) == len(got_b)


async def _has_subscription(worker: Worker) -> bool:
    return await worker.subscriptions() >= 1
