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
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette

from coach_graph import clock, reactions
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


def _suite_database() -> str | None:
    """DATABASE_URL; under pytest-xdist on PostgreSQL, a database of this worker's own next to
    it (created on first use), so workers never empty each other's tables. It goes into the
    environment too, for the servers and commands the tests start."""
    url = os.environ.get("DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker or is_sqlite(url):
        return url
    shared = sa.engine.make_url(url)
    own = shared.set(database=f"{shared.database}_{worker}")

    async def create() -> None:
        engine = create_async_engine(shared, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                exists = await conn.scalar(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                    {"name": own.database},
                )
                if not exists:
                    await conn.exec_driver_sql(f'CREATE DATABASE "{own.database}"')
        finally:
            await engine.dispose()

    asyncio.run(create())
    os.environ["DATABASE_URL"] = own.render_as_string(hide_password=False)
    return os.environ["DATABASE_URL"]


EXTERNAL_DB = _suite_database()


# Test files whose tests run for seconds each (real servers, subprocesses, thousands of requests)
# run first, in this order: under pytest-xdist the short files then keep both workers busy to
# the end, instead of one worker finishing a long file alone. Files that start servers alternate
# with files that keep this process busy. A path missing here only runs later.
SLOW_FIRST = (
    "tests/e2e/test_bench_load.py",
    "tests/test_fuzz.py",
    "tests/e2e/",
    "tests/alerts/test_rules_property.py",
    "tests/test_cli.py",
    "tests/http/",
    "tests/mail/",
    "tests/sessions/test_exports.py",
)
# One real server serves every test of tests/http/ (its package-scoped fixture).
ONE_WORKER_PACKAGES = ("tests/http/",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files of SLOW_FIRST first; each file's tests stay together and in their order."""

    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return next((i for i, p in enumerate(SLOW_FIRST) if path.startswith(p)), len(SLOW_FIRST))

    items.sort(key=rank)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadfile` (scripts/test): each file whole to one worker, in the order collected
    (slow files first), and the files of each ONE_WORKER_PACKAGES package to the same worker, so
    its shared server starts once."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FilesAndPackages(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return next((p for p in ONE_WORKER_PACKAGES if path.startswith(p)), path)

    config.option.loadscopereorder = False  # keep the collection's order (slow files first)
    return FilesAndPackages(config, log)


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
    reactions.wire()  # the domains' reactions to each other's events, as the app has them
    config.addinivalue_line(
        "markers",
        "without_execution_check: the test counts what a query costs in production (SQL "
        "statements), which the check's second run through graphql-core would add to",
    )


def suite_settings(database_url: str, *, checked: bool = EXECUTION_CHECK) -> Settings:
    """The settings every test starts from (cheap password hashes, no background jobs; every
    compiled query checked against graphql-core unless `checked` is False)."""
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
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    unchecked = request.node.get_closest_marker("without_execution_check") is not None
    return suite_settings(database_url, checked=EXECUTION_CHECK and not unchecked)


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    with clock.using(clock.ManualClock(T0)) as c:
        assert isinstance(c, clock.ManualClock)
        yield c


async def _truncate(db: Database) -> None:
    """Every table emptied but `stored_key`: the cursor key stays, as across a restart, so a
    second app over the database reads the first one's cursors."""
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables if t.name != "stored_key")
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
