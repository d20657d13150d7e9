"""The database: one async engine, short-lived sessions, UTC datetimes, Alembic migrations.

The same code runs on SQLite (aiosqlite, the default) and PostgreSQL (asyncpg), chosen by
`DATABASE_URL`. Every datetime is stored in UTC and read back aware.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from coach_graph import events, postgres
from coach_graph.admission import Door
from coach_graph.errors import Unavailable
from coach_graph.fields import UtcDateTime as UtcDateTime  # migrations name db.UtcDateTime
from coach_graph.migrating import run_alembic_upgrade
from coach_graph.pagination import Cursors
from coach_graph.patches.aiosqlite import reads_on_loop, skip_idle_rollbacks
from coach_graph.sqlite_turn import WriteTurn, turn_file

log = logging.getLogger("coach_graph.db")

Publisher = Callable[[str, dict[str, Any]], Awaitable[object]]
_EVENTS = "coach_graph.events"
_ACTIONS = "coach_graph.after_commit"


def publish_after_commit(session: AsyncSession, channel: str, message: dict[str, Any]) -> None:
    """Publish `message` on `channel` once the transaction of `session` has committed: the one
    way a change tells live subscribers (stored first, published second)."""
    session.info.setdefault(_EVENTS, []).append((channel, message))


def after_commit(session: AsyncSession, action: Callable[[], Awaitable[object]]) -> None:
    """Run `action` once the transaction of `session` has committed (e.g. wake a sender)."""
    session.info.setdefault(_ACTIONS, []).append(action)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # WAL lets readers go on while a writer commits; it is a property of the file (set here,
    # outside any transaction, as SQLite requires; a no-op once the file is in WAL mode).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


# The execution option a write transaction's connection carries (see `_on_sqlite_begin`).
_WRITE = "coach_graph_write"


def _on_sqlite_begin(connection: Connection) -> None:
    """A write takes SQLite's write lock when it begins (waiting up to the busy timeout): a
    deferred transaction that reads first could fail at its first write instead. Reads keep
    the driver's default (no BEGIN before a SELECT: no extra round trip)."""
    if connection.get_execution_options().get(_WRITE):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _keep() -> None:
    """The turn of a nested transaction: its outer transaction gives it up."""


def _retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


class _RolledBack(Exception):
    """Raised inside a transaction to roll it back on purpose."""


