"""Keys the service makes for itself and keeps in its database, so that every worker and every
restart uses the same one (the key that signs cursors when CURSOR_SECRET is not set)."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel, col

from coach_graph import clock
from coach_graph.db import Database
from coach_graph.fields import utc_column
from coach_graph.pagination import Cursors

CURSOR_KEY = "cursor"


class StoredKey(SQLModel, table=True):
    """A random key, made once by the first worker that needed it."""

    __tablename__ = "stored_key"

    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=128)
    created_at: datetime = utc_column(now=True)


async def stored_key(db: Database, name: str) -> str:
    """The stored key `name`. The first worker to ask makes it (32 random bytes); workers
    starting at once each offer one with an INSERT that does nothing when the row exists, then
    all read back the one row that won."""
    which = sa.select(col(StoredKey.value)).where(col(StoredKey.name) == name)
    async with db.read() as session:
        found = await session.scalar(which)
    if found is not None:  # the usual case (the migration made it): a read, no write
        return found
    insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    offer = (
        insert(StoredKey)
        .values(name=name, value=secrets.token_urlsafe(32), created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    async with db.transaction() as session:
        await session.execute(offer)
        value = await session.scalar(which)
    assert value is not None  # inserted above, or by the worker that got there first
    return value


async def open_cursors(db: Database, configured: str | None) -> Cursors:
    """The cursor signer of `db`, set on it and returned: keyed with CURSOR_SECRET when
    configured, else with the key stored in the database."""
    secret = configured or await stored_key(db, CURSOR_KEY)
    db.cursors = Cursors(secret.encode())
    return db.cursors
