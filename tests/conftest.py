"""Shared fixtures: a real database (SQLite file, or PostgreSQL when DATABASE_URL says so), a
real in-memory broadcaster, the app with its lifespan, a movable clock, and a practice builder.

Every test starts on an empty, fully migrated database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from starlette.applications import Starlette

from coach_graph import clock
from coach_graph.accounts.models import Role, User
from coach_graph.accounts.service import add_user
from coach_graph.auth import issue_token
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.config import Settings
from coach_graph.context import Resources
from coach_graph.db import Database, is_sqlite
from coach_graph.execution import EXECUTIONS, FALLBACK_REASONS
from coach_graph.models import metadata

# A Monday, 10:00 UTC: tests move the clock from here, never sleep.
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
EXTERNAL_DB = os.environ.get("DATABASE_URL")
# Every query of the suite is answered by its compiled plan and by graphql-core, and the two
# answers must be equal (coach_graph/execution/); servers started in a subprocess read it from
# the environment. EXECUTION_CHECK=0 runs the suite as production does.
os.environ.setdefault("EXECUTION_CHECK", "1")
EXECUTION_CHECK = os.environ["EXECUTION_CHECK"].strip().lower() not in ("0", "false", "no", "off")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How this process executed the suite's operations (compiled, checked, fell back)."""
    if EXECUTIONS:
        terminalreporter.write_sep("-", "GraphQL operations executed in this process")
        for what, count in sorted(EXECUTIONS.items(), key=lambda kv: -kv[1]):
            terminalreporter.write_line(f"{count:8d}  {what}")
        reasons = ", ".join(f"{name} {n}" for name, n in FALLBACK_REASONS.most_common())
        if reasons:
            terminalreporter.write_line(f"          abandoned on: {reasons}")


def _migrate(url: str) -> None:
    async def run() -> None:
        db = Database(url)
        await db.migrate()
        await db.dispose()

    asyncio.run(run())


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """SQLite: one migrated file copied for each test. PostgreSQL: migrated once, truncated."""
    if EXTERNAL_DB:
        _migrate(EXTERNAL_DB)
        return None
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def database_url(template_db: Path | None, tmp_path: Path) -> str:
    if template_db is None:
        assert EXTERNAL_DB
        return EXTERNAL_DB
    path = tmp_path / "coach_graph.db"
    shutil.copy(template_db, path)
    return f"sqlite+aiosqlite:///{path}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "without_execution_check: the test counts what a query costs in production (SQL "
        "statements), which the check's second run through graphql-core would add to",
    )


@pytest.fixture
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    checked = EXECUTION_CHECK and request.node.get_closest_marker("without_execution_check") is None
    return Settings(
        database_url=database_url,
        broadcast_url="memory://",
        password_time_cost=1,
        password_memory_kib=1024,
        run_jobs=False,
        # Every request reads its token, so statement counts compare like with like;
        # tests/accounts/test_tokens.py turns the production default (2 s) back on.
        token_cache_seconds=0,
        execution_check=checked,
    )


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    with clock.using(clock.ManualClock(T0)) as c:
        assert isinstance(c, clock.ManualClock)
        yield c


async def _truncate(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with db.transaction() as session:
        await session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def app(settings: Settings, manual_clock: clock.ManualClock) -> AsyncIterator[Starlette]:
    """The real app with its lifespan entered (migrations, broadcaster)."""
    from coach_graph.app import create_app

    application = create_app(settings, jobs=[])
    async with application.router.lifespan_context(application):
        if not is_sqlite(settings.database_url):
            await _truncate(application.state.resources.db)
        yield application


@pytest.fixture
def resources(app: Starlette) -> Resources:
    res: Resources = app.state.resources
    return res


@pytest.fixture
def db(resources: Resources) -> Database:
    return resources.db


class GraphQLClient:
    """Posts GraphQL documents to the app over HTTP (in process)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The `data` of a response that must have no errors."""
        body = await self(query, variables, token)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def error(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The one error of a response that must fail."""
        body = await self(query, variables, token)
        assert body.get("errors"), body
        error: dict[str, Any] = body["errors"][0]
        return error


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


class Practice:
    """Builds coaches and clients straight through the services, with tokens."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self._n = 0

    async def user(self, role: Role, name: str | None = None, **kw: Any) -> User:
        self._n += 1
        email = kw.pop("email", None) or f"{role.value.lower()}{self._n}@example.test"
        return await add_user(
            self.resources.db,
            self.resources.passwords,
            role=role,
            email=email,
            password=PASSWORD,
            name=name or f"{role.value.title()} {self._n}",
            settings=self.resources.settings,
            **kw,
        )

    async def coach(self, name: str | None = None, **kw: Any) -> User:
        return await self.user(Role.COACH, name, **kw)

    async def client(
        self,
        coach: User | None = None,
        name: str | None = None,
        consent: ConsentStatus = ConsentStatus.GRANTED,
        **kw: Any,
    ) -> User:
        """A client, linked to `coach` with the given consent."""
        client = await self.user(Role.CLIENT, name, **kw)
        if coach is not None:
            await self.link(coach, client, consent)
        return client

    async def link(self, coach: User, client: User, consent: ConsentStatus) -> None:
        async with self.resources.db.transaction() as session:
            session.add(CoachClient(coach_id=coach.id, client_id=client.id, consent=consent.value))

    async def token(self, user: User) -> str:
        assert user.id is not None
        token, _ = await issue_token(self.resources.db, user.id, self.resources.settings.token_ttl)
        return token


@pytest.fixture
def practice(resources: Resources) -> Practice:
    return Practice(resources)


@contextmanager
def count_statements(db: Database) -> Iterator[list[str]]:
    """Collect the SQL statements the engine runs inside the block (N+1 checks)."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


@contextmanager
def count_tasks() -> Iterator[list[object]]:
    """Collect the asyncio tasks created inside the block (a primed list page creates none)."""
    loop = asyncio.get_running_loop()
    created: list[object] = []
    original = loop.create_task

    def counting(coro: Any, **kw: Any) -> Any:
        created.append(coro)
        return original(coro, **kw)

    loop.create_task = counting  # type: ignore[method-assign]
    try:
        yield created
    finally:
        loop.create_task = original  # type: ignore[method-assign]
