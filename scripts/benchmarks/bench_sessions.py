"""Sessions benchmark: a client's history page (50 of 500, filtered and sorted) and sessionStats
on 2,000 clients x 50 sessions, each against its floor: the same rows by hand-written SQL
(sqlite3, same database file), encoded to the same JSON shape, served by a bare starlette route
on the SAME uvicorn and fetched over the SAME keep-alive connection, interleaved with the GraphQL
request; the in-process SQL figure is printed beside it. Targets (issue 19): each <= 2x its
HTTP floor, and the history page <= 8x the `{ viewer { id } }` request measured beside it.

    .venv/bin/python scripts/benchmarks/bench_sessions.py [--clients 2000] [--per-client 50]
        [--runs 40] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from common import (
    HTTP_FLOOR_HEADER,
    interleaved,
    ratio_row,
    sqlite_path_of,
    temporary_sqlite,
    uvicorn_server,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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
TARGET = 2.0
HISTORY_OVER_VIEWER_TARGET = 8.0
def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def sql_time(moment: datetime) -> str:
    # SQLite holds naive UTC text (see db.UtcDateTime).
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


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


def history_floor(con: sqlite3.Connection, coach_id: int, client_id: int, now: str) -> bytes:
    """The history page by hand: the same 50 rows, the same JSON shape. `status || ''` keeps
    SQLite on the (client, coach, start) index whatever order the indexes were created in, as
    the app's reads do (coach_graph/sessions/history.py): else one database in eight, its floor
    too, counted over every session of the coach."""
    page = con.execute(
        "SELECT s.id, s.starts_at, s.duration_minutes, s.status, "
        "substr(s.private_notes, 1, 80), v.name FROM coaching_session s "
        "JOIN coaching_service v ON v.id = s.service_id "
        "WHERE s.coach_id = ? AND s.client_id = ? "
        "AND (s.status || '') IN ('COMPLETED', 'CANCELLED', 'NO_SHOW') AND s.starts_at < ? "
        "ORDER BY s.starts_at, s.id LIMIT 51",
        (coach_id, client_id, now),
    ).fetchall()
    total = con.execute(
        "SELECT count(*) FROM coaching_session WHERE coach_id = ? AND client_id = ? "
        "AND (status || '') IN ('COMPLETED', 'CANCELLED', 'NO_SHOW') AND starts_at < ?",
        (coach_id, client_id, now),
    ).fetchone()[0]
    edges = [
        {"node": {"id": str(r[0]), "startsAt": datetime.fromisoformat(r[1]).isoformat() + "Z",
                  "durationMinutes": r[2], "status": r[3], "notesPreview": r[4],
                  "service": {"name": r[5]}}}
        for r in page[:50]
    ]  # fmt: skip
    data = {"client": {"sessions": {"totalCount": total, "edges": edges}}}
    return json.dumps({"data": data}).encode()


def stats_floor(con: sqlite3.Connection, coach_id: int, client_id: int) -> bytes:
    """sessionStats by hand: one aggregate, the same JSON shape."""
    total, done, cancelled, no_shows, revenue = con.execute(
        "SELECT count(*), sum(status = 'COMPLETED'), sum(status = 'CANCELLED'), "
        "sum(status = 'NO_SHOW'), sum(CASE WHEN status = 'COMPLETED' THEN price_minor "
        "ELSE 0 END) FROM coaching_session WHERE coach_id = ? AND client_id = ?",
        (coach_id, client_id),
    ).fetchone()
    stats = {
        "total": total, "completed": done or 0, "cancelled": cancelled or 0,
        "noShows": no_shows or 0, "cancellationRate": (cancelled or 0) / total if total else 0.0,
        "revenue": {"amountMinor": revenue or 0, "currency": "EUR"},
    }  # fmt: skip
    return json.dumps({"data": {"client": {"sessionStats": stats}}}).encode()


def app_with_floors() -> Starlette:
    """The app plus the floors as bare routes on the same server, first in line."""
    app = create_app()
    con = sqlite3.connect(sqlite_path_of(os.environ["DATABASE_URL"]), check_same_thread=False)

    async def history(request: Request) -> Response:
        q = request.query_params
        body = history_floor(con, int(q["coach"]), int(q["client"]), q["now"])
        return Response(body, media_type="application/json")

    async def stats(request: Request) -> Response:
        q = request.query_params
        body = stats_floor(con, int(q["coach"]), int(q["client"]))
        return Response(body, media_type="application/json")

    app.router.routes[0:0] = [Route("/floor/history", history), Route("/floor/stats", stats)]
    return app


async def seeded(url: str, clients: int, per_client: int) -> tuple[int, int, int, str, float]:
    settings = Settings(
        database_url=url, run_jobs=False, password_time_cost=1, password_memory_kib=1024
    )
    app = create_app(settings, jobs=[])
    async with app.router.lifespan_context(app):
        started = time.perf_counter()
        ids = await seed(app.state.resources, clients, per_client)
        return (*ids, time.perf_counter() - started)


def main(clients: int, per_client: int, runs: int, rounds: int) -> None:
    with temporary_sqlite() as (url, path):
        coach_id, history_client, stats_client, token, seconds = asyncio.run(
            seeded(url, clients, per_client)
        )
        now = clock.now()
        con = sqlite3.connect(path)
        headers = {"Authorization": f"Bearer {token}"}
        with (
            uvicorn_server(url, app="bench_sessions:app_with_floors") as server,
            httpx.Client(base_url=server.base_url, headers=headers) as http,
        ):

            def query(doc: str, variables: dict[str, Any]) -> Callable[[], Any]:
                def run() -> Any:
                    body = http.post("/graphql", json={"query": doc, "variables": variables}).json()
                    assert not body.get("errors"), body["errors"]
                    return body

                return run

            def floor(path: str, **params: Any) -> Callable[[], Any]:
                return lambda: http.get(path, params=params).json()

            history = query(HISTORY, {"id": str(history_client), "to": iso(now)})
            assert len(history()["data"]["client"]["sessions"]["edges"]) == 50
            n = sql_time(now)
            s = interleaved(
                {
                    "baseline": query("{ viewer { id } }", {}),
                    "history": history,
                    "history floor": floor(
                        "/floor/history", coach=coach_id, client=history_client, now=n
                    ),
                    "history sql": lambda: history_floor(con, coach_id, history_client, n),
                    "stats": query(STATS, {"id": str(stats_client)}),
                    "stats floor": floor("/floor/stats", coach=coach_id, client=stats_client),
                    "stats sql": lambda: stats_floor(con, coach_id, stats_client),
                },
                runs,
                rounds,
            )
        con.close()
    total = clients * per_client + 500
    print(f"Seeded {total} sessions ({clients} clients x {per_client} + one client x 500) "
          f"in {seconds:.1f} s. {rounds} rounds x {runs} interleaved runs, one uvicorn on "
          "127.0.0.1, one keep-alive connection, SQLite.\n")  # fmt: skip
    print(HTTP_FLOOR_HEADER)
    every = [x for r in s["baseline"] for x in r]
    print(f"| request baseline: {{ viewer {{ id }} }} | {statistics.median(every):.2f} | "
          f"{p95(every):.2f} | - | - | - | - |")  # fmt: skip
    print(ratio_row("history page (50 of 500, filtered, sorted)", s["history"],
                    s["history floor"], TARGET))  # fmt: skip
    print(ratio_row("history page vs { viewer { id } }", s["history"], s["baseline"],
                    HISTORY_OVER_VIEWER_TARGET))  # fmt: skip
    print(ratio_row("sessionStats (one client)", s["stats"], s["stats floor"], TARGET))
    print(ratio_row("(history page against the in-process SQL floor)", s["history"],
                    s["history sql"], TARGET))  # fmt: skip
    print(ratio_row("(sessionStats against the in-process SQL floor)", s["stats"],
                    s["stats sql"], TARGET))  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--per-client", type=int, default=50)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    main(args.clients, args.per_client, args.runs, args.rounds)
