"""Prepared reads: a SELECT built once, at import, and compiled once per dialect; each request
then only binds its values and runs it on the driver in one round trip.

Building a statement per request (`sa.select(...).where(...)`), generating its cache key and
loading ORM entities cost more CPU than the SQL itself on this service's pages. A `Read` holds
its statement with `sa.bindparam` placeholders (expanding ones for `IN` lists); its first use on
a dialect compiles it and picks the column types' result processors; every use binds the
parameters through the compiled form (`construct_params`, or `construct_expanded_state` for
`IN` lists) and asks the driver directly: SQLite on the event loop's thread (no hop to
aiosqlite's: patches/aiosqlite.py `fetch_on_loop`) or asyncpg's `fetch` (its statement cache,
one round trip). Rows come back
through the same result processors SQLAlchemy would apply (UTC datetimes, booleans, JSON), and
`entities()` shapes them into the model's instances, detached, as a closed session leaves them;
`records()` into lighter read-only records of the same attributes, for pages that only display.

Reads run on `Database.connection()`: inside a request's read scope, the request's one
connection. The engine's `before_cursor_execute` / `after_cursor_execute` events are fired for
every statement (with `cursor` and `context` None), so statement counts and SQL timing see them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, make_dataclass
from typing import Any, Generic, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql.compiler import SQLCompiler

from coach_graph.db import Database
from coach_graph.patches.aiosqlite import ON_LOOP, fetch_on_loop

R = TypeVar("R")
M = TypeVar("M")

Row = Sequence[Any]
Processor = Callable[[Any], Any]

# asyncpg's type codes for float8 and numeric: PostgreSQL's numeric result processors ask
# which one the driver returns (the other types ignore the code).
_PG_FLOAT, _PG_NUMERIC = 701, 1700


def _result_processor(type_: sa.types.TypeEngine[Any], dialect: Dialect) -> Processor | None:
    impl = type_.dialect_impl(dialect)
    code = None
    if dialect.name == "postgresql" and isinstance(type_, (sa.Float, sa.Numeric)):
        code = _PG_FLOAT if isinstance(type_, sa.Float) else _PG_NUMERIC
    return impl.result_processor(dialect, code)


@dataclass(frozen=True, slots=True)
class _Text:
    """The SQL text for one set of `IN`-list lengths, and where each positional value comes
    from: (parameter name, index in its list or None, bind processor)."""

    sql: str
    slots: tuple[tuple[str, int | None, Processor | None], ...]


_DRIVERS = ("aiosqlite", "asyncpg")  # the drivers `run` asks directly
_MAX_TEXTS = 256  # SQL texts kept per statement and dialect (one per set of IN-list lengths)


class _Plan:
    """A statement compiled for one dialect."""

    def __init__(self, statement: sa.Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.statement = statement
        self.compiled = compiled
        self.driver = dialect.driver
        # Expanding parameters (IN lists, constant ones included): their lengths pick the text.
        self.lists = tuple(name for name, b in compiled.binds.items() if b.expanding)
        self.texts: dict[tuple[int, ...], _Text] = {}
        self.processors = tuple(
            (i, p)
            for i, column in enumerate(statement.selected_columns)
            if (p := _result_processor(column.type, dialect)) is not None
        )

    def bind(self, params: dict[str, Any]) -> tuple[str, list[Any]]:
        """The SQL text and its positional values for `params`."""
        values = self.compiled.construct_params(params)
        lengths = tuple(len(values[name]) for name in self.lists)
        text = self.texts.get(lengths)
        if text is None:
            text = self._text(values, lengths)
        out = []
        for name, index, process in text.slots:
            value = values[name] if index is None else values[name][index]
            out.append(value if process is None or value is None else process(value))
        return text.sql, out

    def _text(self, values: Mapping[str, Any], lengths: tuple[int, ...]) -> _Text:
        state = self.compiled.construct_expanded_state(values)
        # As SQLAlchemy's execution does: the compiled form's processors, and those of the
        # parameters an IN list expanded into.
        processors = {name: p for name, p in self.compiled._bind_processors.items() if callable(p)}
        processors.update(state.processors)
        origin: dict[str, tuple[str, int | None]] = {
            expanded: (name, i)
            for name, names in state.parameter_expansion.items()
            for i, expanded in enumerate(names)
        }
        slots = tuple(
            (*origin.get(name, (name, None)), processors.get(name))
            for name in state.positiontup or ()
        )
        if len(self.texts) >= _MAX_TEXTS:
            self.texts.clear()
        text = self.texts[lengths] = _Text(state.statement, slots)
        return text

    def shape(self, rows: Iterable[Row]) -> list[Row]:
        """Rows through the columns' result processors."""
        if not self.processors:
            return list(rows)
        shaped: list[Row] = []
        for row in rows:
            values = list(row)
            for i, process in self.processors:
                values[i] = process(values[i])
            shaped.append(values)
        return shaped


