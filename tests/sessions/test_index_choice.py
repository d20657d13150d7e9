"""A client's history reads walk the (client, coach, start) index, whatever order SQLite's
indexes were created in. Without statistics SQLite weighs (coach, status, start) as an equal of
(client, coach, start) for these reads and picks by creation order, which batch migrations
leave random: one database in eight counted a client's history over every session of the coach
(125 ms at 100,000 sessions instead of 0.2 ms)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import event

from coach_graph.db import Database
from tests.sessions.conftest import Scene, at

pytestmark = pytest.mark.skipif(
    "os.environ.get('DATABASE_URL', '').startswith('postgresql')", reason="SQLite's planner"
)

CLIENT_INDEX = "ix_coaching_session_client_coach_starts"
STATUS_INDEX = "ix_coaching_session_coach_status_starts"
HISTORY = """query($id: ID!, $to: DateTime!) { client(id: $id) { sessions(
  filter: {statuses: [CONFIRMED, COMPLETED, CANCELLED], to: $to}, sort: OLDEST_FIRST, first: 5) {
  totalCount edges { node { id } } } } }"""


def created_in_this_order(path: str, first: str, then: str) -> None:
    """Create the table's indexes again: `first`, `then`, the others after them (an order that
    misled the planner)."""
    with sqlite3.connect(path) as raw:
        sql = dict(
            raw.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                " AND tbl_name = 'coaching_session'"
            )
        )
        for name in sql:
            raw.execute(f"DROP INDEX {name}")
        for name in [first, then, *sorted(set(sql) - {first, then})]:
            raw.execute(sql[name])


async def test_a_clients_history_walks_the_client_index_whatever_the_creation_order(
    scene: Scene, db: Database
) -> None:
    for day in range(1, 4):
        await scene.book(at(day, 10))
    path = db.engine.url.database
    assert path
    await db.engine.dispose()  # every connection sees the new schema
    created_in_this_order(path, CLIENT_INDEX, STATUS_INDEX)
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "FROM coaching_session" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        data = await scene.as_coach(HISTORY, id=str(scene.client.id), to="2100-01-01T00:00:00Z")
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    assert data["client"]["sessions"]["totalCount"] == 3
    assert len(seen) == 2  # the page and its count
    with sqlite3.connect(path) as raw:
        for statement, parameters in seen:
            plan = " ".join(
                r[3] for r in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
            assert CLIENT_INDEX in plan, (statement, plan)
