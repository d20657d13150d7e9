"""No thread hop for a rollback SQLite has nothing to roll back.

Written for aiosqlite 0.22.1 (pinned in pyproject.toml); the guard test
tests/patches/test_aiosqlite.py fails when aiosqlite moves what this relies on.

What upstream does: every connection a request used is rolled back when it goes back to the
pool (SQLAlchemy's reset on return, or the end of the read scope's transaction), and aiosqlite
runs each rollback on its connection's thread: a queue put, a thread wake-up and a call back
into the event loop, for each request, although a read leaves no transaction open (SQLite sends
no BEGIN before a SELECT) and sqlite3's own `rollback()` then does nothing. What this changes:
our engine's dialect skips the rollback when the sqlite3 connection has no transaction open
(`in_transaction`, a flag read without touching the database) and rolls back as before
otherwise. `Dialect.do_rollback` is SQLAlchemy's public hook for it.

`fetch_on_loop` runs a prepared read (coach_graph/prepared.py) on the event loop's own thread,
on the sqlite3 connection aiosqlite holds, instead of sending it to aiosqlite's thread: the
hand-over there and back (a queue put, a thread wake-up, a call back into the loop) costs more
than SQLite takes for the indexed reads of a page (~0.1 ms a read; a page makes 3 to 12). The
connection must be the caller's alone with nothing of aiosqlite's still running on it, as a
read scope's turn and a connection checked out for one read are (db.Database.connection); the
file is opened with check_same_thread=False for it, and only pooled connections are marked for
it (`reads_on_loop`): the single connection of an in-memory database is shared by every task. A
read never waits for a writer in WAL mode, so the loop never waits on a lock.

Relies on: aiosqlite's `Connection._connection` (the sqlite3 connection, None once closed), as
SQLAlchemy's own aiosqlite adapter does. To remove: delete `skip_idle_rollbacks`' call in db.py,
and call aiosqlite's `execute_fetchall` again in prepared.fetch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine

# The upstream versions this module was written for (pinned in pyproject.toml).
WRITTEN_FOR = {"aiosqlite": "0.22.1"}


def skip_idle_rollbacks(dialect: Dialect) -> None:
    """Make `dialect` (an aiosqlite engine's) skip rollbacks with no transaction open."""
    upstream = dialect.do_rollback

    def do_rollback(dbapi_connection: Any) -> None:
        sqlite = getattr(dbapi_connection.driver_connection, "_connection", None)
        if sqlite is not None and not sqlite.in_transaction:
            return
        upstream(dbapi_connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


# Marks a pooled connection's record: its reads may run on the event loop's thread.
ON_LOOP = "coach_graph_reads_on_loop"


def reads_on_loop(engine: Engine) -> None:
    """Mark every connection `engine` opens as one whose reads may run on the loop's thread."""

    def mark(_dbapi_connection: Any, record: Any) -> None:
        record.info[ON_LOOP] = True

    event.listen(engine, "connect", mark)


def fetch_on_loop(connection: Any, sql: str, values: Sequence[Any]) -> list[Any]:
    """Every row of a read, run on this thread on aiosqlite `connection`'s sqlite3 connection."""
    sqlite = connection._connection
    if sqlite is None:
        raise ValueError("Connection closed")  # what aiosqlite raises
    cursor = sqlite.execute(sql, values)
    try:
        rows: list[Any] = cursor.fetchall()
    finally:
        cursor.close()
    return rows
