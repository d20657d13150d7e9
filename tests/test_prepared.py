"""Prepared reads (coach_graph/prepared.py): statements built once, bound per use, run on the
driver, rows shaped by the column types; and the read scope's one connection they run on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm.attributes import instance_state

from coach_graph.accounts.models import User
from coach_graph.db import Database
from coach_graph.journals.models import JournalEntry
from coach_graph.prepared import columns, entities, records, rows, table
from tests.conftest import Practice, count_statements

_users, _entries = table(User), table(JournalEntry)
USERS_BY_ID = entities(
    User,
    sa.select(*columns(User))
    .where(_users.c.id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_users.c.id),
)
USER_RECORDS = records(
    User,
    sa.select(*columns(User))
    .where(_users.c.id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_users.c.id),
)
ENTRIES_SINCE = rows(
    sa.select(_entries.c.id, _entries.c.created_at, _entries.c.themes)
    .where(
        _entries.c.client_id == sa.bindparam("client_id"),
        _entries.c.created_at >= sa.bindparam("since"),
    )
    .order_by(_entries.c.created_at)
)
PREMIUM = rows(sa.select(_users.c.is_premium).where(_users.c.id == sa.bindparam("id")))
# abs() of the smallest 64-bit integer overflows on SQLite and PostgreSQL alike.
OVERFLOW = rows(sa.select(sa.func.abs(sa.bindparam("n", type_=sa.BigInteger))))


async def _entry(db: Database, client_id: int, at: datetime, themes: list[str]) -> int:
    async with db.transaction() as session:
        entry = JournalEntry(client_id=client_id, created_at=at, content="x", themes=themes)
        session.add(entry)
        await session.flush()
        assert entry.id is not None
        return entry.id


async def test_in_lists_of_any_length_find_exactly_their_rows(
    db: Database, practice: Practice
) -> None:
    users = [await practice.coach(f"Coach {i}") for i in range(4)]
    ids = [u.id for u in users]
    assert [u.id for u in await USERS_BY_ID.all(db, ids=ids[:1])] == ids[:1]
    assert [u.id for u in await USERS_BY_ID.all(db, ids=ids)] == ids
    assert [u.id for u in await USERS_BY_ID.all(db, ids=ids[1:3])] == ids[1:3]
    assert await USERS_BY_ID.all(db, ids=[]) == []


async def test_datetimes_are_bound_and_read_back_as_aware_utc(
    db: Database, practice: Practice
) -> None:
    client = await practice.client()
    assert client.id is not None
    t0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    first = await _entry(db, client.id, t0, ["sleep"])
    second = await _entry(db, client.id, t0 + timedelta(hours=1), ["work", "family"])
    # The same moment in another offset selects the same rows.
    since = (t0 + timedelta(minutes=30)).astimezone(timezone(timedelta(hours=5, minutes=30)))
    found = await ENTRIES_SINCE.all(db, client_id=client.id, since=since)
    assert [tuple(r) for r in found] == [(second, t0 + timedelta(hours=1), ["work", "family"])]
    assert found[0][1].tzinfo is not None and found[0][1].utcoffset() == timedelta(0)
    everything = await ENTRIES_SINCE.all(db, client_id=client.id, since=t0)
    assert [r[0] for r in everything] == [first, second]


async def test_unshaped_rows_shape_one_by_one_into_what_all_returns(
    db: Database, practice: Practice
) -> None:
    client = await practice.client()
    assert client.id is not None
    t0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    await _entry(db, client.id, t0, ["sleep"])
    await _entry(db, client.id, t0 + timedelta(hours=1), ["work"])
    raw, shape = await ENTRIES_SINCE.unshaped(db, client_id=client.id, since=t0)
    shaped = [tuple(shape(r)) for r in raw]
    assert shaped == [tuple(r) for r in await ENTRIES_SINCE.all(db, client_id=client.id, since=t0)]
    assert shaped[0][1] == t0 and shaped[1][2] == ["work"]


async def test_booleans_come_back_as_booleans(db: Database, practice: Practice) -> None:
    premium = await practice.client(is_premium=True)
    plain = await practice.client()
    (yes,) = await PREMIUM.first(db, id=premium.id) or (None,)
    (no,) = await PREMIUM.first(db, id=plain.id) or (None,)
    assert yes is True and no is False


async def test_entities_are_detached_instances_equal_to_what_the_orm_loads(
    db: Database, practice: Practice
) -> None:
    coach = await practice.coach("Ada")
    (prepared,) = await USERS_BY_ID.all(db, ids=[coach.id])
    async with db.session() as session:
        loaded = await session.get(User, coach.id)
        assert loaded is not None
        expected = {c.key: getattr(loaded, c.key) for c in _users.c}
    assert {c.key: getattr(prepared, c.key) for c in _users.c} == expected
    state = instance_state(prepared)
    assert state.detached and state.key == (User, (coach.id,), None)
    # Like any detached instance, it can join a unit of work and be changed.
    async with db.transaction() as session:
        session.add(prepared)
        prepared.name = "Ada L."
    (again,) = await USERS_BY_ID.all(db, ids=[coach.id])
    assert again.name == "Ada L."


async def test_records_hold_what_the_orm_loads_for_concurrent_readers_and_no_orm_state(
    db: Database, practice: Practice
) -> None:
    people = [await practice.coach("Ada"), await practice.client(name="Grace", is_premium=True)]
    ids = [p.id for p in people]
    async with db.session() as session:
        loaded = [await session.get(User, i) for i in ids]
        expected = [{c.key: getattr(u, c.key) for c in _users.c} for u in loaded]

    answers = await asyncio.gather(*(USER_RECORDS.all(db, ids=ids) for _ in range(20)))

    for found in answers:
        assert [{c.key: getattr(r, c.key) for c in _users.c} for r in found] == expected
    record = answers[0][0]
    assert type(record).__name__ == "UserRecord" and repr(record) == f"<UserRecord {ids[0]}>"
    assert record != answers[1][0]  # each read's own record, equal only to itself
    assert sa.inspect(record, raiseerr=False) is None  # no ORM state: not for a unit of work


async def test_every_prepared_read_is_counted_as_a_statement(
    db: Database, practice: Practice
) -> None:
    coach = await practice.coach()
    with count_statements(db) as statements:
        await USERS_BY_ID.all(db, ids=[coach.id])
        await PREMIUM.first(db, id=coach.id)
    assert len(statements) == 2
    assert statements[0].startswith("SELECT user_account.id")


async def test_a_read_scope_checks_out_one_connection_for_all_its_reads(
    db: Database, practice: Practice
) -> None:
    coach = await practice.coach()
    checkouts: list[object] = []

    def checkout(*_: object) -> None:
        checkouts.append(object())

    event.listen(db.engine.sync_engine, "checkout", checkout)
    try:
        async with db.read_scope():
            for _ in range(5):
                await USERS_BY_ID.all(db, ids=[coach.id])
            async with db.session() as session:
                await session.get(User, coach.id)
        assert len(checkouts) == 1
        await USERS_BY_ID.all(db, ids=[coach.id])  # outside a scope: a connection of its own
        assert len(checkouts) == 2
    finally:
        event.remove(db.engine.sync_engine, "checkout", checkout)


async def test_a_failed_read_spoils_no_later_read_of_the_scope(
    db: Database, practice: Practice
) -> None:
    coach = await practice.coach()
    async with db.read_scope():
        with pytest.raises(Exception, match=r"(?i)overflow|out of range"):
            await OVERFLOW.all(db, n=-(2**63))
        assert [u.id for u in await USERS_BY_ID.all(db, ids=[coach.id])] == [coach.id]
        async with db.session() as session:
            assert (await session.get(User, coach.id)) is not None


async def test_a_read_waits_while_another_task_has_the_scopes_turn(
    db: Database, practice: Practice
) -> None:
    """A prepared read runs at once on the scope's connection only when nobody has its turn:
    while another task holds the scope's session across awaits, the read waits for it."""
    coach = await practice.coach()
    held, release = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def holder() -> None:
        async with db.read() as session:
            await session.get(User, coach.id)
            held.set()
            await release.wait()
            order.append("holder done")

    async def reader() -> None:
        await held.wait()
        assert [u.id for u in await USERS_BY_ID.all(db, ids=[coach.id])] == [coach.id]
        order.append("read")

    async with db.read_scope():
        await USERS_BY_ID.all(db, ids=[coach.id])  # the scope's connection is checked out
        tasks = [asyncio.create_task(holder()), asyncio.create_task(reader())]
        await held.wait()
        for _ in range(5):
            await asyncio.sleep(0)
        assert order == []  # the reader waits for the holder's turn
        release.set()
        await asyncio.gather(*tasks)
    assert order == ["holder done", "read"]
