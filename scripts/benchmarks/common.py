"""What every benchmark shares: a fresh seeded database, a real uvicorn on 127.0.0.1, timing
HTTP requests, and the markdown table of the project's standards.

Each `bench_<topic>.py` is runnable alone (`.venv/bin/python scripts/benchmarks/bench_x.py`),
seeds its own temporary database, is bounded in time and prints one table:
| benchmark | median ms | p95 ms | floor median ms | ratio | target |
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from coach_graph import reactions  # noqa: E402
from coach_graph.config import Settings  # noqa: E402
from coach_graph.db import Database  # noqa: E402
from coach_graph.demo.practice import DemoPractice, DemoSize  # noqa: E402
from coach_graph.demo.registry import seed_demo  # noqa: E402

# Benchmarks seed through the services: the domains react to each other as in the app.
reactions.wire()

HEADER = (
    "| benchmark | median ms | p95 ms | floor median ms | ratio | target |\n"
    "|---|---:|---:|---:|---:|---|"
)
SERVER_START_TIMEOUT = 60.0


@contextmanager
def temporary_sqlite() -> Iterator[tuple[str, Path]]:
    """A fresh SQLite file in a temporary folder: (DATABASE_URL, path), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="coach-graph-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        yield f"sqlite+aiosqlite:///{path}", path


# ------------------------------------------------------------------ throwaway servers
# Started by the shell helpers scripts/test uses (scripts/_postgres.sh, scripts/_redis.sh), so a
# benchmark runs on the same PostgreSQL and Redis as the test suite. Both daemonize: the bash that
# starts one exits, and the server runs until the matching stop function is called.


def _shell(script: str, *args: str) -> list[str]:
    """Run `script` in bash from the project root (args as $1...); its stdout lines."""
    done = subprocess.run(
        ["bash", "-c", script, "bench", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        timeout=600,
        check=True,
    )
    return done.stdout.splitlines()


@dataclass
class PostgresCluster:
    """A running throwaway cluster: the URL of its database `coach_graph` and its folder."""

    url: str  # postgresql+asyncpg://coach@127.0.0.1:PORT/coach_graph
    folder: Path

    @property
    def pid(self) -> int:
        """The postmaster's process id (every backend is its child)."""
        return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])


