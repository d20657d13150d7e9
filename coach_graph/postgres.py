"""PostgreSQL connections: how each one is opened, and when a pooled one is checked before use.

Generic plans. The service's statements are prepared once per connection (asyncpg's statement
cache) and their values differ only in ids, times and small lists, which the indexes serve the
same way whatever the values. Under PostgreSQL's default `plan_cache_mode = auto` the planner
still planned most of them again for every execution: measured on the demo practice, planning
(the "bind" of the extended protocol) took as long as running the statements (client detail:
1.0 ms planning, 1.1 ms running per page). With `force_generic_plan` each prepared statement is
planned once per connection, and the statements ran no slower (1.1 ms). PostgreSQL's CPU is what
several workers on one machine share with it.

Pings after idleness. SQLAlchemy's `pool_pre_ping` checks every checkout with three round trips
(BEGIN, `;`, ROLLBACK on asyncpg): under load, three statements a request for connections that
were in use a millisecond ago. A connection is pinged here only when it has sat in the pool for
`PING_AFTER_IDLE` seconds or more, which is when a server restart, a failover or an idle timeout
may have closed it behind the pool's back; a dead one is replaced before the request sees it
(the pool retries a checkout whose listener raises `DisconnectionError`). A connection that
dies while busy fails its request as before, and SQLAlchemy discards the pool's older
connections with it.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

SERVER_SETTINGS = {"plan_cache_mode": "force_generic_plan"}
PING_AFTER_IDLE = 5.0  # seconds in the pool after which a connection is checked before use

_IDLE_SINCE = "coach_graph_idle_since"


def connect_args() -> dict[str, Any]:
    """asyncpg's connect arguments for every connection of the pool."""
    return {"server_settings": dict(SERVER_SETTINGS)}


def ping_after_idle(engine: sa.Engine, seconds: float = PING_AFTER_IDLE) -> None:
    """Check a pooled connection before use when it was idle for `seconds` or more."""

    @event.listens_for(engine, "checkin")
    def _idle(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(
        dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < seconds:
            return  # new, or back in the pool a moment ago
        try:
            dbapi_connection.ping()
        except Exception as error:  # the pool opens a new connection and checks out again
            raise sa.exc.DisconnectionError(str(error)) from error
