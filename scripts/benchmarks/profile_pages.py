"""Where the dashboard's pages spend their time, in process (no HTTP): each page of bench_graph
and bench_sessions runs `--runs` times through the app's ASGI interface (httpx.ASGITransport),
first timed plainly, then under cProfile. Printed per page: wall ms per request, the SQL wall
time (SQLAlchemy cursor events: the statement in aiosqlite's thread plus the hop there and back)
and statement count, and the profiled CPU split by layer (tottime of the functions of each
package): graphql-core (validate/execute), strawberry (resolver wrapping, result building),
coach_graph (our resolvers and services), SQLAlchemy (statement building, ORM rows), the event
loop (awaiting aiosqlite's thread), JSON, HTTP (starlette/httpx). Not a benchmark: a map.

    .venv/bin/python scripts/benchmarks/profile_pages.py [--runs 100] [--top 25] [--page NAME]
        [--clients 400]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import sqlalchemy as sa
from bench_graph import CLIENT_DETAIL, LOGIN, MY_CLIENTS
from bench_sessions import HISTORY, STATS, iso
from bench_sessions import seed as seed_sessions_practice
from common import seed, temporary_sqlite

from coach_graph import clock
from coach_graph.app import create_app
from coach_graph.config import Settings
from coach_graph.demo.people import DEMO_PASSWORD
from coach_graph.demo.practice import DemoPractice, DemoSize

LAYERS = (
    ("graphql-core", "/graphql/"),
    ("strawberry", "/strawberry/"),
    ("coach_graph", "/coach_graph/"),
    ("sqlalchemy", "/sqlalchemy/"),
    ("aiosqlite", "/aiosqlite/"),
    ("json", "/json/"),
    ("starlette/httpx", ("/starlette/", "/httpx/", "/httpcore/", "/cross_web/", "/anyio/")),
    ("event loop", ("/asyncio/", "selectors.py")),
)


def layer_of(filename: str) -> str:
    for name, marks in LAYERS:
        if any(m in filename for m in ((marks,) if isinstance(marks, str) else marks)):
            return name
    if filename.startswith("~") or filename == "":
        return "builtins (C)"
    return "other python"


class SqlClock:
    """Wall time and count of every statement, from SQLAlchemy's cursor events."""

    def __init__(self, engine: sa.Engine) -> None:
        self.seconds = 0.0
        self.statements = 0
        self._started: list[float] = []
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, *_: Any) -> None:
        self.seconds += time.perf_counter() - self._started.pop()
        self.statements += 1


async def run_page(
    name: str, page: Callable[[], Awaitable[None]], sql: SqlClock, runs: int, top: int
) -> None:
    for _ in range(5):
        await page()
    sql.seconds, sql.statements = 0.0, 0
    started = time.perf_counter()
    for _ in range(runs):
        await page()
    wall = (time.perf_counter() - started) / runs * 1000
    sql_ms, statements = sql.seconds / runs * 1000, sql.statements / runs

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(runs):
        await page()
    profile.disable()
    stats = pstats.Stats(profile)
    by_layer: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _line, _fn), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_layer[layer_of(filename)] += tt
        total += tt
    print(f"\n=== {name}: {wall:.2f} ms/request wall, SQL {sql_ms:.2f} ms wall in "
          f"{statements:.0f} statements")  # fmt: skip
    for layer, seconds in sorted(by_layer.items(), key=lambda kv: -kv[1]):
        print(f"  {layer:<16} {seconds / total * 100:5.1f}%  {seconds / runs * 1000:6.2f} ms")
    if top:
        stats.sort_stats("tottime").print_stats(top)


def main(runs: int, top: int, only: str | None, clients: int) -> None:
    with temporary_sqlite() as (url, _path):
        practice, _ = seed(url, DemoSize(clients=clients, entries=100))
        asyncio.run(profile(url, practice, runs, top, only))
    sys.stdout.flush()


async def profile(url: str, practice: DemoPractice, runs: int, top: int, only: str | None) -> None:
    settings = Settings(
        database_url=url, run_jobs=False, password_time_cost=1, password_memory_kib=1024
    )
    app = create_app(settings, jobs=[])
    async with app.router.lifespan_context(app):
        resources = app.state.resources
        _, history_client, stats_client, sessions_token = await seed_sessions_practice(
            resources, 200, 50
        )
        sql = SqlClock(resources.db.engine.sync_engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

            async def post(query: str, variables: dict[str, Any], token: str) -> None:
                response = await http.post(
                    "/graphql",
                    json={"query": query, "variables": variables},
                    headers={"Authorization": f"Bearer {token}"},
                )
                body = response.json()
                assert not body.get("errors"), body["errors"]

            login = await http.post(
                "/graphql",
                json={"query": LOGIN, "variables": {"e": "coach@demo.example",
                                                    "p": DEMO_PASSWORD}},
            )  # fmt: skip
            token = login.json()["data"]["login"]["token"]
            detail_vars = {"id": str(practice.clients[0].id)}
            history_vars = {"id": str(history_client), "to": iso(clock.now())}
            pages: dict[str, Callable[[], Awaitable[None]]] = {
                "baseline { viewer { id } }": lambda: post("{ viewer { id } }", {}, token),
                "My Clients": lambda: post(MY_CLIENTS, {}, token),
                "client detail": lambda: post(CLIENT_DETAIL, detail_vars, token),
                "history page": lambda: post(HISTORY, history_vars, sessions_token),
                "sessionStats": lambda: post(STATS, {"id": str(stats_client)}, sessions_token),
            }
            for name, page in pages.items():
                if only is None or only.lower() in name.lower():
                    await run_page(name, page, sql, runs, top)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--page", default=None)
    parser.add_argument("--clients", type=int, default=400, help="demo clients seeded")
    args = parser.parse_args()
    main(args.runs, args.top, args.page, args.clients)
