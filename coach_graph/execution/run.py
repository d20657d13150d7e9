"""Running a compiled plan, level by level.

All the objects at one depth (the 50 clients of a page) are resolved together: every field of
every object is read or its resolver called first, the awaitables this leaves are awaited
together (one `gather`, or a plain `await` when there is one), and only then does the next
level start. A DataLoader batches what is asked of it in one turn of the loop, so a level's
loads go out as one batch, as they do (or better) under graphql-core. A level that leaves
nothing to await runs on without a coroutine or a task.

The run only builds the successful answer. Whatever graphql-core would answer with an error (a
resolver raising, a null where the type forbids it, a value a scalar cannot represent) raises
out of the run; `discard` then closes what was left unawaited, and the caller lets graphql-core
run the operation (see coach_graph/patches/graphql_core.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from types import CoroutineType
from typing import Any, TypeAlias

from graphql import get_argument_values
from graphql.execution import Executor
from graphql.pyutils import Path

from coach_graph.execution.plan import TYPENAME, FieldPlan, ObjectPlan
from coach_graph.execution.shapes import Abandon, Shape

# An awaitable left by a field or a list item: its shape, and where its answer goes.
Pending: TypeAlias = tuple[Awaitable[Any], Shape, Any, Any, Path | None]
# An object whose fields the next level resolves: its plan, the value, its path, its dict.
Visit: TypeAlias = tuple[ObjectPlan, Any, Path | None, dict[str, Any]]


class Run:
    """One execution of a plan for one executor (its context, variables and resolve info)."""

    __slots__ = (
        "executor",
        "is_async_iterable",
        "is_awaitable",
        "leftovers",
        "next_level",
        "pending",
    )

    def __init__(self, executor: Executor[Any]) -> None:
        self.executor = executor
        self.is_awaitable = executor.is_awaitable
        self.is_async_iterable = executor.is_async_iterable
        self.pending: list[Pending] = []
        self.next_level: list[Visit] = []
        # Awaitables a failed run left behind that are not coroutines (DataLoader futures):
        # the caller awaits them before graphql-core runs.
        self.leftovers: list[Awaitable[Any]] = []

    def execute(self, plan: ObjectPlan, root: Any) -> dict[str, Any] | Awaitable[dict[str, Any]]:
        """The operation's data: at once when nothing had to be awaited, else an awaitable."""
        data: dict[str, Any] = {}
        level: list[Visit] = [(plan, root, None, data)]
        try:
            while level:
                self.next_level = []
                for visit in level:
                    self._resolve(*visit)
                if self.pending:
                    return self._finish(data)
                level = self.next_level
        except BaseException:
            self.discard()
            raise
        return data

    async def _finish(self, data: dict[str, Any]) -> dict[str, Any]:
        try:
            while True:
                while self.pending:
                    await self._settle()
                level, self.next_level = self.next_level, []
                if not level:
                    return data
                for visit in level:
                    self._resolve(*visit)
        except BaseException:
            self.discard()
            raise

    async def _settle(self) -> None:
        """Await what the level left, all at once, and complete each value."""
        pending, self.pending = self.pending, []
        if len(pending) == 1:
            awaitable, shape, container, key, path = pending[0]
            shape.complete(self, await awaitable, container, key, path)
            return
        values = await asyncio.gather(*(p[0] for p in pending), return_exceptions=True)
        for value in values:
            if isinstance(value, Exception):
                raise value
            if isinstance(value, BaseException):  # a resolver cancelled from elsewhere
                raise Abandon("a resolver was cancelled") from value
        for (_, shape, container, key, path), value in zip(pending, values, strict=True):
            shape.complete(self, value, container, key, path)

    def _resolve(
        self, plan: ObjectPlan, source: Any, path: Path | None, out: dict[str, Any]
    ) -> None:
        is_awaitable = self.is_awaitable
        pending = self.pending
        for kind, key, typename, needs_path, read, leaf, plain, non_null, shape, field in plan.rows:
            if kind == TYPENAME:
                out[key] = typename
                continue
            field_path = Path(path, key, typename) if needs_path else None
            value = read(source) if read is not None else self._call(field, source, field_path)
            if leaf is not None and type(value) in plain:  # most fields: a plain leaf
                if value is not None:
                    out[key] = leaf(value)
                elif non_null:
                    raise Abandon("null for a non-null type")
                else:
                    out[key] = None
            elif is_awaitable(value):
                out[key] = None  # its place in the answer's order, filled once awaited
                pending.append((value, shape, out, key, field_path))
            else:
                shape.complete(self, value, out, key, field_path)

    def _call(self, field: FieldPlan, source: Any, path: Path | None) -> Any:
        """The field's resolver, called as graphql-core's `execute_field` calls it."""
        executor = self.executor
        field_def = field.field_def
        assert field_def is not None and path is not None and field.resolve is not None
        info = executor.build_resolve_info(field_def, field.field_nodes, field.parent_type, path)
        arguments = field.arguments
        if arguments is None:
            arguments = get_argument_values(
                field_def,
                field.field_nodes[0],
                executor.variable_values,
                None,
                executor.hide_suggestions,
            )
        return field.resolve(source, info, **arguments)

    def discard(self) -> None:
        """Close the coroutines a failed run never awaited; keep other awaitables for the
        caller to settle."""
        for awaitable, *_ in self.pending:
            if isinstance(awaitable, CoroutineType):
                awaitable.close()
            else:
                self.leftovers.append(awaitable)
        self.pending = []
        self.next_level = []
