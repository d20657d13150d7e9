"""Cursor pagination for services: opaque keyset cursors and a page of results.

A cursor is the sort key of the last row seen, encoded; services turn it back into a
`WHERE (key) > (cursor)` condition, so pages stay stable while rows are added.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from coach_graph.errors import BadUserInput

T = TypeVar("T")
MAX_PAGE = 100
_SQL_INT_MIN, _SQL_INT_MAX = -(2**63), 2**63 - 1


def page_size(first: int | None, default: int) -> int:
    """`first` checked against the page-size cap of SPEC.md (1 to 100)."""
    size = default if first is None else first
    if size < 1 or size > MAX_PAGE:
        raise BadUserInput(f"`first` must be between 1 and {MAX_PAGE}; got {size}.")
    return size


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"t"}:
        moment = datetime.fromisoformat(value["t"])
        if moment.tzinfo is None:  # every cursor we hand out holds an aware UTC time
            raise ValueError
        return moment
    return value


def encode_cursor(*key: Any) -> str:
    raw = json.dumps([_encode_value(v) for v in key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> tuple[Any, ...] | None:
    """The key inside a cursor; a malformed or foreign cursor is BAD_USER_INPUT."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != arity:
            raise ValueError
        if any(isinstance(v, int) and not _SQL_INT_MIN <= v <= _SQL_INT_MAX for v in values):
            raise ValueError  # no database column holds it: the cursor was not ours
        return tuple(_decode_value(v) for v in values)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadUserInput("That `after` cursor is not valid here.") from exc


@dataclass
class Page(Generic[T]):
    """One page: items with their cursors, whether more follow, and a lazy total count."""

    items: list[tuple[str, T]]
    has_next: bool
    count: Callable[[], Awaitable[int]]

    @property
    def end_cursor(self) -> str | None:
        return self.items[-1][0] if self.items else None

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[T],
        size: int,
        key: Callable[[T], tuple[Any, ...]],
        count: Callable[[], Awaitable[int]],
    ) -> Page[T]:
        """Build a page from `size + 1` fetched rows (the extra one says a next page exists)."""
        has_next = len(rows) > size
        kept = list(rows[:size])
        return cls([(encode_cursor(*key(r)), r) for r in kept], has_next, count)


@dataclass(frozen=True)
class SortKey:
    """One column of a keyset order: its SQL expression, its direction, and the Python type a
    cursor's value for it must have (int, str or an aware datetime)."""

    expression: Any
    ascending: bool
    kind: type


class Keyset:
    """The one paginator of every connection: an order of sort keys (the last one unique), the
    cursors that name a row's place in it, and the `WHERE` that resumes after a cursor.

    A cursor is checked against the order before any SQL runs: a foreign, tampered or
    wrongly-typed one is BAD_USER_INPUT, never a database error."""

    def __init__(self, *keys: SortKey) -> None:
        self.keys = keys

    def decode(self, after: str | None) -> tuple[Any, ...] | None:
        """The sort key inside `after` (None for the first page)."""
        values = decode_cursor(after, len(self.keys))
        if values is None:
            return None
        for key, value in zip(self.keys, values, strict=True):
            if not _fits(key.kind, value):
                raise BadUserInput("That `after` cursor is not valid here.")
        return values

    def order_by(self) -> list[Any]:
        return [k.expression if k.ascending else k.expression.desc() for k in self.keys]

    def after(self, values: tuple[Any, ...]) -> Any:
        """Rows strictly after `values` in this order."""
        return _after(list(self.keys), list(values))

    def after_bound(self) -> Any:
        """Rows strictly after a cursor whose values are the bound parameters `after_0`,
        `after_1`... (a statement prepared once; `bound` gives their values)."""
        names = [
            sa.bindparam(f"after_{i}", type_=k.expression.type) for i, k in enumerate(self.keys)
        ]
        return _after(list(self.keys), names)

    @staticmethod
    def bound(values: tuple[Any, ...]) -> dict[str, Any]:
        """The values of `after_bound`'s parameters for a cursor's key."""
        return {f"after_{i}": value for i, value in enumerate(values)}

    def select(self, query: Any, after: str | None, size: int) -> Any:
        """`query` ordered, resumed after the cursor, limited to one row more than a page."""
        values = self.decode(after)
        query = query.order_by(*self.order_by()).limit(size + 1)
        return query if values is None else query.where(self.after(values))

    @staticmethod
    def page(
        rows: Sequence[T],
        size: int,
        key: Callable[[T], tuple[Any, ...]],
        count: Callable[[], Awaitable[int]],
    ) -> Page[T]:
        """The page of `rows` fetched by `select` (`key` gives a row's sort key)."""
        return Page.from_rows(rows, size, key=key, count=count)


def _fits(kind: type, value: Any) -> bool:
    if kind is datetime:
        return isinstance(value, datetime) and value.tzinfo is not None
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _after(keys: list[SortKey], values: list[Any]) -> Any:
    first, *rest = keys
    value = values[0]
    column = first.expression
    beyond = column > value if first.ascending else column < value
    if not rest:
        return beyond
    return sa.or_(beyond, sa.and_(column == value, _after(rest, values[1:])))
