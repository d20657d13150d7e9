"""The database: one async engine, short-lived sessions, UTC datetimes, Alembic migrations.

The same code runs on SQLite (aiosqlite, the default) and PostgreSQL (asyncpg), chosen by
`DATABASE_URL`. Every datetime is stored in UTC and read back aware.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).parent / "migrations"


class UtcDateTime(sa.TypeDecorator[datetime]):
    """An aware datetime stored as UTC. Naive input is refused: times need an explicit offset."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(UTC)
        # SQLite keeps no offset: store naive UTC so text comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _ReadScope:
    """One session shared by every read of one GraphQL operation (see `Database.read_scope`)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.session: AsyncSession | None = None
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[object] | None = None
        self.closed = False


_read_scope: ContextVar[_ReadScope | None] = ContextVar("coach_graph_read_scope", default=None)


class Database:
    """Owns the engine. `session()` for reads, `transaction()` for one all-or-nothing write."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo}
        if is_sqlite(url):
            if url.rstrip("/").endswith(":memory:") or url in ("sqlite+aiosqlite://",):
                kwargs["poolclass"] = StaticPool
                kwargs["connect_args"] = {"check_same_thread": False}
            else:
                kwargs["connect_args"] = {"timeout": 10}
        else:
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 20
            kwargs["pool_pre_ping"] = True
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if is_sqlite(url):
            event.listen(self.engine.sync_engine, "connect", _on_sqlite_connect)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reading. Inside a `read_scope()` it is the scope's shared session, lent
        to one task at a time; the caller must not commit it (writes use `transaction()`)."""
        scope = _read_scope.get()
        if scope is None or scope.db is not self or scope.closed:
            async with self._sessions() as session:
                yield session
            return
        task = asyncio.current_task()
        if scope.owner is task and scope.session is not None:  # nested use in the same task
            yield scope.session
            return
        async with scope.lock:
            if scope.closed:  # a task that outlived its request (e.g. after an error)
                async with self._sessions() as session:
                    yield session
                return
            if scope.session is None:
                scope.session = self._sessions()
            scope.owner = task
            try:
                yield scope.session
            finally:
                scope.owner = None
                # Objects never outlive one use: a later read sees what writes committed since.
                scope.session.expunge_all()

    @asynccontextmanager
    async def read_scope(self) -> AsyncIterator[None]:
        """Share one session among all reads inside the block (one GraphQL query with its
        DataLoaders): a connection checkout and release per operation instead of per batch."""
        scope = _ReadScope(self)
        token = _read_scope.set(scope)
        try:
            yield
        finally:
            _read_scope.reset(token)
            # Wait for a reader still using it; later stragglers get sessions of their own.
            async with scope.lock:
                scope.closed = True
                if scope.session is not None:
                    await scope.session.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        async with self._sessions() as session, session.begin():
            yield session

    async def migrate(self) -> None:
        """Bring the schema up to the newest revision (every head)."""
        async with self.engine.begin() as conn:
            if is_sqlite(self.url):
                # WAL lets readers go on while a writer commits; it is a property of the file.
                await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            await conn.run_sync(run_alembic_upgrade)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def run_alembic_upgrade(connection: Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "heads")


def make_revision(message: str, rev_id: str) -> None:
    """Autogenerate a migration from the models against a fresh database at every head (dev use:
    `coach-graph make-migration`)."""
    import asyncio
    import tempfile

    from alembic import command

    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            engine = create_async_engine(f"sqlite+aiosqlite:///{tmp}/rev.db")
            async with engine.begin() as conn:
                await conn.run_sync(run_alembic_upgrade)
                await conn.run_sync(
                    lambda c: command.revision(
                        alembic_config(c), message=message, autogenerate=True, rev_id=rev_id
                    )
                )
            await engine.dispose()

    asyncio.run(run())
