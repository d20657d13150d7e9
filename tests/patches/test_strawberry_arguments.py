"""Guard for coach_graph/patches/strawberry_arguments.py: the installed strawberry is the version it
was written for, the upstream code it stands in for is unchanged, and planned conversion gives
what upstream's gives for every argument of the schema, and for the kinds it leaves to upstream."""

from __future__ import annotations

import inspect
from enum import Enum
from typing import Annotated, Any

import pytest
import strawberry
import strawberry.schema.schema_converter as schema_converter
import strawberry.types.arguments as upstream
from strawberry.relay.types import GlobalID
from strawberry.types.base import StrawberryList, StrawberryOptional, has_object_definition
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

from coach_graph.patches.strawberry_arguments import (
    WRITTEN_FOR,
    convert_arguments,
    convert_arguments_once_planned,
)
from coach_graph.schema import build_schema
from tests.patches.pins import assert_written_for, source_digest

# sha256 of upstream's source in strawberry-graphql 0.341.2: the conversion the plans copy, and
# the one caller on the request path, which calls `convert_arguments` by its module-level name.
UPSTREAM = {
    "convert_argument": (
        upstream.convert_argument,
        "a11a22f213be34f49c0b9dcf4504821a212b6df8b9d098c459508df7255c920b",
    ),
    "convert_arguments": (
        upstream.convert_arguments,
        "c1f343b7611e0f7822771b909c6521d8318300e6108cd49bed2db29ef5460b0b",
    ),
    "_is_leaf_type": (
        upstream._is_leaf_type,
        "fd08de1708c3e180d61e3b891820444c43338d7c5534824d47adf7e5a540cc40",
    ),
    "_is_optional_leaf_type": (
        upstream._is_optional_leaf_type,
        "b78ccb14fc9fbde319a7f808b3bf0682e99035445e8652aa28183a4eaa80de78",
    ),
}


def test_the_installed_strawberry_is_the_version_the_module_was_written_for() -> None:
    assert_written_for(WRITTEN_FOR)


@pytest.mark.parametrize("name", sorted(UPSTREAM))
def test_the_upstream_code_the_module_stands_in_for_is_unchanged(name: str) -> None:
    code, digest = UPSTREAM[name]
    assert source_digest(code) == digest, (
        f"strawberry changed {name}: re-read coach_graph/patches/strawberry_arguments.py against it"
    )


def test_the_request_path_converts_through_the_module_global_once_put_in_place() -> None:
    assert "kwargs = convert_arguments(" in inspect.getsource(schema_converter.get_arguments)
    convert_arguments_once_planned()
    convert_arguments_once_planned()
    assert schema_converter.convert_arguments is convert_arguments  # type: ignore[attr-defined]


def sample(type_: Any, schema: strawberry.Schema, seed: int) -> Any:
    """A value of `type_` as graphql-core hands it to strawberry; `seed` varies which input
    fields are given, null or left out."""
    config = schema.config
    if isinstance(type_, StrawberryOptional):
        return None if seed % 5 == 4 else sample(type_.of_type, schema, seed)
    if isinstance(type_, StrawberryList):
        return [sample(type_.of_type, schema, seed + i) for i in range(2)]
    if isinstance(type_, LazyType):
        return sample(type_.resolve_type(), schema, seed)
    if isinstance(type_, StrawberryEnumDefinition):
        members = list(type_.wrapped_cls)
        return members[seed % len(members)]
    if has_enum_definition(type_):
        return sample(type_.__strawberry_definition__, schema, seed)
    if has_object_definition(type_):
        definition = type_.__strawberry_definition__
        given: dict[str, Any] = {}
        for i, field in enumerate(definition.fields):
            if (seed + i) % 3 != 2:  # every third field left out
                field_type = field.resolve_type(type_definition=definition)
                given[config.name_converter.from_field(field)] = sample(
                    field_type, schema, seed + i
                )
        return given
    return f"leaf {seed}"


def fields_with_arguments(schema: strawberry.Schema) -> list[Any]:
    found = []
    for definition in schema.schema_converter.type_map.values():
        for field in getattr(definition.definition, "fields", ()):
            if getattr(field, "arguments", None):
                found.append(field)
    return found


@pytest.mark.parametrize("seed", range(6))
def test_every_argument_of_the_schema_converts_as_upstream_converts_it(seed: int) -> None:
    schema = build_schema()
    scalars, config = schema.schema_converter.scalar_registry, schema.config
    fields = fields_with_arguments(schema)
    assert len(fields) > 50
    for field in fields:
        value = {
            config.name_converter.from_argument(a): sample(a.type, schema, seed + i)
            for i, a in enumerate(field.arguments)
            if (seed + i) % 4 != 3  # some arguments not given
        }
        expected = upstream.convert_arguments(value, field.arguments, scalars, config)
        # twice: the first call plans, the second uses the plan
        for _ in range(2):
            assert convert_arguments(value, field.arguments, scalars, config) == expected, field


class Color(Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.input
class Point:
    x: int
    label: str | None = None
    color: Color = Color.RED


@strawberry.input
class Shape:
    points: list[Point]
    tags: list[str] | None = strawberry.UNSET
    maybe: strawberry.Maybe[int]


@strawberry.type
class _Query:
    @strawberry.field
    def shapes(
        self,
        shape: Shape,
        node: GlobalID | None = None,
        hint: strawberry.Maybe[str | None] = None,
        colors: list[Color] | None = None,
        later: Annotated[Point, strawberry.lazy("tests.patches.test_strawberry_arguments")]
        | None = None,
    ) -> int:
        return 0


@pytest.mark.parametrize(
    "value",
    [
        {"shape": {"points": [{"x": 1}, {"x": 2, "label": None, "color": Color.BLUE}]}},
        {"shape": {"points": [], "tags": ["a"], "maybe": 3}, "colors": [Color.BLUE]},
        {"shape": {"points": [], "tags": None}, "hint": None, "colors": None},
        {"shape": {"points": []}, "node": "U2hhcGU6MQ==", "hint": "h", "later": {"x": 3}},
        {"shape": {"points": []}, "later": None, "hint": UNSET},
    ],
)
def test_kinds_left_to_upstream_or_planned_convert_as_upstream_s(value: dict[str, Any]) -> None:
    schema = strawberry.Schema(query=_Query)
    field = next(f for f in fields_with_arguments(schema) if f.python_name == "shapes")
    scalars, config = schema.schema_converter.scalar_registry, schema.config
    expected = upstream.convert_arguments(value, field.arguments, scalars, config)
    for _ in range(2):
        assert convert_arguments(value, field.arguments, scalars, config) == expected


def test_an_invalid_global_id_fails_as_upstream_s() -> None:
    schema = strawberry.Schema(query=_Query)
    field = next(f for f in fields_with_arguments(schema) if f.python_name == "shapes")
    scalars, config = schema.schema_converter.scalar_registry, schema.config
    value = {"shape": {"points": []}, "node": "not base64"}
    with pytest.raises(Exception) as theirs:
        upstream.convert_arguments(value, field.arguments, scalars, config)
    with pytest.raises(type(theirs.value), match=str(theirs.value)):
        convert_arguments(value, field.arguments, scalars, config)
