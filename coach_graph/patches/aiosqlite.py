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

Relies on: aiosqlite's `Connection._connection` (the sqlite3 connection, None once closed), as
SQLAlchemy's own aiosqlite adapter does. To remove: delete `skip_idle_rollbacks`' call in db.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Dialect

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
