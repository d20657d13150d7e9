"""Self-booking under real concurrency, against a real uvicorn on 127.0.0.1: two clients racing
for one slot (exactly one wins) and twenty sign-ups of one e-mail address (exactly one wins)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from coach_graph.config import Settings
from coach_graph.db import Database
from tests.conftest import Practice
from tests.sessions.conftest import at, count_rows, iso
from tests.sessions.test_self_booking import BOOK_MINE, PASSWORD, PROFILE, SIGN_UP


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Twenty sign-ups from one address must all reach the unique index.
    return replace(settings, sign_ups_per_address=100)


@pytest.fixture
async def server(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """uvicorn serving the test's app (lifespan entered by the fixture) on a free port."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", ws="none"
    )
    served = uvicorn.Server(config)
    task = asyncio.create_task(served.serve())
    for _ in range(500):  # bounded wait for the socket
        if served.started:
            break
        await asyncio.sleep(0.01)
    assert served.started
    port = served.servers[0].sockets[0].getsockname()[1]
    limits = httpx.Limits(max_connections=40)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60
        ) as http:
            yield http
    finally:
        served.should_exit = True
        await asyncio.wait_for(task, timeout=10)


async def post(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str = ""
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_two_clients_racing_for_one_slot_exactly_one_wins(
    server: httpx.AsyncClient, practice: Practice, db: Database, manual_clock: Any
) -> None:
    coach = await practice.coach()
    profile = await post(server, PROFILE, {"id": str(coach.id)})
    service = profile["data"]["coachProfile"]["services"][1]["id"]  # 30 minutes
    tokens = []
    for name in ("ana", "ben"):
        signed = await post(server, SIGN_UP, {"e": f"{name}@example.test", "p": PASSWORD})
        tokens.append(signed["data"]["signUp"]["token"])
    slot = {"s": service, "t": iso(at(1, 10))}
    results = await asyncio.gather(*(post(server, BOOK_MINE, slot, t) for t in tokens))
    won = [r for r in results if not r.get("errors")]
    lost = [r for r in results if r.get("errors")]
    assert len(won) == 1 and len(lost) == 1, results
    assert lost[0]["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert await count_rows(db, "coaching_session") == 1
    assert await count_rows(db, "coach_client") == 1  # only the winner is linked


async def test_twenty_sign_ups_of_one_address_exactly_one_wins(
    server: httpx.AsyncClient, db: Database, manual_clock: Any
) -> None:
    users = await count_rows(db, "user_account")
    variables = {"e": "same@example.test", "p": PASSWORD}
    results = await asyncio.gather(*(post(server, SIGN_UP, variables) for _ in range(20)))
    won = [r for r in results if not r.get("errors")]
    codes = sorted(r["errors"][0]["extensions"]["code"] for r in results if r.get("errors"))
    assert len(won) == 1 and codes == ["CONFLICT"] * 19, results
    assert await count_rows(db, "user_account") == users + 1
    viewer = await post(server, "{ viewer { email } }", {}, won[0]["data"]["signUp"]["token"])
    assert viewer["data"]["viewer"]["email"] == "same@example.test"
