"""Domain events (coach_graph/events.py): handlers run inside the change's transaction."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from coach_graph import events
from coach_graph.db import Database
from coach_graph.stored_keys import StoredKey


@dataclass(frozen=True)
class _Named:
    name: str


@dataclass(frozen=True)
class _Echoed:
    name: str


async def _store(session: AsyncSession, event: _Named) -> None:
    session.add(StoredKey(name=f"reacted-{event.name}", value="x"))
    events.record(session, _Echoed(event.name))


async def _store_echo(session: AsyncSession, event: _Echoed) -> None:
    session.add(StoredKey(name=f"echoed-{event.name}", value="x"))


async def _refuse(session: AsyncSession, event: _Named) -> None:
    if event.name == "refused":
        raise ValueError("refused by a reaction")


events.subscribe(_Named, _store)
events.subscribe(_Named, _store)  # subscribing twice changes nothing
events.subscribe(_Named, _refuse)
events.subscribe(_Echoed, _store_echo)


async def _names(db: Database) -> set[str]:
    async with db.session() as session:
        return set((await session.execute(select(StoredKey.name))).scalars())


async def test_reactions_commit_with_the_change_and_run_the_events_they_record(
    db: Database,
) -> None:
    assert events.handlers_of(_Named) == (_store, _refuse)
    async with db.transaction() as session:
        session.add(StoredKey(name="change-a", value="x"))
        events.record(session, _Named("a"))
    assert {"change-a", "reacted-a", "echoed-a"} <= await _names(db)


async def test_a_rolled_back_change_runs_no_reaction(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            events.record(session, _Named("b"))
            raise RuntimeError("the change fails")
    assert not {"reacted-b", "echoed-b"} & await _names(db)


async def test_a_reaction_that_raises_refuses_the_change(db: Database) -> None:
    with pytest.raises(ValueError, match="refused by a reaction"):
        async with db.transaction() as session:
            session.add(StoredKey(name="change-refused", value="x"))
            events.record(session, _Named("refused"))
    assert not {"change-refused", "reacted-refused"} & await _names(db)


async def test_an_event_in_a_process_never_wired_refuses_the_change(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script that forgot `reactions.wire()` fails loudly instead of losing the reactions."""
    monkeypatch.setattr(events, "_wired", False)
    with pytest.raises(events.NotWired):
        async with db.transaction() as session:
            session.add(StoredKey(name="change-unwired", value="x"))
            events.record(session, _Named("unwired"))
    assert "change-unwired" not in await _names(db)
