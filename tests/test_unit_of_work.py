"""One unit of work per mutation: a transaction's events are published after it commits, never
after a rollback, and what it asked to run afterwards runs once, outside the transaction."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from coach_graph.accounts.models import User
from coach_graph.db import Database, after_commit, publish_after_commit


async def test_events_are_published_after_the_commit_that_stored_their_rows(db: Database) -> None:
    seen: list[tuple[str, dict[str, object], int]] = []

    async def publisher(channel: str, message: dict[str, object]) -> None:
        # What the event names is visible to a fresh reader when it arrives.
        async with db.session() as session:
            count = await session.scalar(sa.select(sa.func.count()).select_from(User))
        seen.append((channel, message, int(count or 0)))

    db.publisher = publisher
    async with db.transaction() as session:
        session.add(User(email="uow@example.org", role="CLIENT", password_hash="x"))
        publish_after_commit(session, "test", {"id": 1})
        assert seen == []
    assert seen == [("test", {"id": 1}, 1)]


async def test_a_rolled_back_transaction_publishes_nothing_and_runs_nothing(db: Database) -> None:
    seen: list[object] = []

    async def publisher(channel: str, message: dict[str, object]) -> None:
        seen.append(message)

    async def action() -> None:
        seen.append("action")

    db.publisher = publisher
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            publish_after_commit(session, "test", {"id": 2})
            after_commit(session, action)
            raise RuntimeError("refused")
    assert seen == []


async def test_concurrent_units_of_work_each_publish_their_own_events(db: Database) -> None:
    seen: list[int] = []

    async def publisher(channel: str, message: dict[str, object]) -> None:
        seen.append(int(str(message["n"])))

    db.publisher = publisher

    async def one(n: int) -> None:
        async with db.transaction() as session:
            publish_after_commit(session, "test", {"n": n})

    await asyncio.gather(*(one(n) for n in range(30)))
    assert sorted(seen) == list(range(30))


async def test_a_failing_after_commit_action_does_not_undo_the_answer(db: Database) -> None:
    async def broken() -> None:
        raise RuntimeError("mail server down")

    async with db.transaction() as session:
        session.add(User(email="kept@example.org", role="CLIENT", password_hash="x"))
        after_commit(session, broken)
    async with db.session() as session:
        kept = await session.scalar(sa.select(User.id).where(User.email == "kept@example.org"))
    assert kept is not None
