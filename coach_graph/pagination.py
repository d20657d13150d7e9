"""Cursor pagination for services: signed keyset cursors and a page of results.

A cursor is the sort key of the last row seen, signed and encoded; services turn it back into a
`WHERE (key) > (cursor)` condition, so pages stay stable while rows are added. Only cursors this
service signed are read back (`Cursors`): an edited or forged one is BAD_USER_INPUT.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
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


_NOT_VALID = "That `after` cursor is not valid here."
SIGNATURE_BYTES = 16  # HMAC-SHA-256 cut to 128 bits
MIN_KEY_BYTES = 16


class Cursors:
    """Signs the cursors this service hands out and reads back only those: a cursor is the
    unpadded URL-safe base64 of a 16-byte HMAC-SHA-256 of its content followed by the content
    (the sort key as JSON). One key for every worker (CURSOR_SECRET, else the key stored in the
    database: `stored_keys.open_cursors`), so any worker reads any worker's cursors."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"a cursor key needs at least {MIN_KEY_BYTES} bytes")
        # HMAC's two keyed SHA-256 states (RFC 2104), computed once: `_signature` continues
        # copies of them, where `hmac.digest` derives them again for every cursor (a third of
        # the cost; a page signs one per edge: My Clients 50, the client detail 70).
        block = hashlib.sha256().block_size
        padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def _signature(self, content: bytes) -> bytes:
        """HMAC-SHA-256 of `content` under the key, cut to SIGNATURE_BYTES."""
        inner = self._inner.copy()
        inner.update(content)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()[:SIGNATURE_BYTES]

    def encode(self, *key: Any) -> str:
        """The cursor of a row whose sort key is `key`."""
        values = [_encode_value(v) for v in key]
        try:
            content = orjson.dumps(values)  # compact JSON, several times faster than json's
        except TypeError:  # what orjson refuses (an integer beyond 64 bits)
            content = json.dumps(values, separators=(",", ":")).encode()
        signed = self._signature(content) + content
        return base64.urlsafe_b64encode(signed).decode().rstrip("=")

    def decode(self, cursor: str | None, arity: int) -> tuple[Any, ...] | None:
        """The key inside a cursor this service signed; anything else (malformed, edited,
        truncated, signed with another key, or of another arity) is BAD_USER_INPUT."""
        if cursor is None:
            return None
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            signed = base64.urlsafe_b64decode(padded.encode("ascii"))
            # One spelling per cursor: base64 admits others (stray bits in the last character).
            if base64.urlsafe_b64encode(signed).decode().rstrip("=") != cursor:
                raise ValueError
            signature, content = signed[:SIGNATURE_BYTES], signed[SIGNATURE_BYTES:]
            if not hmac.compare_digest(signature, self._signature(content)):
                raise ValueError
            values = json.loads(content)
            if not isinstance(values, list) or len(values) != arity:
                raise ValueError
            if any(isinstance(v, int) and not _SQL_INT_MIN <= v <= _SQL_INT_MAX for v in values):
                raise ValueError  # no database column holds it: the cursor was not ours
            return tuple(_decode_value(v) for v in values)
        except (ValueError, TypeError, binascii.Error, UnicodeError) as exc:
            raise BadUserInput(_NOT_VALID) from exc


@dataclass
class Page(Generic[T]):
    """One page: its rows, whether more follow, and a lazy total count. A row's cursor is
    signed when it is asked for (`cursor`): a page read for its nodes signs none."""

    rows: list[T]
    has_next: bool
    count: Callable[[], Awaitable[int]]
    key: Callable[[T], tuple[Any, ...]]
    cursors: Cursors

    def cursor(self, row: T) -> str:
        """The cursor pointing at `row`, one of this page's."""
        return self.cursors.encode(*self.key(row))

    @property
    def end_cursor(self) -> str | None:
        return self.cursor(self.rows[-1]) if self.rows else None

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[T],
        size: int,
        key: Callable[[T], tuple[Any, ...]],
        count: Callable[[], Awaitable[int]],
        cursors: Cursors,
    ) -> Page[T]:
        """Build a page from `size + 1` fetched rows (the extra one says a next page exists)."""
        return cls(list(rows[:size]), len(rows) > size, count, key, cursors)


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

    def decode(self, after: str | None, *, cursors: Cursors) -> tuple[Any, ...] | None:
        """The sort key inside `after` (None for the first page)."""
        values = cursors.decode(after, len(self.keys))
        if values is None:
            return None
        for key, value in zip(self.keys, values, strict=True):
            if not _fits(key.kind, value):
                raise BadUserInput(_NOT_VALID)
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

    def select(self, query: Any, after: str | None, size: int, *, cursors: Cursors) -> Any:
        """`query` ordered, resumed after the cursor, limited to one row more than a page."""
        values = self.decode(after, cursors=cursors)
        query = query.order_by(*self.order_by()).limit(size + 1)
        return query if values is None else query.where(self.after(values))

    @staticmethod
    def page(
        rows: Sequence[T],
        size: int,
        key: Callable[[T], tuple[Any, ...]],
        count: Callable[[], Awaitable[int]],
        *,
        cursors: Cursors,
    ) -> Page[T]:
        """The page of `rows` fetched by `select` (`key` gives a row's sort key)."""
        return Page.from_rows(rows, size, key=key, count=count, cursors=cursors)


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
