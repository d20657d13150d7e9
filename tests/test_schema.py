"""schema.graphql is the exported SDL of the running schema, and it keeps the contract."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from coach_graph.schema import export_sdl

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT.parent / "shared" / "tools" / "check_contract.py"


def test_schema_graphql_is_the_exported_schema() -> None:
    assert (ROOT / "schema.graphql").read_text() == export_sdl(), (
        "schema.graphql is stale: run `coach-graph export-schema`"
    )


# Operations of the contract that the issues still open own; each issue removes its own lines
# here when it lands. Everything else the contract names must be present.
# A break is owned when it names one of these as a whole word (a type, `Type.field`, an enum
# value, or `Type.field(arg:)`).
NOT_YET_BUILT: tuple[str, ...] = ()


def owned(line: str) -> bool:
    """The break names a contract element an open issue still owns."""
    return any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", line) for name in NOT_YET_BUILT)


def test_schema_keeps_the_contract() -> None:
    if not CHECK.exists():  # the contract tool lives beside the repo, in ../shared
        import pytest

        pytest.skip("../shared/tools/check_contract.py is not beside this checkout")
    result = subprocess.run(
        [sys.executable, str(CHECK), str(ROOT / "schema.graphql")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    breaks = [line for line in result.stdout.splitlines() if line and not owned(line)]
    assert breaks == [], "\n".join(breaks)


def undocumented() -> list[str]:
    """Every named type, field, argument, input field and enum value of the schema without a
    description, as `Type`, `Type.field`, `Type.field(argument)` or `Enum.VALUE`."""
    from graphql import (
        GraphQLEnumType,
        GraphQLInputObjectType,
        GraphQLInterfaceType,
        GraphQLObjectType,
    )

    from coach_graph.schema import build_schema

    missing: list[str] = []

    def check(description: str | None, where: str) -> None:
        if not (description or "").strip():
            missing.append(where)

    for name, named in build_schema()._schema.type_map.items():
        if name.startswith("__"):  # introspection types document themselves
            continue
        check(named.description, name)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                check(field.description, f"{name}.{field_name}")
                for arg_name, arg in field.args.items():
                    check(arg.description, f"{name}.{field_name}({arg_name})")
        elif isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                check(input_field.description, f"{name}.{field_name}")
        elif isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                check(value.description, f"{name}.{value_name}")
    return missing


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    missing = undocumented()
    assert missing == [], f"{len(missing)} without a description:\n" + "\n".join(missing)
