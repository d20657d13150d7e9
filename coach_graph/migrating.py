"""Alembic over the chain of migrations in migrations/versions: its configuration, the upgrade
every start runs (`Database.migrate`), and autogenerating a new revision (development)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"


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