class _ReadScope:
    """The reads of one operation (`Database.read_scope`): one connection, and a session on it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.connection: AsyncConnection | None = None
        self.session: AsyncSession | None = None
        self.lent = False  # the session is in use (by `owner`)
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[object] | None = None
        self.closed = False


_read_scope: ContextVar[_ReadScope | None] = ContextVar("coach_graph_read_scope", default=None)
# The database whose write turn this task holds (a nested transaction does not wait for it).
_writing: ContextVar[Database | None] = ContextVar("coach_graph_writing", default=None)


class Database:
    """Owns the engine. `read()` / `connection()` read, `transaction()` writes all or nothing.

    A read scope (a request) holds one pooled connection, other reads only while they run. When
    no connection frees up within `pool_timeout` seconds, `Unavailable` is raised (HTTP 503).
    On SQLite the writers take turns (sqlite_turn.WriteTurn: this process's, then the processes'
    sharing the file, bounded by the same timeout) and begin with `BEGIN IMMEDIATE`, so a writer
    never fails half-way with "database is locked" (the busy timeout covers other programs);
    readers never wait (WAL). On PostgreSQL each connection plans a statement once and is pinged
    only after sitting idle (postgres.py).
    """

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        max_overflow: int = 20,
        pool_timeout: float = 5.0,
        admission: int | None = None,
        admission_timeout: float = 30.0,
        ping_after_idle: float = postgres.PING_AFTER_IDLE,
    ) -> None:
        self.url = url
        self.pool_timeout = pool_timeout
        # Requests served at once (`admitted()`); by default as many as the pool keeps.
        self._door = Door(admission or pool_size, admission_timeout, _retry_after(pool_timeout))
        kwargs: dict[str, Any] = {"echo": echo}
        if is_sqlite(url) and (
            url.rstrip("/").endswith(":memory:") or url == "sqlite+aiosqlite://"
        ):
            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
        else:
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = max_overflow
            kwargs["pool_timeout"] = pool_timeout
            if is_sqlite(url):
                kwargs["connect_args"] = {"timeout": 10, "check_same_thread": False}
            else:
                kwargs["connect_args"] = postgres.connect_args()
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.dialect == "postgresql":
            postgres.ping_after_idle(self.engine.sync_engine, ping_after_idle)
        self._writer: WriteTurn | None = None  # one writer at a time, here then among processes
        if is_sqlite(url):
            shared = "poolclass" not in kwargs  # a file other processes' writers may share
            self._writer = WriteTurn(turn_file(self.engine.url.database) if shared else None)
            event.listen(self.engine.sync_engine, "connect", _on_sqlite_connect)
            event.listen(self.engine.sync_engine, "begin", _on_sqlite_begin)
            skip_idle_rollbacks(self.engine.sync_engine.dialect)
            if shared:  # pooled: each connection is one task's at a time
                reads_on_loop(self.engine.sync_engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Where committed events go (the app's Realtime.publish); None: nobody listens.
        self.publisher: Publisher | None = None
        self._cursors: Cursors | None = None

    @property
    def cursors(self) -> Cursors:
        """What signs and reads the cursors of every list over this database, set once its key
        is open (the app's lifespan: `stored_keys.open_cursors`)."""
        if self._cursors is None:
            raise RuntimeError("no cursor key yet: open one with stored_keys.open_cursors(db)")
        return self._cursors

    @cursors.setter
    def cursors(self, cursors: Cursors) -> None:
        self._cursors = cursors

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reading (`transaction()` is the one for writing). Inside a
        `read_scope()` (a request) it is the scope's shared session, on the scope's connection,
        lent to one task at a time; outside one, a session of its own for the block. The caller
        never commits it."""
        async with self._turn() as scope:
            if scope is None:
                async with self._sessions() as session, self._bounded():
                    yield session
                return
            if scope.session is None:
                scope.session = self._sessions(bind=scope.connection)
            if scope.lent:  # nested use in the same task
                yield scope.session
                return
            scope.lent = True
            try:
                async with self._bounded():
                    yield scope.session
            finally:
                scope.lent = False
                await scope.session.close()  # objects never outlive one use; the connection stays

    # The name tests and older callers use for `read()`.
    session = read

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection to read on (`prepared.Read`): the read scope's, else one for the block."""
        async with self._turn() as scope:
            if scope is None:
                async with self._bounded(), self.engine.connect() as conn:
                    yield conn
                return
            assert scope.connection is not None
            async with self._bounded():
                yield scope.connection

    def connection_now(self) -> AsyncConnection | None:
        """The read scope's connection when it is checked out and nobody has its turn: a read
        that runs without awaiting (prepared.Read on SQLite) needs no turn; else None."""
        scope = _read_scope.get()
        if scope is None or scope.db is not self or scope.closed or scope.lock.locked():
            return None
        return scope.connection

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[_ReadScope | None]:
        """This task's turn on the read scope, its connection checked out; None outside one."""
        scope = _read_scope.get()
        if scope is None or scope.db is not self or scope.closed:
            yield None
            return
        task = asyncio.current_task()
        if scope.owner is task:
            yield scope
            return
        async with scope.lock:
            if scope.closed:  # a task that outlived its request (e.g. after an error)
                yield None
                return
            scope.owner = task
            try:
                if scope.connection is None:
                    scope.connection = await self._read_connection()
                yield scope
            finally:
                scope.owner = None

    async def _read_connection(self) -> AsyncConnection:
        """A read scope's connection, in a transaction of SQLAlchemy's that the scope's session
        joins (no rollback per use). Each statement sees what was committed before it: SQLite
        sends no BEGIN before a read, PostgreSQL's is in autocommit (a failed read spoils none)."""
        async with self._bounded():
            conn = await self.engine.connect()
        if not is_sqlite(self.url):
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.begin()
        return conn

    def admitted(self) -> AbstractAsyncContextManager[None]:
        """One request's turn: at most `admission` requests at once, the rest wait at the door,
        first come first served, at most `admission_timeout` seconds (then `Unavailable`); one
        let in finds a connection when it needs one (it never queues for the pool mid-way)."""
        return self._door.admitted()

    @asynccontextmanager
    async def read_scope(self) -> AsyncIterator[None]:
        """Share one connection among the reads inside the block (one GraphQL query with its
        DataLoaders), checked out at the first read; its reads take turns on it."""
        scope = _ReadScope(self)
        token = _read_scope.set(scope)
        try:
            yield
        finally:
            _read_scope.reset(token)
            # Wait for a reader still using it; later stragglers get connections of their own.
            if scope.connection is None and not scope.lock.locked():  # never read
                scope.closed = True
            else:
                async with scope.lock:
                    scope.closed = True
                    if scope.connection is not None:
                        await scope.connection.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction, the unit of work of a mutation: committed when the block ends,
        rolled back if it raises. The events it recorded (coach_graph/events.py) are handled
        before it commits, inside it. What it asked to happen after it (`publish_after_commit`,
        `after_commit`) runs once it has committed, outside the writers' turn, never after a
        rollback."""
        async with self._writing() as release, self._sessions() as session, self._bounded():
            async with session.begin():
                await session.connection(execution_options={_WRITE: True})
                yield session
                await events.dispatch(session)  # the domains that react, in this transaction
            release()  # committed: the next writer begins while this session closes
        await self._after_commit(session.info)

    async def _after_commit(self, info: dict[Any, Any]) -> None:
        events: list[tuple[str, dict[str, Any]]] = info.pop(_EVENTS, [])
        actions: list[Callable[[], Awaitable[object]]] = info.pop(_ACTIONS, [])
        if events and self.publisher is not None:
            for channel, message in events:
                await self.publisher(channel, message)
        for action in actions:
            try:
                await action()
            except Exception:  # the change is committed: report, never undo the answer
                log.exception("an after-commit action failed")

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[Callable[[], None]]:
        """The process's turn to write on SQLite, then the turn among the processes sharing the
        file (coach_graph/sqlite_turn.py), both waited for at most `pool_timeout` seconds; held
        until the block ends or the function it yields gives it up (once committed)."""
        if self._writer is None or _writing.get() is self:
            yield _keep
            return
        try:
            async with asyncio.timeout(self.pool_timeout):
                release = await self._writer.take()
        except TimeoutError:
            raise Unavailable(retry_after=_retry_after(self.pool_timeout)) from None
        token = _writing.set(self)
        try:
            yield release
        finally:
            _writing.reset(token)
            release()

    @asynccontextmanager
    async def _bounded(self) -> AsyncIterator[None]:
        """Turn an exhausted pool (no connection within `pool_timeout`) into `Unavailable`."""
        try:
            yield
        except sa.exc.TimeoutError:
            raise Unavailable(retry_after=_retry_after(self.pool_timeout)) from None

    async def migrate(self) -> None:
        """Bring the schema up to the newest revision (every head)."""
        async with self.engine.connect() as conn:
            await conn.execution_options(**{_WRITE: True})
            async with conn.begin():
                await conn.run_sync(run_alembic_upgrade)

    async def accepts_writes(self) -> bool:
        """Whether the database takes a write now: one no-op UPDATE in a transaction rolled
        back (refused by a read-only file, a read-only replica or a full disk)."""
        try:
            async with self.transaction() as session:
                await session.execute(
                    sa.text("UPDATE alembic_version SET version_num = version_num")
                )
                raise _RolledBack
        except _RolledBack:
            return True
        except Exception as exc:
            log.warning("readiness: the database refuses writes (%r)", exc)
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
