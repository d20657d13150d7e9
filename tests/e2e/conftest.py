"""End-to-end fixtures: a real redis-server, a migrated database file shared by several real
uvicorn processes on 127.0.0.1, each stopped when the test ends."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from coach_graph.db import Database, is_sqlite
from coach_graph.models import metadata
from tests.redis_server import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def shared_db(template_db: Path | None, tmp_path: Path) -> AsyncIterator[Database]:
    """The database the workers share: the suite's PostgreSQL when DATABASE_URL is set (migrated
    once by `template_db`, emptied here), else a fresh copy of the migrated SQLite template."""
    if template_db is None:
        url = os.environ["DATABASE_URL"]
    else:
        shutil.copy(template_db, tmp_path / "e2e.db")
        url = f"sqlite+aiosqlite:///{tmp_path}/e2e.db"
    db = Database(url)
    if not is_sqlite(url):
        tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        async with db.transaction() as session:
            await session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    try:
        yield db
    finally:
        await db.dispose()


class Worker:
    """One uvicorn process serving the app."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log = logs / f"{name}.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "coach_graph.app:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
                "--no-access-log", "--ws-per-message-deflate", "false",
                "--ws", "coach_graph.patches.uvicorn:LeanWebSocketProtocol",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()}")
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready:\n{self.log.read_text()}")

    async def subscriptions(self) -> int:
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            count: int = (await http.get("/readyz")).json()["broadcast"]["subscriptions"]
            return count

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()


@pytest.fixture
def workers(
    shared_db: Database, redis_server: RedisServer, tmp_path: Path
) -> Iterator[list[Worker]]:
    """Two uvicorn processes on the shared database, broadcasting through Redis."""
    env = {
        **os.environ,
        "DATABASE_URL": shared_db.url,
        "BROADCAST_URL": redis_server.url,
        "RUN_JOBS": "0",
        "PYTHONPATH": str(ROOT),
    }
    started = [Worker(name, env, tmp_path) for name in ("a", "b")]
    try:
        yield started
    finally:
        for worker in started:
            worker.stop()
