"""The one keyset paginator: pages in any order of keys, with no gap or repeat while rows are
added, and cursors checked against the order before any SQL runs."""

from __future__ import annotations

import base64
import json
from uuid import uuid4

import pytest
import sqlalchemy as sa
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.db import Database
from coach_graph.errors import BadUserInput
from coach_graph.pagination import Cursors, Keyset, SortKey

# A signer of its own: these cursors are well signed, so only the order's checks refuse them.
CURSORS = Cursors(b"tests/test_pagination.py key")
BY_NAME_DESC = Keyset(
    SortKey(col(User.name), ascending=False, kind=str),
    SortKey(col(User.id), ascending=True, kind=int),
)


async def _add(db: Database, *names: str) -> None:
    async with db.transaction() as session:
        for name in names:
            session.add(
                User(email=f"{uuid4().hex}@x.org", name=name, role="CLIENT", password_hash="x")
            )


async def _walk(db: Database, size: int, between: list[str] | None = None) -> list[str]:
    seen: list[str] = []
    after: str | None = None
    while True:
        async with db.session() as session:
            query = BY_NAME_DESC.select(sa.select(User), after, size, cursors=db.cursors)
            rows = list((await session.scalars(query)).all())

        async def count() -> int:
            return 0

        page = Keyset.page(
            rows, size, key=lambda u: (u.name, u.id), count=count, cursors=db.cursors
        )
        seen.extend(u.name or "" for u in page.rows)
        if between:  # rows added behind the reader's position do not disturb the walk
            await _add(db, between.pop())
        if not page.has_next:
            return seen
        after = page.end_cursor


async def test_pages_follow_the_order_with_ties_broken_by_id(db: Database) -> None:
    await _add(db, "b", "a", "c", "b", "a", "d")
    assert await _walk(db, 2) == ["d", "c", "b", "b", "a", "a"]


async def test_rows_added_behind_the_reader_neither_repeat_nor_shift_the_walk(db: Database) -> None:
    await _add(db, "m", "n", "o", "p")
    assert await _walk(db, 1, between=["z", "zz", "zzz"]) == ["p", "o", "n", "m"]


@pytest.mark.parametrize(
    "cursor",
    [
        CURSORS.encode(1, 1),  # the name must be text
        CURSORS.encode("a", "1"),  # the id must be a number
        CURSORS.encode("a", True),
        CURSORS.encode("a"),  # one key short
        "not-a-cursor",
        CURSORS.encode("a", 2**70),
    ],
)
def test_a_cursor_that_does_not_fit_the_order_is_refused_before_any_sql(cursor: str) -> None:
    with pytest.raises(BadUserInput):
        BY_NAME_DESC.decode(cursor, cursors=CURSORS)


@pytest.mark.parametrize("name", ["Zoë", "李雷", "Ada \u2028 Lovelace", "emoji \U0001f600"])
def test_a_cursor_over_any_text_reads_back_its_key_whichever_json_spelled_it(name: str) -> None:
    """Cursors are written by orjson (UTF-8 as is); one spelled with json's \\u escapes, as
    cursors were before, still reads back to the same key."""
    assert CURSORS.decode(CURSORS.encode(name, 7), 2) == (name, 7)
    content = json.dumps([name, 7], separators=(",", ":")).encode()
    escaped = base64.urlsafe_b64encode(CURSORS._signature(content) + content)
    assert CURSORS.decode(escaped.decode().rstrip("="), 2) == (name, 7)
