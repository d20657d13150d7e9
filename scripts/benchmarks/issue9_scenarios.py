"""The three load scenarios of issue 9, measured against a real uvicorn on the demo practice.

- 20 parallel logins (production argon2 cost), with /healthz polled during the burst;
- 50 parallel reads by clients whose lastActiveAt is older than a minute ("cold" clients);
- 200 parallel My Clients page reads by the demo coach.

Run: `.venv/bin/python scripts/benchmarks/issue9_scenarios.py` (not part of `scripts/bench`:
it prints outcomes and latencies, not the standards table).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from common import seed, temporary_sqlite, uvicorn_server

from coach_graph.accounts.models import Role, User
from coach_graph.auth import issue_token
from coach_graph.db import Database
from coach_graph.demo.people import DEMO_PASSWORD
from coach_graph.demo.practice import DemoSize

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"""
VIEWER = "query { viewer { id email } }"
MY_CLIENTS = """query { clients(first: 50) { totalCount edges { node { id name lastActiveAt
  activity daysInactive homeworkBadge lastJournalAt } } } }"""


async def client_tokens(url: str) -> list[str]:
    """A token for every client, with every client's lastActiveAt pushed two days back."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            await session.execute(
                sa.update(User)
                .where(User.role == Role.CLIENT.value)  # type: ignore[arg-type]
                .values(last_active_at=datetime.now(UTC) - timedelta(days=2))
            )
            ids = (
                await session.scalars(
                    sa.select(User.id).where(User.role == Role.CLIENT.value)  # type: ignore[arg-type]
                )
            ).all()
        return [(await issue_token(db, i, timedelta(days=1)))[0] for i in ids if i is not None]
    finally:
        await db.dispose()


async def burst(
    http: httpx.AsyncClient, calls: list[tuple[str, dict[str, Any], str]]
) -> tuple[Counter[str], list[float], float]:
    """Send every call at once; outcome counts, per-call seconds and the wall time."""

    async def one(query: str, variables: dict[str, Any], token: str) -> tuple[str, float]:
        started = time.perf_counter()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            r = await http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
        except httpx.HTTPError as exc:
            return f"transport {type(exc).__name__}", time.perf_counter() - started
        elapsed = time.perf_counter() - started
        if r.status_code != 200:
            return f"HTTP {r.status_code}", elapsed
        errors = r.json().get("errors")
        if errors:
            return str(errors[0].get("extensions", {}).get("code")), elapsed
        return "ok", elapsed

    started = time.perf_counter()
    results = await asyncio.gather(*(one(*c) for c in calls))
    wall = time.perf_counter() - started
    return Counter(r for r, _ in results), [t for _, t in results], wall


def line(name: str, outcomes: Counter[str], times: list[float], wall: float) -> str:
    return (
        f"| {name} | {dict(outcomes)} | {statistics.median(times) * 1000:.0f} | "
        f"{max(times) * 1000:.0f} | {wall:.2f} |"
    )


async def run(base_url: str, tokens: list[str]) -> None:
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(base_url=base_url, timeout=90, limits=limits) as http:
        print("| scenario | outcomes | p50 ms | max ms | wall s |")
        print("|---|---|---:|---:|---:|")
        cold = [(VIEWER, {}, tokens[i % len(tokens)]) for i in range(50)]
        print(line("50 cold client reads", *await burst(http, cold)))
        health: list[float] = []

        async def poll_health(stop: asyncio.Event) -> None:
            async with httpx.AsyncClient(base_url=base_url, timeout=90) as h:
                while not stop.is_set():
                    started = time.perf_counter()
                    await h.get("/healthz")
                    health.append(time.perf_counter() - started)
                    await asyncio.sleep(0.02)

        stop = asyncio.Event()
        poller = asyncio.create_task(poll_health(stop))
        login = (LOGIN, {"e": "coach@demo.example", "p": DEMO_PASSWORD}, "")
        outcomes, times, wall = await burst(http, [login] * 20)
        stop.set()
        await poller
        print(line("20 parallel logins", outcomes, times, wall))
        print(
            f"| /healthz during the logins ({len(health)} polls) | - | "
            f"{statistics.median(health) * 1000:.0f} | {max(health) * 1000:.0f} | - |"
        )
        coach = (await http.post("/graphql", json={"query": LOGIN, "variables": login[1]})).json()
        token = coach["data"]["login"]["token"]
        print(line("200 My Clients reads", *await burst(http, [(MY_CLIENTS, {}, token)] * 200)))


def main() -> None:
    with temporary_sqlite() as (url, _path):
        seed(url, DemoSize(clients=50))
        tokens = asyncio.run(client_tokens(url))
        with uvicorn_server(url) as server:
            print(f"issue 9 scenarios: demo practice, 50 clients, uvicorn at {server.base_url}")
            asyncio.run(run(server.base_url, tokens))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
