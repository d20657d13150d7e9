"""Issue 4's performance: alert fan-out over websockets and the evaluator on 10,000 clients.

    .venv/bin/python scripts/benchmarks/bench_alerts.py [--subscribers 1000] [--rounds 5]
                                                        [--clients 10000] [--runs 5]

Fan-out: one uvicorn worker served as `coach-graph serve` serves it (no per-message deflate, the
lean sans-I/O websocket protocol; memory broadcast, SQLite file), N websocket subscribers to
`alertCreated` (graphql-transport-ws) in this one asyncio process; each round adds an inactive
client and saves the coach's settings, which raises one alert; latency runs from the mutation's
request to each subscriber's receipt of the alert (so it includes evaluating and committing).
Floor: a graphql-transport-ws ping/pong round trip over the same N sockets at once.
The messages and notifications feeds send one message per round to one conversation: at most
29 rounds a minute (the burst limit is 30 messages a minute).
Memory: the worker's VmRSS (/proc/<pid>/status) before and after the N idle subscriptions.
Evaluator: `evaluate()` over 10,000 GRANTED clients in a fresh SQLite file, when it raises alerts
for a tenth of them and when there is nothing new; floor: one SELECT of those clients' rows.

Targets: p99 <= 250 ms at 1,000 subscribers; <= 40 KiB per idle subscriber; evaluator <= 1 s.
Seeds its own temporary database; bounded in time (every wait has a timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from coach_graph.accounts.models import Role, User  # noqa: E402
from coach_graph.alerts.evaluator import evaluate  # noqa: E402
from coach_graph.alerts.models import Alert, AlertSettings  # noqa: E402
from coach_graph.auth import hash_token, new_token  # noqa: E402
from coach_graph.clients.models import CoachClient, ConsentStatus  # noqa: E402
from coach_graph.db import Database  # noqa: E402
from coach_graph.homework.models import Homework, Lesson, Module  # noqa: E402
from coach_graph.journals.models import JournalEntry  # noqa: E402

HEADER = (
    "| benchmark | median ms | p95 ms | p99 ms | floor median ms | ratio | target |\n"
    "|---|---:|---:|---:|---:|---:|---|"
)
SUBSCRIPTION = "subscription { alertCreated { id category message client { id name } } }"
# Issue 12: the same fan-out for the client's feeds; each round the coach sends one message.
FEEDS = {
    "alerts": SUBSCRIPTION,
    "messages": "subscription { messageReceived { id body senderRole sentAt } }",
    "notifications": "subscription { notificationCreated { id kind title body createdAt } }",
}
SEND = 'mutation($c: ID!) { sendMessage(clientId: $c, body: "See you tomorrow") { id } }'
MARK_READ = "mutation { markNotificationsRead }"
SAVE = (
    "mutation { updateAlertSettings(input: {inactivity: {enabled: true, days: 7}}) "
    "{ inactivity { days } } }"
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(name: str, values: list[float], floor: float | None, target: str) -> str:
    median = statistics.median(values)
    floor_s = f"{floor:.1f}" if floor is not None else "-"
    ratio = f"{median / floor:.1f}" if floor else "-"
    return (
        f"| {name} | {median:.1f} | {pct(values, 0.95):.1f} | {pct(values, 0.99):.1f} "
        f"| {floor_s} | {ratio} | {target} |"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def vm_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# ------------------------------------------------------------------ seeding


async def seed_users(db: Database, coach_email: str, clients: int) -> tuple[int, list[int]]:
    """A coach and `clients` GRANTED clients, inserted in bulk."""
    now = datetime.now(UTC)
    async with db.transaction() as session:
        coach = User(role=Role.COACH, email=coach_email, password_hash="x", created_at=now)
        session.add(coach)
        await session.flush()
        assert coach.id is not None
        users = User.__table__  # type: ignore[attr-defined]
        rows = [
            {
                "role": Role.CLIENT.value,
                "email": f"c{i}-{coach.id}@bench.test",
                "name": f"Client {i}",
                "password_hash": "x",
                "time_zone": "UTC",
                "is_premium": False,
                "created_at": now,
                "last_active_at": now - timedelta(days=1 + i % 5),
            }
            for i in range(clients)
        ]
        ids = [r.id for r in await session.execute(sa.insert(users).returning(users.c.id), rows)]
        links = CoachClient.__table__  # type: ignore[attr-defined]
        await session.execute(
            sa.insert(links),
            [
                {
                    "coach_id": coach.id,
                    "client_id": cid,
                    "consent": ConsentStatus.GRANTED.value,
                    "consent_updated_at": now,
                    "linked_at": now - timedelta(days=60),
                }
                for cid in ids
            ],
        )
        return coach.id, ids


async def issue(db: Database, user_id: int) -> str:
    token = new_token()
    now = datetime.now(UTC)
    async with db.transaction() as session:
        from coach_graph.accounts.models import AuthToken

        session.add(
            AuthToken(
                user_id=user_id,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=now + timedelta(days=1),
            )
        )
    return token


# ------------------------------------------------------------------ fan-out


class Round:
    """Arrival times of one kind of message across every subscriber."""

    def __init__(self, kind: str, expected: int) -> None:
        self.kind = kind
        self.expected = expected
        self.arrivals: list[float] = []
        self.done = asyncio.Event()

    def arrived(self, at: float) -> None:
        self.arrivals.append(at)
        if len(self.arrivals) >= self.expected:
            self.done.set()


class Subscriber:
    """One websocket; its reader stamps each message as it arrives (the only work it does)."""

    current: Round | None = None

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.received: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            at = time.perf_counter()
            current = Subscriber.current
            if current is not None and f'"type":"{current.kind}"' in str(raw).replace(" ", ""):
                current.arrived(at)
            else:
                self.received.put_nowait((at, json.loads(raw)))

    async def next(self, kind: str, within: float = 30.0) -> float:
        async with asyncio.timeout(within):
            while True:
                at, message = await self.received.get()
                if message.get("type") == kind:
                    return at


async def measured(kind: str, subscribers: list[Subscriber], within: float = 60.0) -> Round:
    """Start a round: messages of `kind` are stamped by the readers until all arrived."""
    current = Round(kind, len(subscribers))
    Subscriber.current = current
    return current


async def finished(current: Round, within: float = 60.0) -> list[float]:
    async with asyncio.timeout(within):
        await current.done.wait()
    Subscriber.current = None
    return current.arrivals


async def open_subscriber(url: str, token: str, query: str = SUBSCRIPTION) -> Subscriber:
    ws = await connect(
        url,
        subprotocols=["graphql-transport-ws"],
        ping_interval=None,
        open_timeout=60,  # type: ignore[list-item]
    )
    sub = Subscriber(ws)
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    await sub.next("connection_ack")
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
    return sub


async def fan_out(n: int, rounds: int, feed: str = "alerts") -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        db = Database(url)
        await db.migrate()
        coach_id, client_ids = await seed_users(db, "coach@bench.test", 20)
        token = await issue(db, coach_id)
        query = FEEDS[feed]
        # Alerts: the coach's sockets; messages and notifications: one client's sockets.
        sub_token = token if feed == "alerts" else await issue(db, client_ids[0])

        async def trigger(http: httpx.AsyncClient, r: int) -> httpx.Response:
            if feed == "alerts":
                await add_inactive_client(db, coach_id, r)
                body: dict[str, Any] = {"query": SAVE}
            else:
                body = {"query": SEND, "variables": {"c": str(client_ids[0])}}
            return await http.post(
                "/graphql", json=body, headers={"Authorization": f"Bearer {token}"}
            )

        async def read_inbox(http: httpx.AsyncClient) -> None:
            """Untimed: the client reads their inbox, so the next message makes a new
            notification (while one is unread, messages update it and nothing is pushed)."""
            if feed == "notifications":
                await http.post(
                    "/graphql",
                    json={"query": MARK_READ},
                    headers={"Authorization": f"Bearer {sub_token}"},
                )

        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "BROADCAST_URL": "memory://",
            "RUN_JOBS": "0",
            "SUBSCRIBER_QUEUE_SIZE": "256",
        }
        log = open(f"{tmp}/uvicorn.log", "wb")  # noqa: SIM115, ASYNC230 (closed below; setup, not timed)
        server = subprocess.Popen(  # noqa: ASYNC220 (started once, before timing)
            [sys.executable, "-m", "uvicorn", "coach_graph.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
             "--ws-per-message-deflate", "false",
             "--ws", "coach_graph.patches.uvicorn:LeanWebSocketProtocol"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        subscribers: list[Subscriber] = []
        try:
            base = f"http://127.0.0.1:{port}"
            ws_url = f"ws://127.0.0.1:{port}/graphql"
            async with httpx.AsyncClient(base_url=base, timeout=60) as http:
                for _ in range(300):
                    try:
                        if (await http.get("/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                # Warm up the code paths (one subscription, one alert) before measuring memory.
                warm = await open_subscriber(ws_url, sub_token, query)
                await trigger(http, 0)
                await warm.next("next")
                await warm.ws.close()
                warm.task.cancel()
                await asyncio.sleep(0.5)
                rss_before = vm_rss_kib(server.pid)

                limit = asyncio.Semaphore(50)

                async def opened() -> Subscriber:
                    async with limit:
                        return await open_subscriber(ws_url, sub_token, query)

                subscribers = list(await asyncio.gather(*(opened() for _ in range(n))))
                async with asyncio.timeout(60):
                    while (await http.get("/readyz")).json()["broadcast"]["subscriptions"] < n:  # noqa: ASYNC110
                        await asyncio.sleep(0.1)
                await asyncio.sleep(0.5)
                rss_after = vm_rss_kib(server.pid)

                floor: list[float] = []
                for _ in range(rounds):
                    current = await measured("pong", subscribers)
                    started = time.perf_counter()
                    for s in subscribers:
                        await s.ws.send('{"type":"ping"}')
                    floor += [(at - started) * 1000 for at in await finished(current)]

                latencies: list[float] = []
                for r in range(rounds):
                    current = await measured("next", subscribers)
                    await read_inbox(http)
                    started = time.perf_counter()
                    response = await trigger(http, r + 1)
                    assert not response.json().get("errors"), response.text
                    latencies += [(at - started) * 1000 for at in await finished(current)]
        finally:
            for s in subscribers:
                s.task.cancel()
                await s.ws.close()
            server.terminate()
            server.wait(timeout=30)
            log.close()
            await db.dispose()
    per_sub = (rss_after - rss_before) / n
    floor_median = statistics.median(floor)
    return [
        row(f"{feed} fan-out delivery, {n} subscribers (ms)", latencies, floor_median,
            "p99 <= 250 ms"),
        f"| resident memory per idle subscriber, {n} subscribers (KiB) | {per_sub:.1f} | - | - "
        f"| - | - | <= 40 KiB |",
    ]  # fmt: skip


async def add_inactive_client(db: Database, coach_id: int, n: int) -> None:
    """A client inactive for 10 days who wrote today: the next evaluation raises one alert."""
    now = datetime.now(UTC)
    async with db.transaction() as session:
        client = User(
            role=Role.CLIENT,
            email=f"inactive{n}@bench.test",
            name=f"Inactive {n}",
            password_hash="x",
            created_at=now,
            last_active_at=now - timedelta(days=10),
        )
        session.add(client)
        await session.flush()
        session.add(
            CoachClient(
                coach_id=coach_id,
                client_id=client.id,
                consent=ConsentStatus.GRANTED,
                linked_at=now - timedelta(days=30),
            )
        )
        session.add(JournalEntry(client_id=client.id, created_at=now, content="today"))


# ------------------------------------------------------------------ evaluator


async def evaluator(clients: int, runs: int) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/evaluator.db")
        await db.migrate()
        coach_id, ids = await seed_users(db, "coach@bench.test", clients)
        now = datetime.now(UTC)
        async with db.transaction() as session:
            module = Module(title="Basics")
            session.add(module)
            await session.flush()
            lesson = Lesson(module_id=module.id, title="Breathing")
            session.add(lesson)
            await session.flush()
            entries = JournalEntry.__table__  # type: ignore[attr-defined]
            # Most clients wrote yesterday; every tenth has not written for 12 days.
            await session.execute(
                sa.insert(entries),
                [
                    {
                        "client_id": cid,
                        "created_at": now - timedelta(days=12 if i % 10 == 0 else 1),
                        "content": "entry",
                        "analysis_status": "PENDING",
                        "analysis_attempts": 0,
                    }
                    for i, cid in enumerate(ids)
                ],
            )
            homework = Homework.__table__  # type: ignore[attr-defined]
            # Every client has one assignment; every twentieth is three days overdue.
            await session.execute(
                sa.insert(homework),
                [
                    {
                        "coach_id": coach_id,
                        "client_id": cid,
                        "lesson_id": lesson.id,
                        "assigned_at": now - timedelta(days=10),
                        "expires_at": now - timedelta(days=3)
                        if i % 20 == 0
                        else now + timedelta(days=3),
                        "completed_at": None,
                    }
                    for i, cid in enumerate(ids)
                ],
            )
        raising: list[float] = []
        raised = 0
        for _ in range(runs):
            async with db.transaction() as session:
                await session.execute(sa.delete(Alert))
            started = time.perf_counter()
            raised = len(await evaluate(db))
            raising.append((time.perf_counter() - started) * 1000)
        steady: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            assert await evaluate(db) == []
            steady.append((time.perf_counter() - started) * 1000)
        resolving: list[float] = []
        resolved = 0
        for _ in range(runs):
            # Raised thresholds now spare every client: one run resolves all the open alerts.
            async with db.transaction() as session:
                session.add(
                    AlertSettings(
                        coach_id=coach_id, inactivity_days=30, homework_days=10, journal_days=30
                    )
                )
            started = time.perf_counter()
            await evaluate(db)
            resolving.append((time.perf_counter() - started) * 1000)
            async with db.transaction() as session:
                resolved = await session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Alert)
                    .where(Alert.resolved_at.is_not(None))  # type: ignore[union-attr]
                ) or 0
                await session.execute(sa.delete(AlertSettings))
                await session.execute(sa.delete(Alert))
            assert len(await evaluate(db)) == raised == resolved
        floor: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            async with db.session() as session:
                rows = (
                    await session.execute(
                        sa.select(CoachClient.client_id, User.last_active_at, CoachClient.linked_at)  # type: ignore[call-overload]
                        .join(User, User.id == CoachClient.client_id)
                        .where(CoachClient.coach_id == coach_id)
                    )
                ).all()
            assert len(rows) == clients
            floor.append((time.perf_counter() - started) * 1000)
        await db.dispose()
    floor_median = statistics.median(floor)
    return [
        row(f"evaluator, {clients} clients, raising {raised} alerts", raising, floor_median,
            "<= 1000 ms"),
        row(f"evaluator, {clients} clients, nothing new", steady, floor_median, "<= 1000 ms"),
        row(f"evaluator, {clients} clients, resolving {resolved} alerts", resolving,
            floor_median, "<= 1000 ms"),
    ]  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--feed", choices=sorted(FEEDS), action="append", help="fan-out feeds (default: alerts)"
    )
    parser.add_argument("--no-evaluator", action="store_true", help="skip the evaluator")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 4 * args.subscribers + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    async with asyncio.timeout(600):
        rows = []
        for feed in args.feed or ["alerts"]:
            rows += await fan_out(args.subscribers, args.rounds, feed)
        if not args.no_evaluator:
            rows += await evaluator(args.clients, args.runs)
    print(HEADER)
    for line in rows:
        print(line)


if __name__ == "__main__":
    asyncio.run(main())
