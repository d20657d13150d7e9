"""How a resolved value becomes its part of the answer: one shape per GraphQL output type of a
compiled plan (non-null, list, leaf, object), each completing a value as graphql-core's
`Executor.complete_value` does on the successful path.

A shape never reports an error itself: where graphql-core would record one (a null for a
non-null type, a value a scalar cannot represent, a list that is not iterable) it raises, and
the whole compiled run is abandoned for graphql-core's own answer (see `run.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from math import isfinite
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLString,
)
from graphql.pyutils import Path, Undefined, is_iterable

if TYPE_CHECKING:
    from coach_graph.execution.plan import ObjectPlan
    from coach_graph.execution.run import Run

# graphql-core's bounds of Int (a 32-bit signed integer).
MIN_INT = -(2**31)
MAX_INT = 2**31 - 1


class Abandon(Exception):
    """The compiled run stops here: graphql-core answers the operation instead (an error, a null
    where none may be, or anything the plan does not handle)."""


class Shape:
    """Completes one resolved, non-awaitable value into `container[key]`; `path` is the
    value's response path when something below it needs one (a resolver's `info.path`)."""

    __slots__ = ()

    def complete(self, run: Run, value: Any, container: Any, key: Any, path: Path | None) -> None:
        raise NotImplementedError


class NonNull(Shape):
    __slots__ = ("of",)

    def __init__(self, of: Shape) -> None:
        self.of = of

    def complete(self, run: Run, value: Any, container: Any, key: Any, path: Path | None) -> None:
        if value is None:
            raise Abandon("null for a non-null type")
        self.of.complete(run, value, container, key, path)


class ListOf(Shape):
    __slots__ = ("of",)

    def __init__(self, of: Shape) -> None:
        self.of = of

    def complete(self, run: Run, value: Any, container: Any, key: Any, path: Path | None) -> None:
        if value is None:
            container[key] = None
            return
        if not isinstance(value, (list, tuple)):
            if (
                isinstance(value, Exception)
                or run.is_async_iterable(value)
                or not is_iterable(value)
            ):
                raise Abandon("not a list")
            value = list(value)
        items: list[Any] = [None] * len(value)
        container[key] = items
        item_shape = self.of
        is_awaitable = run.is_awaitable
        for index, item in enumerate(value):
            item_path = None if path is None else Path(path, index, None)
            if is_awaitable(item):
                run.pending.append((item, item_shape, items, index, item_path))
            else:
                item_shape.complete(run, item, items, index, item_path)


class Leaf(Shape):
    """A scalar or enum: `coerce` is the type's `coerce_output_value`, with a shortcut for the
    values that graphql-core's built-in scalars and strawberry's enums return unchanged."""

    __slots__ = ("coerce",)

    def __init__(self, leaf_type: GraphQLLeafType) -> None:
        self.coerce = leaf_coercer(leaf_type)

    def complete(self, run: Run, value: Any, container: Any, key: Any, path: Path | None) -> None:
        if value is None:
            container[key] = None
            return
        container[key] = self.coerce(value)


class ObjectShape(Shape):
    """An object: its dict takes its place in the answer now (keeping the order of keys), and its
    fields are resolved with the rest of the next level (see `Run`)."""

    __slots__ = ("plan",)

    def __init__(self, plan: ObjectPlan) -> None:
        self.plan = plan

    def complete(self, run: Run, value: Any, container: Any, key: Any, path: Path | None) -> None:
        if value is None:
            container[key] = None
            return
        if isinstance(value, Exception):
            raise Abandon("an exception returned as a value")
        fields: dict[str, Any] = {}
        container[key] = fields
        run.next_level.append((self.plan, value, path, fields))


def _checked(coerce: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """graphql-core's `complete_leaf_value`: a coerced null is an error, and so is an exception
    returned as a value."""

    def coerce_checked(value: Any) -> Any:
        if isinstance(value, Exception):
            raise Abandon("an exception returned as a value")
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Abandon("a leaf coerced to null")
        return coerced

    return coerce_checked


def leaf_coercer(leaf_type: GraphQLLeafType) -> Callable[[Any], Any]:
    """The coercion of `leaf_type`'s output values. The shortcuts give what the type's own
    coercion gives for those values (the value itself), checked by the type of the value."""
    general = _checked(leaf_type.coerce_output_value)
    if leaf_type is GraphQLString or leaf_type is GraphQLID:
        return lambda value: value if type(value) is str else general(value)
    if leaf_type is GraphQLBoolean:
        return lambda value: value if type(value) is bool else general(value)
    if leaf_type is GraphQLInt:
        return lambda value: (
            value if type(value) is int and MIN_INT <= value <= MAX_INT else general(value)
        )
    if leaf_type is GraphQLFloat:
        return lambda value: value if type(value) is float and isfinite(value) else general(value)
    wrapped = getattr(leaf_type, "wrapped_cls", None)
    if isinstance(leaf_type, GraphQLEnumType) and isinstance(wrapped, type):
        # strawberry's enum type scans its values for each member it coerces: the answer for
        # each member of the Python enum, once.
        names = _member_names(wrapped, general)

        def coerce_member(value: Any) -> Any:
            if type(value) is wrapped and value in names:
                return names[value]
            return general(value)

        return coerce_member
    return general


def _member_names(cls: type, coerce: Callable[[Any], Any]) -> dict[Any, Any]:
    names: dict[Any, Any] = {}
    for member in cls if issubclass(cls, Enum) else ():
        try:
            names[member] = coerce(member)
        except Exception:  # a member the GraphQL enum leaves out: coerced (and refused) each time
            continue
    return names
