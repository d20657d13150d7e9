"""A real server for the HTTP tests: `coach-graph serve` (uvicorn, as operators start it) on
127.0.0.1 against its own SQLite file (or the suite's PostgreSQL), with a coach and a token, and
its stderr (the JSON log lines) in a file the tests read. One server for the whole package: no
test here changes what another reads (request ids, persisted documents and bodies are each
test's own)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from coach_graph.accounts.models import Role
from coach_graph.accounts.service import add_user
from coach_graph.auth import Passwords, issue_token
from coach_graph.config import Settings
from coach_graph.db import Database
from tests.conftest import EXTERNAL_DB, PASSWORD, _truncate
from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
# Small, so the tests send bodies over it cheaply (the 1 MiB default: test_body_limit.py).
BODY_LIMIT = 64 * 1024
COACH_EMAIL = "http-coach@example.test"
# The dashboard origin the server admits (ALLOWED_ORIGINS): test_cors.py.
DASHBOARD_ORIGIN = "https://dashboard.example.test"


@dataclass
class Coach:
    id: int
    token: str


@dataclass
class Server:
    """A running `coach-graph serve` process."""

    base_url: str
    log: Path
    coach: Coach

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for raw in self.log.read_text(errors="replace").splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue  # uvicorn's own start-up text, not ours
        return lines

    def access_line(self, request_id: str, within: float = 10.0) -> dict[str, Any]:
        """The access line of the request with `request_id` (written once the response is
        sent, so it may trail the response by a moment)."""
        deadline = time.monotonic() + within
        while True:
            for line in self.log_lines():
                if line.get("logger") == "coach_graph.access" and (
                    line.get("request_id") == request_id
                ):
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"no access line for {request_id}:\n{self.log.read_text()}")
            time.sleep(0.02)


async def _coach(url: str) -> Coach:
    db = Database(url)
    try:
        await db.migrate()
        if EXTERNAL_DB:  # the suite's shared PostgreSQL: start from empty tables, like every test
            await _truncate(db)
        user = await add_user(
            db,
            Passwords(1, 1024),
            role=Role.COACH,
            email=COACH_EMAIL,
            password=PASSWORD,
            name="HTTP Coach",
            settings=Settings(database_url=url),
        )
        assert user.id is not None
        token, _ = await issue_token(db, user.id, Settings().token_ttl)
        return Coach(user.id, token)
    finally:
        await db.dispose()


@pytest.fixture(scope="package")
def server(template_db: Path | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("http-server")
    if template_db is None:
        assert EXTERNAL_DB
        url = EXTERNAL_DB
    else:
        shutil.copy(template_db, folder / "server.db")
        url = f"sqlite+aiosqlite:///{folder}/server.db"
    coach = asyncio.run(_coach(url))
    port = free_port()
    log = folder / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BROADCAST_URL": "memory://",
        "RUN_JOBS": "0",
        "MAX_BODY_BYTES": str(BODY_LIMIT),
        "ALLOWED_ORIGINS": DASHBOARD_ORIGIN,
        "PYTHONPATH": str(ROOT),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "coach_graph",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",  # one worker with the in-memory broadcast (BROADCAST_URL above) starts
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Server(f"http://127.0.0.1:{port}", log, coach)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{log.read_text()}")
            try:
                if httpx.get(f"{running.base_url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