@contextmanager
def throwaway_postgres() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 made as `scripts/test --postgres` makes it
    (start_postgres of scripts/_postgres.sh), with its empty database `coach_graph`; stopped and
    removed afterwards."""
    pg_bin, pg_dir, url = _shell(
        "set -euo pipefail; source scripts/_postgres.sh\n"
        # A cluster that fails half-way up is stopped and removed before the error is raised.
        "trap '[ $? = 0 ] || stop_postgres' EXIT\n"
        "start_postgres >&2\n"
        'printf "%s\\n" "$PG_BIN" "$PG_DIR" "$POSTGRES_URL"'
    )
    try:
        yield PostgresCluster(url, Path(pg_dir))
    finally:
        _shell("source scripts/_postgres.sh; PG_BIN=$1; PG_DIR=$2; stop_postgres", pg_bin, pg_dir)


def create_database(server_url: str, name: str) -> str:
    """A new empty database `name` on the cluster of `server_url`; returns its URL."""
    import asyncpg

    base, _ = server_url.rsplit("/", 1)

    async def run() -> None:
        connection = await asyncpg.connect(base.replace("+asyncpg", "") + "/postgres")
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(run())
    return f"{base}/{name}"


def analyze(database_url: str) -> None:
    """ANALYZE a freshly seeded PostgreSQL database, so the planner sees the rows as autovacuum
    would soon make it (else plans depend on whether it came by during the run)."""
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        try:
            await connection.execute("ANALYZE")
        finally:
            await connection.close()

    asyncio.run(run())


@contextmanager
def throwaway_redis() -> Iterator[str]:
    """A throwaway redis-server on 127.0.0.1 as scripts/test starts it (start_redis of
    scripts/_redis.sh); yields its URL (redis://...); stopped and removed afterwards."""
    redis_dir, url = _shell(
        "set -euo pipefail; source scripts/_redis.sh\n"
        "trap '[ $? = 0 ] || stop_redis' EXIT\n"
        "start_redis >&2\n"
        'printf "%s\\n" "$REDIS_DIR" "$REDIS_URL"'
    )
    try:
        yield url
    finally:
        _shell("source scripts/_redis.sh; REDIS_DIR=$1; stop_redis", redis_dir)


def seed(database_url: str, size: DemoSize) -> tuple[DemoPractice, float]:
    """Migrate and seed the demo practice of `size`; returns it and the seconds it took."""

    async def run() -> tuple[DemoPractice, float]:
        db = Database(database_url)
        try:
            await db.migrate()
            started = time.perf_counter()
            practice = await seed_demo(db, Settings(database_url=database_url), size)
            return practice, time.perf_counter() - started
        finally:
            await db.dispose()

    return asyncio.run(run())


@dataclass
class Server:
    """A running uvicorn subprocess serving the app."""

    base_url: str
    process: subprocess.Popen[bytes]


@contextmanager
def uvicorn_server(
    database_url: str, workers: int = 1, app: str = "coach_graph.app:create_app", **env: str
) -> Iterator[Server]:
    """Start uvicorn with the app on 127.0.0.1, port 0, against `database_url` with background
    jobs off (with `workers` processes sharing the socket); wait for /readyz; stop it
    afterwards."""
    with tempfile.NamedTemporaryFile(prefix="coach-graph-uvicorn-", suffix=".log") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-access-log",
                "--log-level",
                "info",
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": database_url,
                "BROADCAST_URL": "memory://",
                "RUN_JOBS": "0",
                "PYTHONPATH": os.pathsep.join([str(ROOT), str(Path(__file__).parent)]),
                **env,
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = _wait_until_ready(process, Path(log.name))
            yield Server(base_url, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _wait_until_ready(process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    base_url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited early:\n{log.read_text()}")
        if base_url is None:
            found = re.search(r"running on (http://127\.0\.0\.1:\d+)", log.read_text(), re.I)
            base_url = found.group(1) if found else None
        if base_url is not None:
            try:
                if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                    return base_url
            except httpx.HTTPError:
                pass
        time.sleep(0.05)
    raise RuntimeError(f"uvicorn was not ready within {SERVER_START_TIMEOUT} s:\n{log.read_text()}")


def graphql(
    http: httpx.Client, query: str, variables: dict[str, Any] | None = None, token: str = ""
) -> dict[str, Any]:
    """POST one GraphQL operation; raises on errors so a benchmark never times a failure."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = http.post("/graphql", json={"query": query, "variables": variables or {}},
                         headers=headers)  # fmt: skip
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body


def time_ms(fn: Callable[[], object], runs: int, warmup: int = 5) -> list[float]:
    """Wall-clock milliseconds of `runs` calls of `fn`, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def row(name: str, samples: list[float], floor: list[float] | None, target: str) -> str:
    """One table row; ratio = median / floor median."""
    m = median(samples)
    if floor:
        f = median(floor)
        return f"| {name} | {m:.2f} | {p95(samples):.2f} | {f:.2f} | {m / f:.2f}x | {target} |"
    return f"| {name} | {m:.2f} | {p95(samples):.2f} | - | - | {target} |"


# ------------------------------------------------------------------ floors served over HTTP

HTTP_FLOOR_HEADER = (
    "| benchmark | median ms | p95 ms | floor median ms | ratio spread (rounds) | ratio | target |\n"
    "|---|---:|---:|---:|---|---:|---|"
)


def sqlite_path_of(database_url: str) -> str:
    return database_url.split(":///", 1)[1]


def interleaved(
    fns: dict[str, Callable[[], object]], runs: int, rounds: int, warmup: int = 5
) -> dict[str, list[list[float]]]:
    """`rounds` rounds of `runs` turns; in each turn every fn runs once, one after the other, so
    all of them see the same machine. Returns milliseconds per fn, per round."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[list[float]]] = {name: [] for name in fns}
    for _ in range(rounds):
        this_round: dict[str, list[float]] = {name: [] for name in fns}
        for _ in range(runs):
            for name, fn in fns.items():
                started = time.perf_counter()
                fn()
                this_round[name].append((time.perf_counter() - started) * 1000)
        for name in fns:
            samples[name].append(this_round[name])
    return samples


def ratio_row(name: str, api: list[list[float]], floor: list[list[float]], target: float) -> str:
    """One row: medians over every sample; the ratio is median / floor median, its spread the
    lowest and highest per-round ratio. Ends with `| <ratio>x | <= <target>x |`."""
    every_api = [s for r in api for s in r]
    every_floor = [s for r in floor for s in r]
    per_round = [median(a) / median(f) for a, f in zip(api, floor, strict=True)]
    m, f = median(every_api), median(every_floor)
    return (
        f"| {name} | {m:.2f} | {p95(every_api):.2f} | {f:.3f} | "
        f"{min(per_round):.2f}..{max(per_round):.2f} | {m / f:.2f}x | <= {target:g}x |"
    )
