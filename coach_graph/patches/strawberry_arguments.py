"""strawberry's argument conversion, worked out once per field instead of at every call.

Written for strawberry-graphql 0.341.2 (pinned in pyproject.toml; the guard test
tests/patches/test_strawberry_arguments.py fails when the version moves or when the upstream
code this stands in for changes).

Before calling a resolver, strawberry's `convert_arguments` turns graphql-core's coerced values
into the resolver's Python values (input objects into their classes). It works the types out
at every call: each argument's and input field's annotation resolved again, each name
camel-cased again, each type asked which of ten kinds it is. On a client's history page that
was ~6 % of the request for `client(id:)` and `sessions(filter:, sort:, first:)`.

`convert_arguments` here does the same conversion from a plan made the first time it meets a
field's list of arguments (fixed once the schema is built): per argument, its GraphQL name and
a converter built of the steps upstream's `convert_argument` takes for that type, in its order
(null and UNSET kept; Optional unwrapped; lists of leaves copied, other lists converted item by
item; leaves and enums as they are; an input object built from its converted fields, the
fields it lacks None). An argument whose type takes a step the plan does not copy (Maybe,
GlobalID, an input type with its own `from_input`, a type upstream refuses) is converted by
upstream's `convert_argument` at each call, as before. `convert_arguments_once_planned()` puts
it in place of upstream's in strawberry's schema converter, its one caller on the request path.

To remove: drop the `convert_arguments_once_planned()` call (schema.py), this module and its
guard test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

import strawberry.schema.schema_converter as schema_converter
from strawberry.relay.types import GlobalID
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import (
    StrawberryArgument,
    _is_leaf_type,
    _is_optional_leaf_type,
    convert_argument,
)
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import has_enum_definition
from strawberry.types.info import Info
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

# The upstream versions this module was written for (pinned in pyproject.toml).
WRITTEN_FOR = {"strawberry-graphql": "0.341.2"}

Converter = Callable[[Any], Any]
Scalars = Mapping[object, Any]


class _NotPlanned(Exception):
    """A type whose conversion the plan leaves to upstream's `convert_argument`."""


def _keeping_null(convert: Converter) -> Converter:
    """Null and UNSET as they are (upstream's first steps for a type that is not Optional)."""

    def converted(value: Any) -> Any:
        return value if value is None or value is UNSET else convert(value)

    return converted


def _as_is(value: Any) -> Any:
    return value


def converter(type_: Any, scalars: Scalars, config: StrawberryConfig) -> Converter:
    """What upstream's `convert_argument` does with a value of `type_`, decided now."""
    if isinstance(type_, StrawberryMaybe):
        raise _NotPlanned
    if isinstance(type_, StrawberryOptional):
        return converter(type_.of_type, scalars, config)
    if isinstance(type_, StrawberryList):
        of = type_.of_type
        skip = (GlobalID,)
        if _is_leaf_type(of, scalars, skip) or _is_optional_leaf_type(of, scalars, skip):
            return _keeping_null(list)  # copied: graphql-core shares defaults between requests
        item = converter(of, scalars, config)
        return _keeping_null(lambda values: [item(x) for x in values])
    if _is_leaf_type(type_, scalars):
        if type_ is GlobalID:
            raise _NotPlanned
        return _keeping_null(_as_is)
    if isinstance(type_, LazyType):
        return converter(type_.resolve_type(), scalars, config)
    if has_enum_definition(type_):
        return converter(type_.__strawberry_definition__, scalars, config)
    if has_object_definition(type_):
        return _keeping_null(_input_object(type_, scalars, config))
    raise _NotPlanned


def _input_object(cls: type, scalars: Scalars, config: StrawberryConfig) -> Converter:
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    if definition.from_input is not None:
        raise _NotPlanned
    unset: dict[str, Any] = {}
    if definition.is_input:  # fields without a default are None unless given
        unset = {
            f.python_name: None
            for f in definition.fields
            if f.default_value is MISSING and f.default_factory is MISSING
        }
    fields = tuple(
        (
            config.name_converter.from_field(f),
            f.python_name,
            converter(f.resolve_type(type_definition=definition), scalars, config),
        )
        for f in definition.fields
    )

    def build(value: Mapping[str, Any]) -> Any:
        kwargs = dict(unset)
        for name, python_name, convert in fields:
            if name in value:
                kwargs[python_name] = convert(value[name])
        return cls(**kwargs)

    return build


class _Plan:
    """One list of arguments planned: (GraphQL name, Python name, converter or None, argument)."""

    __slots__ = ("arguments", "config", "scalars", "steps")

    def __init__(
        self, arguments: list[StrawberryArgument], scalars: Scalars, config: StrawberryConfig
    ) -> None:
        self.arguments, self.scalars, self.config = arguments, scalars, config
        steps = []
        for argument in arguments:
            assert argument.python_name
            try:
                convert: Converter | None = converter(argument.type, scalars, config)
            except _NotPlanned:
                convert = None
            name = config.name_converter.from_argument(argument)
            steps.append((name, argument.python_name, convert, argument))
        self.steps = tuple(steps)


# By the list's id; the plan holds the list, so an id is never reused while it is planned. One
# entry per field with arguments of each schema built in the process.
_PLANS: dict[int, _Plan] = {}


def convert_arguments(
    value: dict[str, Any],
    arguments: list[StrawberryArgument],
    scalar_registry: Scalars,
    config: StrawberryConfig,
    info: Info | None = None,
) -> dict[str, Any]:
    """Upstream's `convert_arguments`, from the arguments' plan."""
    if not arguments:
        return {}
    plan = _PLANS.get(id(arguments))
    if plan is None or plan.scalars is not scalar_registry or plan.config is not config:
        plan = _PLANS[id(arguments)] = _Plan(arguments, scalar_registry, config)
    kwargs = {}
    for name, python_name, convert, argument in plan.steps:
        if name in value:
            current = value[name]
            if convert is not None:
                kwargs[python_name] = convert(current)
            else:
                kwargs[python_name] = convert_argument(
                    value=current,
                    type_=argument.type,
                    config=config,
                    scalar_registry=scalar_registry,
                    info=info,
                    path=(name,),
                )
    return kwargs


def convert_arguments_once_planned() -> None:
    """Resolvers' arguments converted from plans (strawberry's schema converter, the whole
    process)."""
    schema_converter.convert_arguments = convert_arguments  # type: ignore[attr-defined]
