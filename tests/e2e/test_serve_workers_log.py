"""`coach-graph serve --workers 2`, as operators start it (a real process on 127.0.0.1, Redis
between the workers): each worker writes the JSON lines a single process writes, on the same
stream, each line carrying the pid of the worker that wrote it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from coach_graph.accounts.models import Role
from coach_graph.db import Database
from coach_graph.outbox.models import MessageKind
from coach_graph.outbox.service import enqueue
from tests.e2e.conftest import ROOT
from tests.e2e.test_workers import Practice
from tests.redis_server import RedisServer, free_port

pytestmark = pytest.mark.e2e

WAIT_SECONDS = 30.0


class Served:
    """A running `coach-graph serve --workers 2` and what it wrote (stdout and stderr)."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.base_url = f"http://127.0.0.1:{port}"
        self.log = log

    def lines(self) -> list[dict[str, Any]]:
        found = []
        for raw in self.log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                found.append(json.loads(raw))
        return found  # the one non-JSON line is the GraphiQL address `serve` prints

    async def until(
        self, what: str, found: Callable[[list[dict[str, Any]]], bool]
    ) -> list[dict[str, Any]]:
        """The log lines once `found` holds of them (bounded; fails with the log)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            lines = self.lines()
            if found(lines):
                return lines
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{what}; the log:\n{self.log.read_text()}")
            await asyncio.sleep(0.05)


def serving_pids(lines: list[dict[str, Any]]) -> set[int]:
    return {line["pid"] for line in lines if line.get("message") == "serving"}


@pytest.fixture
def served(shared_db: Database, redis_server: RedisServer, tmp_path: Path) -> Iterator[Served]:
    env = {
        **os.environ,
        "DATABASE_URL": shared_db.url,
        "BROADCAST_URL": redis_server.url,
        "RUN_JOBS": "1",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("SMTP_URL", None)  # the outbox then logs each message: a job's line
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        # Its own process group: whatever of it outlives the parent is stopped with it.
        process = subprocess.Popen(
            [sys.executable, "-m", "coach_graph", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        yield Served(process, port, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # a worker the parent left behind


async def test_every_worker_writes_access_and_job_lines_with_its_pid(
    served: Served, shared_db: Database
) -> None:
    practice = Practice(shared_db)
    coach = await practice.user(Role.COACH)
    token = await practice.token(coach)
    async with shared_db.transaction() as session:  # a mail for the outbox job to send
        enqueue(session, MessageKind.MESSAGE_RECEIVED, coach.id, {"note": "from the e2e test"})

    # Both workers started and said so, each with its own pid (not the parent's).
    lines = await served.until("two workers serving", lambda ls: len(serving_pids(ls)) == 2)
    workers = serving_pids(lines)
    assert served.process.pid not in workers
    assert all(line["broadcast"] == "redis" for line in lines if line.get("message") == "serving")

    # Several requests at once, each on its own connection with its own request id.
    request_ids = [f"workers-log-{n}" for n in range(12)]

    async def ask(request_id: str) -> None:
        async with httpx.AsyncClient(base_url=served.base_url, timeout=WAIT_SECONDS) as http:
            response = await http.post(
                "/graphql",
                json={"query": "query WhoAsks { viewer { id } }"},
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id},
            )
        assert response.status_code == 200, response.text
        assert response.headers["x-request-id"] == request_id

    await asyncio.gather(*(ask(request_id) for request_id in request_ids))

    def access_lines(ls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [line for line in ls if line.get("logger") == "coach_graph.access"]

    lines = await served.until(
        "an access line for every request",
        lambda ls: {line.get("request_id") for line in access_lines(ls)} >= set(request_ids),
    )
    for request_id in request_ids:
        [line] = [line for line in access_lines(lines) if line.get("request_id") == request_id]
        assert (line["method"], line["path"], line["status"]) == ("POST", "/graphql", 200)
        assert (line["operation"], line["viewer_id"]) == ("WhoAsks", coach.id)
        assert line["pid"] in workers

    # The outbox job runs in a worker and logs the message it sends (no SMTP_URL).
    lines = await served.until(
        "the outbox job's line",
        lambda ls: any(line.get("logger") == "coach_graph.outbox" for line in ls),
    )
    [sent] = [line for line in lines if line.get("logger") == "coach_graph.outbox"]
    assert (sent["kind"], sent["recipient_id"]) == ("MESSAGE_RECEIVED", coach.id)
    assert sent["pid"] in workers
