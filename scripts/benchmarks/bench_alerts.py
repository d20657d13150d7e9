"""Issues 4 and 19: live fan-out over websockets, memory per idle subscriber, the evaluator.

    .venv/bin/python scripts/benchmarks/bench_alerts.py [--subscribers 1000] [--rounds 5]
        [--feed alerts|messages|notifications] [--subscribers 10000] [--client-processes N]
        [--clients 10000] [--runs 5] [--no-evaluator] [--profile FILE] [--trace-memory TOP]

Fan-out: one uvicorn worker served as `coach-graph serve` serves it (no per-message deflate, the
lean sans-I/O websocket protocol; memory broadcast, SQLite file), N websocket subscribers to
`alertCreated` (graphql-transport-ws) held by lean raw-websocket client processes
(ws_clients.py; one per 5,000 sockets); each round adds an inactive client and saves the
coach's settings, which raises one alert; latency runs from the mutation's request to each
subscriber's receipt of the alert (so it includes evaluating and committing), one untimed round
first. Floor: a graphql-transport-ws ping/pong round trip over the same N sockets at once.
The messages and notifications feeds send one message per round to one conversation: at most
29 rounds a minute (the burst limit is 30 messages a minute).
Memory: the worker's VmRSS (/proc/<pid>/status) before and after the N idle subscriptions.
`--trace-memory TOP` serves under tracemalloc (traced_server.py) and prints what they hold;
`--profile FILE` records the server with py-spy during the rounds.
Evaluator: `evaluate()` over 10,000 GRANTED clients in a fresh SQLite file, when it raises alerts
for a tenth of them and when there is nothing new; floor: one SELECT of those clients' rows.

Targets (issue 19): fan-out p99 <= 150 ms at 1,000 subscribers and <= 1 s at 10,000 on one
worker; <= 20 KiB resident per idle subscriber; evaluator <= 1 s. RLIMIT_NOFILE is raised for
this process, the server and the clients (they inherit it). Seeds its own temporary database;
bounded in time (every wait has a timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ws_clients  # noqa: E402

from coach_graph import reactions  # noqa: E402
from coach_graph.accounts.models import Role, User  # noqa: E402
from coach_graph.alerts.evaluator import evaluate  # noqa: E402
from coach_graph.alerts.models import Alert, AlertSettings  # noqa: E402
from coach_graph.auth import hash_token, new_token  # noqa: E402
from coach_graph.clients.models import CoachClient, ConsentStatus  # noqa: E402
from coach_graph.db import Database  # noqa: E402
from coach_graph.homework.models import Homework, Lesson, Module  # noqa: E402
from coach_graph.journals.models import JournalEntry  # noqa: E402

reactions.wire()  # the evaluator's alerts go through the domain events, as in the app

HEADER = (
    "| benchmark | median ms | p95 ms | p99 ms | floor median ms | floor p99 ms | value "
    "| target |\n"
    "|---|---:|---:|---:|---:|---:|---:|---|"
)
# Issue 19: fan-out p99 by subscribers on one worker, and resident memory per idle subscriber.
P99_TARGET_MS = {1000: 150, 10_000: 1000}
MEMORY_TARGET_KIB = 20
# Above this many subscribers the sockets are spread over two client processes.
SOCKETS_PER_CLIENT_PROCESS = 5000
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


def fan_out_row(name: str, values: list[float], floor: list[float], target_ms: int) -> str:
    """Latency percentiles and the floor's; ends with `| <p99> ms | <= <target> ms |`."""
    return (
        f"| {name} | {statistics.median(values):.1f} | {pct(values, 0.95):.1f} "
        f"| {pct(values, 0.99):.1f} | {statistics.median(floor):.1f} | {pct(floor, 0.99):.1f} "
        f"| {pct(values, 0.99):.1f} ms | <= {target_ms} ms |"
    )


