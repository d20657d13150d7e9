"""The demo registry names every domain's step once, by path, and runs them in a fixed order:
the same size at the same moment gives the same practice, row for row."""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path

import pytest
import sqlalchemy as sa

from coach_graph import clock
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo import registry
from coach_graph.demo.practice import DemoSize
from tests.conftest import T0

TINY = DemoSize(clients=4, entries=3, second_coach_clients=1, sessions=3)


def test_every_registered_step_names_an_async_step_of_its_domain() -> None:
    for path in registry.DEMO_STEP_PATHS:
        step = registry.resolve_step(path)
        assert inspect.iscoroutinefunction(step), path
        assert list(inspect.signature(step).parameters) == ["db", "settings", "practice"], path
        assert step.__module__ == path.partition(":")[0], path
    assert len(registry.DEMO_STEPS) == len(registry.DEMO_STEP_PATHS)


def test_a_path_that_names_nothing_fails_when_resolved() -> None:
    with pytest.raises(AttributeError):
        registry.resolve_step("coach_graph.homework.demo:no_such_step")


RANDOM_BY_DESIGN = {"password_hash", "meeting_room"}
# The keys a database makes for itself (the cursor key): random and made when it is migrated.
OWN_KEYS = "stored_key"


async def _digest(url: str, settings: Settings) -> dict[str, tuple[int, str]]:
    """Seed the demo into `url` at T0; each table's row count and a hash of its rows (left out:
    what is random by design, the password hash argon2 salts afresh, the unguessable meeting
    room of a session's join link, and the database's own keys but their names)."""
    db = Database(url)
    await db.migrate()
    try:
        with clock.using(clock.ManualClock(T0)):
            await registry.seed_demo(db, settings, TINY)
        digest: dict[str, tuple[int, str]] = {}
        async with db.session() as session:
            tables = (
                await session.scalars(
                    sa.text("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                )
            ).all()
            for table in tables:
                rows = (await session.execute(sa.text(f'SELECT * FROM "{table}"'))).mappings()
                kept = [
                    sorted(
                        (k, v)
                        for k, v in r.items()
                        if k not in RANDOM_BY_DESIGN and (table != OWN_KEYS or k == "name")
                    )
                    for r in rows
                ]
                digest[table] = (len(kept), hashlib.sha256(repr(kept).encode()).hexdigest())
        return digest
    finally:
        await db.dispose()


async def test_the_same_size_at_the_same_moment_seeds_the_same_rows(
    tmp_path: Path, settings: Settings
) -> None:
    first = await _digest(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", settings)
    second = await _digest(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", settings)
    assert first == second
    assert first["journal_entry"][0] > 0 and first["coaching_session"][0] > 0
