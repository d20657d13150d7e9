"""Sessions benchmark: a client's history page (50 of 500, filtered and sorted), sessionStats,
and a year of monthly analytics on 2,000 clients x 50 sessions, each against a hand-written SQL
floor run with sqlite3 on the same database file in the same run.

Measured in process: GraphQL over HTTP through httpx's ASGITransport into the real app (parse,
validate, authenticate the bearer token, resolve, serialise), so the ratio includes the whole
request path, not just SQL. Seeds its own fresh temporary SQLite database; bounded in time.

    .venv/bin/python scripts/benchmarks/bench_sessions.py [--clients 2000] [--per-client 50]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from coach_graph import clock
from coach_graph.accounts.models import Role, User
from coach_graph.accounts.service import add_user
from coach_graph.app import create_app
from coach_graph.auth import issue_token
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.config import Settings
from coach_graph.context import Resources
from coach_graph.sessions.demo import seed_sessions

HISTORY = """query($id: ID!, $to: DateTime!) { client(id: $id) {
  sessions(filter: {statuses: [COMPLETED, CANCELLED, NO_SHOW], to: $to}, sort: OLDEST_FIRST,
           first: 50) {
    totalCount
    edges { node { id startsAt durationMinutes status notesPreview service { name } } }
  } } }"""
STATS = """query($id: ID!) { client(id: $id) { sessionStats {
  total completed cancelled noShows cancellationRate revenue { amountMinor currency } } } }"""
ANALYTICS = """query($f: DateTime!, $t: DateTime!) { analytics(from: $f, to: $t, interval: MONTH) {
  sessionsCompleted retentionRate averageRating revenue { periodStart revenue { amountMinor } } } }"""
TARGET = 3.0
# Every measurement stops after this many seconds of samples (plus its warm-up).
TIME_BOX = 20.0


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def sql_time(moment: datetime) -> str:
    # SQLite holds naive UTC text (see db.UtcDateTime).
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


async def measure_async(fn: Callable[[], Awaitable[Any]], runs: int) -> list[float]:
    for _ in range(3):
        await fn()
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < runs and time.perf_counter() - started < TIME_BOX:
        t = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def measure_sync(fn: Callable[[], Any], runs: int) -> list[float]:
    for _ in range(3):
        fn()
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < runs and time.perf_counter() - started < TIME_BOX:
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def seed(resources: Resources, clients: int, per_client: int) -> tuple[int, int, int, str]:
    """The coach, a client with 500 sessions, a client of the big practice, and a coach token."""
    db = resources.db
    coach = await add_user(
        db, resources.passwords, role=Role.COACH, email="bench-coach@example.test",
        password="bench-password", name="Bench Coach", settings=resources.settings,
    )  # fmt: skip
    assert coach.id is not None
    now = clock.now()
    async with db.transaction() as session:
        await session.execute(
            sa.insert(User),
            [
                {
                    "role": Role.CLIENT.value, "email": f"client{i}@bench.example",
                    "name": f"Client {i}", "password_hash": "-", "time_zone": "UTC",
                    "is_premium": False, "created_at": now,
                }
                for i in range(clients + 1)
            ],
        )  # fmt: skip
        ids = list(
            (
                await session.scalars(
                    sa.select(User.id).where(User.role == Role.CLIENT.value).order_by(User.id)  # type: ignore[arg-type]
                )
            ).all()
        )
        await session.execute(
            sa.insert(CoachClient),
            [
                {"coach_id": coach.id, "client_id": cid, "consent": ConsentStatus.GRANTED.value,
                 "consent_updated_at": now, "linked_at": now}
                for cid in ids
            ],
        )  # fmt: skip
    history_client, practice = ids[0], ids[1:]
    rng = random.Random(2026)
    await seed_sessions(db, resources.settings, coach.id, practice, rng, per_client)
    await seed_sessions(db, resources.settings, coach.id, [history_client], rng, 500)
    token, _ = await issue_token(db, coach.id, resources.settings.token_ttl)
    return coach.id, history_client, practice[0], token


async def main(clients: int, per_client: int) -> None:
    tmp = tempfile.TemporaryDirectory()
    path = Path(tmp.name) / "bench.db"
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{path}", run_jobs=False,
        password_time_cost=1, password_memory_kib=1024,
    )  # fmt: skip
    app = create_app(settings, jobs=[])
    rows: list[tuple[str, list[float], list[float]]] = []
    baseline: list[float] = []
    async with app.router.lifespan_context(app):
        resources: Resources = app.state.resources
        started = time.perf_counter()
        coach_id, history_client, stats_client, token = await seed(resources, clients, per_client)
        seeded = time.perf_counter() - started
        now = clock.now()
        year_start = datetime(now.year - 1, now.month, 1, tzinfo=UTC)
        year_end = datetime(now.year, now.month, 1, tzinfo=UTC)
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

            def query(doc: str, variables: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
                async def run() -> Any:
                    response = await http.post(
                        "/graphql", json={"query": doc, "variables": variables}, headers=headers
                    )
                    body = response.json()
                    assert not body.get("errors"), body["errors"]
                    return body

                return run

            history = query(HISTORY, {"id": str(history_client), "to": iso(now)})
            first = await history()
            assert len(first["data"]["client"]["sessions"]["edges"]) == 50
            baseline = await measure_async(query("{ viewer { id } }", {}), 200)
            api = {
                "history page (50 of 500, filtered, sorted)": await measure_async(history, 200),
                "sessionStats (one client)": await measure_async(
                    query(STATS, {"id": str(stats_client)}), 200
                ),
                "analytics: 12 months, MONTH": await measure_async(
                    query(ANALYTICS, {"f": iso(year_start), "t": iso(year_end)}), 30
                ),
            }
        con = sqlite3.connect(path)
        n, ys, ye = sql_time(now), sql_time(year_start), sql_time(year_end)
        prev = sql_time(year_start - (year_end - year_start))

        def history_floor() -> Any:
            page = con.execute(
                "SELECT s.id, s.starts_at, s.duration_minutes, s.status, "
                "substr(s.private_notes, 1, 80), v.name FROM coaching_session s "
                "JOIN coaching_service v ON v.id = s.service_id "
                "WHERE s.coach_id = ? AND s.client_id = ? "
                "AND s.status IN ('COMPLETED', 'CANCELLED', 'NO_SHOW') AND s.starts_at < ? "
                "ORDER BY s.starts_at, s.id LIMIT 51",
                (coach_id, history_client, n),
            ).fetchall()
            total = con.execute(
                "SELECT count(*) FROM coaching_session WHERE coach_id = ? AND client_id = ? "
                "AND status IN ('COMPLETED', 'CANCELLED', 'NO_SHOW') AND starts_at < ?",
                (coach_id, history_client, n),
            ).fetchone()
            return page, total

        def stats_floor() -> Any:
            return con.execute(
                "SELECT count(*), sum(status = 'COMPLETED'), sum(status = 'CANCELLED'), "
                "sum(status = 'NO_SHOW'), sum(CASE WHEN status = 'COMPLETED' THEN price_minor "
                "ELSE 0 END) FROM coaching_session WHERE coach_id = ? AND client_id = ?",
                (coach_id, stats_client),
            ).fetchone()

        def analytics_floor() -> Any:
            revenue = con.execute(
                "SELECT strftime('%Y-%m', starts_at), count(*), sum(price_minor) "
                "FROM coaching_session WHERE coach_id = ? AND status = 'COMPLETED' "
                "AND starts_at >= ? AND starts_at < ? GROUP BY 1",
                (coach_id, ys, ye),
            ).fetchall()
            rating = con.execute(
                "SELECT avg(rating) FROM coaching_session WHERE coach_id = ? AND starts_at >= ? "
                "AND starts_at < ? AND rating IS NOT NULL",
                (coach_id, ys, ye),
            ).fetchone()
            retention = con.execute(
                "SELECT count(p.client_id), count(c.client_id) FROM "
                "(SELECT DISTINCT client_id FROM coaching_session WHERE coach_id = ?1 "
                " AND status = 'COMPLETED' AND client_id IS NOT NULL "
                " AND starts_at >= ?2 AND starts_at < ?3) p LEFT JOIN "
                "(SELECT DISTINCT client_id FROM coaching_session WHERE coach_id = ?1 "
                " AND status = 'COMPLETED' AND client_id IS NOT NULL "
                " AND starts_at >= ?3 AND starts_at < ?4) c ON c.client_id = p.client_id",
                (coach_id, prev, ys, ye),
            ).fetchone()
            return revenue, rating, retention

        floors = [
            measure_sync(history_floor, 200),
            measure_sync(stats_floor, 200),
            measure_sync(analytics_floor, 30),
        ]
        con.close()
        for (name, samples), floor in zip(api.items(), floors, strict=True):
            rows.append((name, samples, floor))
    tmp.cleanup()
    total = clients * per_client + 500
    print(f"Seeded {total} sessions ({clients} clients x {per_client} + one client x 500) "
          f"in {seeded:.1f} s. In process over HTTP (httpx ASGITransport), SQLite.\n")  # fmt: skip
    print("| benchmark | median ms | p95 ms | floor median ms | ratio | target |")
    print("|---|---|---|---|---|---|")
    print(
        f"| request baseline: {{ viewer {{ id }} }} (context) | {statistics.median(baseline):.2f} "
        f"| {p95(baseline):.2f} | - | - | - |"
    )
    for name, samples, floor in rows:
        median, floor_median = statistics.median(samples), statistics.median(floor)
        print(
            f"| {name} | {median:.2f} | {p95(samples):.2f} | {floor_median:.2f} | "
            f"{median / floor_median:.1f}x | <= {TARGET:.0f}x |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--per-client", type=int, default=50)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.clients, args.per_client)))