def evaluator_row(name: str, values: list[float], floor: float) -> str:
    """Ends with `| <median> ms | <= 1000 ms |`; the floor is one SELECT of the clients."""
    median = statistics.median(values)
    return (
        f"| {name} | {median:.1f} | {pct(values, 0.95):.1f} | {pct(values, 0.99):.1f} "
        f"| {floor:.1f} | - | {median:.1f} ms | <= 1000 ms |"
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


class Clients:
    """One client process (ws_clients.py) holding a share of the subscribers."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, url: str, token: str, query: str, count: int, at_once: int) -> Clients:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "ws_clients.py"),
            url, token, query, str(count), str(at_once),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=1 << 24,
        )  # fmt: skip
        return cls(process)

    async def tell(self, command: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        await self.process.stdin.drain()

    async def hear(self, within: float = 300.0) -> dict[str, Any]:
        assert self.process.stdout is not None
        async with asyncio.timeout(within):
            line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"a client process ended (exit {await self.process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def stop(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(Exception):
                await self.tell({"close": True})
            try:
                async with asyncio.timeout(30):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def py_spy(pid: int, output: str) -> subprocess.Popen[bytes]:
    """py-spy (pip install py-spy) sampling the server during the fan-out rounds, its stacks
    collapsed into `output` (one line per stack and its count: grep, sort, or a flame graph)."""
    spy = subprocess.Popen(
        ["py-spy", "record", "--pid", str(pid), "--rate", "250", "--format", "raw",
         "--output", output, "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)  # attached before the first round
    return spy


async def subscribed(http: httpx.AsyncClient, n: int, clients: list[Clients]) -> int:
    """Wait until the server holds `n` subscriptions (graphql-transport-ws acknowledges none);
    each subscription reads the database once as it starts, so allow for a slow machine. A
    subscription a busy server refused (503 while its pool was exhausted by the opening storm)
    is made again, as a dashboard would; returns how many were."""
    last, stalled_since, repaired = -1, time.monotonic(), 0
    while True:
        held = (await http.get("/readyz")).json()["broadcast"]["subscriptions"]
        if held >= n:
            return repaired
        if held != last:
            last, stalled_since = held, time.monotonic()
        elif time.monotonic() - stalled_since > 10:
            for c in clients:
                await c.tell({"repair": True})
                repaired += (await c.hear())["repaired"]
            stalled_since = time.monotonic()
            if repaired > n:
                raise RuntimeError(f"the server holds {held} of {n} subscriptions")
        await asyncio.sleep(0.5)


async def traced_snapshot(pid: int, folder: Path, number: int) -> None:
    """Ask traced_server.py for snapshot `number` and wait until it is written."""
    os.kill(pid, signal.SIGUSR1)
    async with asyncio.timeout(120):
        while not (folder / f"{number}.done").exists():  # noqa: ASYNC110
            await asyncio.sleep(0.2)


def print_holders(folder: Path, n: int, top: int) -> None:
    """What the N idle subscriptions hold: the largest growths by allocation site, per
    subscriber, with the innermost frames of the coach_graph or framework code behind them."""
    before = tracemalloc.Snapshot.load(str(folder / "0.snap"))
    after = tracemalloc.Snapshot.load(str(folder / "1.snap"))
    by_line = after.compare_to(before, "lineno")
    total = sum(d.size_diff for d in by_line)
    print(f"traced growth: {total / n / 1024:.2f} KiB per subscriber; top sites:")
    for diff in by_line[:top]:
        frame = diff.traceback[0]
        print(
            f"  {diff.size_diff / n:8.0f} B {diff.count_diff / n:6.1f} blocks  "
            f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}"
        )
    print("top tracebacks (innermost frame last):")
    for diff in after.compare_to(before, "traceback")[:top]:
        print(f"  {diff.size_diff / n:8.0f} B {diff.count_diff / n:6.1f} blocks")
        for frame in list(diff.traceback)[-4:]:
            print(f"        {frame.filename.split('site-packages/')[-1]}:{frame.lineno}")
    types = [json.loads((folder / f"{i}.types").read_text()) for i in (0, 1)]
    grown = Counter(types[1]["sizes"])
    grown.subtract(types[0]["sizes"])
    print("objects the collector tracks, by type (shallow size and count per subscriber):")
    for name, size in grown.most_common(top):
        count = types[1]["counts"].get(name, 0) - types[0]["counts"].get(name, 0)
        print(f"  {size / n:8.0f} B {count / n:6.2f}  {name}")


def shares(n: int, processes: int) -> list[int]:
    """`n` sockets over `processes` client processes, as evenly as possible."""
    return [n // processes + (1 if i < n % processes else 0) for i in range(processes)]


async def fan_out(
    n: int,
    rounds: int,
    feed: str,
    processes: int,
    trace_memory: int = 0,
    profile: str = "",
    per_round: bool = False,
) -> list[str]:
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
        # The server inherits this process's raised RLIMIT_NOFILE (main()).
        command = [
            sys.executable, "-m", "uvicorn", "coach_graph.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            "--ws-per-message-deflate", "false",
            "--ws", "coach_graph.patches.uvicorn:LeanWebSocketProtocol",
        ]  # fmt: skip
        if trace_memory:
            command = [sys.executable, str(HERE / "traced_server.py"), str(port), tmp]
        server = subprocess.Popen(  # noqa: ASYNC220 (started once, before timing)
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        clients: list[Clients] = []
        try:
            base = f"http://127.0.0.1:{port}"
            ws_url = f"ws://127.0.0.1:{port}/graphql"
            async with httpx.AsyncClient(base_url=base, timeout=60) as http:
                for _ in range(1200):
                    try:
                        if (await http.get("/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError(f"the server did not start; see {tmp}/uvicorn.log")
                # Warm up the code paths (one subscription, one event) before measuring memory.
                warm = await ws_clients.subscribe(ws_url, sub_token, query)
                await trigger(http, 0)
                await warm.next_message("next")
                warm.close()
                await asyncio.sleep(0.5)
                rss_before = vm_rss_kib(server.pid)
                if trace_memory:
                    await traced_snapshot(server.pid, Path(tmp), 0)

                clients = [
                    # 50 handshakes at once in all (10 traced, the server is slow then).
                    await Clients.start(
                        ws_url, sub_token, query, share, 10 if trace_memory else 50 // processes
                    )
                    for share in shares(n, processes)
                ]
                for c in clients:
                    assert (await c.hear())["opened"] > 0
                resubscribed = await subscribed(http, n, clients)
                if resubscribed:
                    print(f"{feed}: {resubscribed} subscriptions refused while opening (503) "
                          "were made again", file=sys.stderr)  # fmt: skip
                await asyncio.sleep(1.0)
                rss_after = vm_rss_kib(server.pid)
                if trace_memory:
                    await traced_snapshot(server.pid, Path(tmp), 1)
                    print_holders(Path(tmp), n, trace_memory)

                # Floor: each client process pings all of its sockets at once.
                floor: list[float] = []
                for _ in range(rounds):
                    for c in clients:
                        await c.tell({"ping": True})
                    for c in clients:
                        pongs = await c.hear()
                        floor += [(at - pongs["started"]) * 1000 for at in pongs["arrivals"]]

                latencies: list[float] = []
                failed = 0
                spy = py_spy(server.pid, f"{profile}.{feed}.{n}") if profile else None
                # Round -1 warms up (untimed): the first event after the sockets opened.
                for r in range(-1, rounds):
                    await read_inbox(http)
                    for c in clients:
                        await c.tell({"expect": "next"})
                    for c in clients:
                        assert (await c.hear())["armed"]
                    started = time.monotonic()
                    response = await trigger(http, r + 2)
                    assert not response.json().get("errors"), response.text
                    this_round: list[float] = []
                    for c in clients:
                        got = await c.hear()
                        failed += got["failed"]
                        this_round += [(at - started) * 1000 for at in got["arrivals"]]
                    if r >= 0:
                        latencies += this_round
                    if per_round and r >= 0:
                        print(f"round {r}: median {statistics.median(this_round):.0f} ms, "
                              f"max {max(this_round):.0f} ms at {time.monotonic():.3f}",
                              file=sys.stderr)  # fmt: skip
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(timeout=60)
                assert failed == 0, f"{failed} deliveries carried errors"
        except BaseException:
            log.flush()
            print(Path(f"{tmp}/uvicorn.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            for c in clients:
                await c.stop()
            server.terminate()
            server.wait(timeout=30)
            log.close()
            await db.dispose()
    per_sub = (rss_after - rss_before) / n
    target_ms = P99_TARGET_MS[n] if n in P99_TARGET_MS else P99_TARGET_MS[min(P99_TARGET_MS)]
    return [
        fan_out_row(f"{feed} fan-out delivery, {n} subscribers, {processes} client "
                    f"process(es)", latencies, floor, target_ms),
        f"| resident memory per idle subscriber, {feed}, {n} subscribers | - | - | - | - | - "
        f"| {per_sub:.1f} KiB | <= {MEMORY_TARGET_KIB} KiB |",
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
                resolved = (
                    await session.scalar(
                        sa.select(sa.func.count())
                        .select_from(Alert)
                        .where(Alert.resolved_at.is_not(None))  # type: ignore[union-attr]
                    )
                    or 0
                )
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
        evaluator_row(f"evaluator, {clients} clients, raising {raised} alerts", raising,
                      floor_median),
        evaluator_row(f"evaluator, {clients} clients, nothing new", steady, floor_median),
        evaluator_row(f"evaluator, {clients} clients, resolving {resolved} alerts", resolving,
                      floor_median),
    ]  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--subscribers",
        type=int,
        action="append",
        help="subscribers on the one worker (repeatable; default 1000)",
    )
    parser.add_argument(
        "--client-processes",
        type=int,
        default=0,
        help="client processes holding the sockets (default: one per 5,000 sockets)",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--feed", choices=sorted(FEEDS), action="append", help="fan-out feeds (default: alerts)"
    )
    parser.add_argument(
        "--trace-memory",
        type=int,
        default=0,
        metavar="TOP",
        help="serve under tracemalloc and print the TOP holders of the idle subscriptions",
    )
    parser.add_argument(
        "--profile",
        default="",
        metavar="FILE",
        help="record the server with py-spy during the fan-out rounds into FILE.<feed>.<n>",
    )
    parser.add_argument(
        "--per-round", action="store_true", help="print each round's median and maximum"
    )
    parser.add_argument("--no-evaluator", action="store_true", help="skip the evaluator")
    args = parser.parse_args()
    counts = args.subscribers or [1000]
    # One descriptor per socket in the server and in the clients (which inherit the limit);
    # as `ulimit -n` in README "Deploying", raised up to the hard limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(soft, max(counts) + 1024)
    if hard != resource.RLIM_INFINITY and wanted > hard:
        raise SystemExit(f"{max(counts)} subscribers need `ulimit -Hn` >= {wanted} (it is {hard})")
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    async with asyncio.timeout(1800):
        rows = []
        for n in counts:
            processes = args.client_processes or -(-n // SOCKETS_PER_CLIENT_PROCESS)
            for feed in args.feed or ["alerts"]:
                rows += await fan_out(
                    n, args.rounds, feed, processes, args.trace_memory, args.profile, args.per_round
                )
        if not args.no_evaluator:
            rows += await evaluator(args.clients, args.runs)
    print(HEADER)
    for line in rows:
        print(line)


if __name__ == "__main__":
    asyncio.run(main())