class Read(Generic[R]):
    """A SELECT prepared once; `all(db, **values)` runs it with its bound parameters."""

    def __init__(self, statement: sa.Select[Any], shape: Callable[[Row], R]) -> None:
        self.statement = statement
        self._shape = shape
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _Plan(self.statement, dialect)
        return plan

    async def all(self, db: Database, **params: Any) -> list[R]:
        """Every row, shaped."""
        idle = db.connection_now()
        sync = idle.sync_connection if idle is not None else None
        if sync is not None and sync.info.get(ON_LOOP):  # at once: no turn, no await
            plan = self._plan(sync.dialect)
            rows = plan.shape(fetch_now(sync, plan, params))
        else:
            async with db.connection() as conn:
                rows = await run(conn, self._plan(conn.dialect), params)
        shape = self._shape
        return [shape(r) for r in rows]

    async def unshaped(self, db: Database, **params: Any) -> tuple[list[Row], Callable[[Row], R]]:
        """Every row as the driver returned it, and the function that shapes one (the columns'
        result processors, then the read's shape): for a caller that answers most rows from a
        cache keyed by their raw values and shapes only the others."""
        async with db.connection() as conn:
            plan = self._plan(conn.dialect)
            if plan.driver not in _DRIVERS:  # SQLAlchemy's execution processed them already
                return await run(conn, plan, params), self._shape
            raw = await fetch(conn, plan, params)
        shape = self._shape

        def shaped(row: Row) -> R:
            return shape(plan.shape((row,))[0])

        return raw, shaped

    async def first(self, db: Database, **params: Any) -> R | None:
        """The first row, shaped, or None."""
        found = await self.all(db, **params)
        return found[0] if found else None


async def run(conn: AsyncConnection, plan: _Plan, params: dict[str, Any]) -> list[Row]:
    """Run a plan on `conn`'s driver connection, firing the engine's cursor events; the rows
    through the columns' result processors."""
    if plan.driver not in _DRIVERS:  # SQLAlchemy's own execution (its events fire there)
        return [tuple(r) for r in (await conn.execute(plan.statement, params)).all()]
    return plan.shape(await fetch(conn, plan, params))


async def fetch(conn: AsyncConnection, plan: _Plan, params: dict[str, Any]) -> list[Row]:
    """Run a plan on one of `_DRIVERS` as `run` does; the rows as the driver returned them."""
    sync = conn.sync_connection
    assert sync is not None
    if plan.driver == "aiosqlite" and sync.info.get(ON_LOOP):
        return fetch_now(sync, plan, params)
    sql, values = plan.bind(params)
    _before(sync, sql, values)
    driver: Any = sync.connection.driver_connection
    raw: Iterable[Row]
    if plan.driver == "aiosqlite":
        raw = await driver.execute_fetchall(sql, values)
    else:
        raw = await driver.fetch(sql, *values)
    _after(sync, sql, values)
    return list(raw)


