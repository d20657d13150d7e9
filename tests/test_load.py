"""Connection discipline in process: an exhausted pool answers 503 with Retry-After, reads never
write (activity is recorded in the background), readiness needs a database that takes writes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col
from starlette.applications import Starlette
from starlette.types import Message

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.app import create_app
from coach_graph.config import Settings
from coach_graph.context import Resources
from coach_graph.db import is_sqlite
from tests.conftest import EXTERNAL_DB, T0, GraphQLClient, Practice, _truncate, count_statements

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"""


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    app = create_app(settings, jobs=[])
    async with app.router.lifespan_context(app):
        if EXTERNAL_DB:  # the suite's shared PostgreSQL: start from empty tables, like every test
            await _truncate(app.state.resources.db)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield app, http


async def test_an_exhausted_pool_answers_503_with_retry_after_not_internal(
    settings: Settings, manual_clock: clock.ManualClock
) -> None:
    tiny = settings.with_(db_pool_size=1, db_max_overflow=0, db_pool_timeout_seconds=0.2)
    async with running(tiny) as (app, http):
        resources: Resources = app.state.resources
        practice = Practice(resources)
        token = await practice.token(await practice.coach())
        async with resources.db.engine.connect() as held:  # every connection of the pool
            await held.exec_driver_sql("SELECT 1")
            # Refused while authenticating (before execution) ...
            before = await http.post(
                "/graphql",
                json={"query": "{ viewer { id } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
            # ... and inside a resolver (login reads the account).
            inside = await http.post(
                "/graphql", json={"query": LOGIN, "variables": {"e": "x@y.test", "p": "pw"}}
            )
        for response in (before, inside):
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] == "1"
            error = response.json()["errors"][0]
            assert error["extensions"]["code"] == "UNAVAILABLE"
            assert error["extensions"]["retryAfter"] == 1
        after = await http.post(
            "/graphql",
            json={"query": "{ viewer { id } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert after.status_code == 200 and "errors" not in after.json()


async def test_a_request_kept_waiting_at_the_door_past_its_time_gets_503_healthz_does_not_wait(
    settings: Settings, manual_clock: clock.ManualClock
) -> None:
    door = settings.with_(max_active_requests=1, admission_timeout_seconds=0.2)
    async with running(door) as (app, http):
        resources: Resources = app.state.resources
        practice = Practice(resources)
        token = await practice.token(await practice.coach())
        async with resources.db.admitted():  # the one seat is taken
            refused = await http.post(
                "/graphql",
                json={"query": "{ viewer { id } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
            health = await http.get("/healthz")
        assert refused.status_code == 503, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
        assert health.status_code == 200
        served = await http.post(
            "/graphql",
            json={"query": "{ viewer { id } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert served.status_code == 200 and "errors" not in served.json()


async def test_a_request_whose_body_is_still_arriving_holds_no_seat(
    settings: Settings, manual_clock: clock.ManualClock
) -> None:
    async with running(settings.with_(max_active_requests=1)) as (app, http):
        arrived = asyncio.Event()

        async def slow_upload() -> Message:  # the first bytes, then nothing more for now
            if not arrived.is_set():
                arrived.set()
                return {"type": "http.request", "body": b'{"query": ', "more_body": True}
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        async def ignore(message: Message) -> None:
            pass

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
            "root_path": "", "client": ("127.0.0.1", 1), "server": ("test", 80),
            "headers": [(b"content-type", b"application/json"), (b"host", b"test")],
        }  # fmt: skip
        uploading = asyncio.create_task(app(scope, slow_upload, ignore))
        await arrived.wait()
        try:
            response = await http.post("/graphql", json={"query": "{ __typename }"})
            assert response.status_code == 200, response.text
            assert response.json() == {"data": {"__typename": "Query"}}
        finally:
            uploading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await uploading


async def test_a_cold_client_read_writes_nothing_and_its_activity_is_flushed_later(
    gql: GraphQLClient, practice: Practice, resources: Resources
) -> None:
    client = await practice.client(await practice.coach())
    token = await practice.token(client)
    async with resources.db.transaction() as session:
        await session.execute(
            sa.update(User)
            .where(col(User.id) == client.id)
            .values(last_active_at=T0 - timedelta(days=2))
        )
    with count_statements(resources.db) as statements:
        assert (await gql.data("{ viewer { id } }", token=token))["viewer"]["id"]
    assert not [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
    assert resources.activity.pending == 1

    assert await resources.activity.flush() == 1
    async with resources.db.session() as session:
        user = await session.get(User, client.id)
        assert user is not None and user.last_active_at == T0
    assert resources.activity.pending == 0


async def test_readiness_is_200_when_the_database_takes_writes(http: httpx.AsyncClient) -> None:
    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "broadcast": True}


async def test_readiness_is_503_on_a_read_only_database_file(
    settings: Settings, database_url: str
) -> None:
    if not is_sqlite(database_url):
        pytest.skip("a read-only file is a SQLite matter")
    path = database_url.removeprefix("sqlite+aiosqlite:///")
    read_only = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"
    async with running(settings.with_(database_url=read_only)) as (_, http):
        response = await http.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"] == {"database": False, "broadcast": True}
        assert (await http.get("/healthz")).status_code == 200


@pytest.mark.skipif(bool(EXTERNAL_DB), reason="the write turn is SQLite's")
async def test_a_writer_waiting_for_the_write_turn_gives_its_seat_to_reads(
    settings: Settings, manual_clock: clock.ManualClock
) -> None:
    one_seat = settings.with_(max_active_requests=1, admission_timeout_seconds=0.5)
    async with running(one_seat) as (app, http):
        resources: Resources = app.state.resources
        db = resources.db
        token = await Practice(resources).token(await Practice(resources).coach())
        headers = {"Authorization": f"Bearer {token}"}
        taken, given_up, in_the_door = asyncio.Event(), asyncio.Event(), asyncio.Event()

        async def other_writer() -> None:  # holds the write turn until told
            async with db.transaction():
                taken.set()
                await given_up.wait()

        async def writer() -> None:  # a mutation's request: seated, then a transaction
            async with db.admitted(), db.read_scope():
                in_the_door.set()
                async with db.transaction() as session:
                    await session.execute(
                        sa.text("UPDATE alembic_version SET version_num = version_num")
                    )

        holding = asyncio.create_task(other_writer())
        await taken.wait()
        waiting = asyncio.create_task(writer())
        await in_the_door.wait()  # the writer took the one seat and waits for the turn
        read = await http.post("/graphql", json={"query": "{ viewer { id } }"}, headers=headers)
        assert read.status_code == 200 and "errors" not in read.json(), read.text
        assert not waiting.done()
        given_up.set()
        await holding
        await waiting
        again = await http.post("/graphql", json={"query": "{ viewer { id } }"}, headers=headers)
        assert again.status_code == 200 and "errors" not in again.json(), again.text
