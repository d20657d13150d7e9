"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from coach_graph.db import Database
from coach_graph.migrating import alembic_config, run_alembic_upgrade
from coach_graph.models import metadata
from tests.conftest import EXTERNAL_DB


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"},
    )
    return list(compare_metadata(context, metadata))


async def _migrated_differences(url: str) -> list[Any]:
    db = Database(url)
    try:
        await db.migrate()
        async with db.engine.connect() as conn:
            return await conn.run_sync(_differences)
    finally:
        await db.dispose()


async def test_an_empty_sqlite_database_migrated_up_matches_the_models(tmp_path: Path) -> None:
    assert await _migrated_differences(f"sqlite+aiosqlite:///{tmp_path}/empty.db") == []


async def test_the_configured_database_migrated_up_matches_the_models(
    template_db: Path | None,
) -> None:
    """On PostgreSQL (DATABASE_URL set) the suite's database; on SQLite the suite's template."""
    url = EXTERNAL_DB or f"sqlite+aiosqlite:///{template_db}"
    assert await _migrated_differences(url) == []


async def test_migrations_go_down_to_nothing_and_up_again(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/roundtrip.db")
    try:
        await db.migrate()
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "base"))
            left = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
            assert left == ["alembic_version"]
            await conn.run_sync(run_alembic_upgrade)
            assert await conn.run_sync(_differences) == []
    finally:
        await db.dispose()