def fetch_now(sync: Connection, plan: _Plan, params: dict[str, Any]) -> list[Row]:
    """`fetch` on a pooled SQLite connection: on this thread, at once (patches/aiosqlite.py)."""
    sql, values = plan.bind(params)
    _before(sync, sql, values)
    raw = fetch_on_loop(sync.connection.driver_connection, sql, values)
    _after(sync, sql, values)
    return raw


def _before(sync: Connection, sql: str, values: list[Any]) -> None:
    if sync.dispatch.before_cursor_execute:
        sync.dispatch.before_cursor_execute(sync, None, sql, values, None, False)


def _after(sync: Connection, sql: str, values: list[Any]) -> None:
    if sync.dispatch.after_cursor_execute:
        sync.dispatch.after_cursor_execute(sync, None, sql, values, None, False)


def rows(statement: sa.Select[Any]) -> Read[Row]:
    """A read whose rows are sequences of column values, in the statement's column order."""
    return Read(statement, _as_is)


def _as_is(row: Row) -> Row:
    return row


class Entity(Generic[M]):
    """Builds a model's instances from row values (its table's columns, in order, from
    `offset`), detached like the instances a closed session leaves behind."""

    def __init__(self, model: type[M], offset: int = 0) -> None:
        mapper: Mapper[M] = sa.inspect(model)
        self.columns = tuple(mapper.local_table.c)
        self.keys = _attribute_keys(mapper)
        (pk,) = mapper.primary_key
        self.pk_index = self.columns.index(pk)
        self.offset = offset
        self.end = offset + len(self.columns)
        self._new = mapper.class_manager.new_instance
        self._identity = mapper.identity_key_from_primary_key

    def __call__(self, row: Row) -> M:
        values = row[self.offset : self.end]
        instance = self._new()
        instance.__dict__.update(zip(self.keys, values, strict=True))
        instance_state(instance).key = self._identity((values[self.pk_index],))
        return instance


class Record:
    """One row of a model's table, read for display: the model's attribute names over the row's
    values, and nothing else (see `records`)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.__dict__.get('id')}>"


class Records(Generic[M]):
    """Builds a model's records from row values (its table's columns, in order, from `offset`)."""

    def __init__(self, model: type[M], offset: int = 0) -> None:
        keys = _attribute_keys(sa.inspect(model))
        self.offset = offset
        self.end = offset + len(keys)
        # A dataclass for its generated __init__: the values in column order, assigned in one
        # call (~0.3 us for 23 columns, where updating a new object's __dict__ took ~1.5 us).
        self._class = make_dataclass(
            f"{model.__name__}Record", keys, bases=(Record,), repr=False, eq=False
        )

    def __call__(self, row: Row) -> M:
        return cast(M, self._class(*row[self.offset : self.end]))


def _attribute_keys(mapper: Mapper[Any]) -> tuple[str, ...]:
    return tuple(mapper.get_property_by_column(c).key for c in mapper.local_table.c)


def records(model: type[M], statement: sa.Select[Any]) -> Read[M]:
    """A read of `model`'s rows as records, for a page that reads many rows and writes none:
    the same attributes as `entities` gives, typed as the model, at a fraction of the cost (an
    ORM instance took ~3 us to build and ~0.2 us an attribute read, a record ~0.3 us and ~0.04 us:
    12 % of a client's history page). Unlike a detached instance a record cannot join a unit of
    work (it has no ORM state), and it equals only itself. `statement` selects `columns(model)`."""
    return Read(statement, Records(model))


def columns(*models: type[Any]) -> list[sa.Column[Any]]:
    """Every column of each model's table, in order (what `Entity` reads)."""
    return [c for model in models for c in table(model).c]


def entities(model: type[M], statement: sa.Select[Any]) -> Read[M]:
    """A read of whole instances of `model`; `statement` selects `columns(model)`."""
    return Read(statement, Entity(model))


def table(model: type[Any]) -> sa.Table:
    """A model's table, for Core statements."""
    found = sa.inspect(model).local_table
    assert isinstance(found, sa.Table)
    return found
