"""Guard for coach_graph/patches/graphql_core.py and coach_graph/execution/: the installed
graphql-core and strawberry are the versions the compiled plans were written for, the upstream
code whose successful path the plans reproduce still reads as it did, and the hooks the patch
uses still behave as it expects."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import parse
from graphql.execution import Executor
from graphql.execution.collect_fields import collect_fields, collect_subfields
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import (
    CustomGraphQLEnumType,
    GraphQLCoreConverter,
    get_arguments,
)
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver

from coach_graph.execution import EXECUTIONS, compile_operation
from coach_graph.execution.check import COMPILED
from coach_graph.execution.plan import READ, RESOLVER, STRAWBERRY_BASIC_RESOLVER
from coach_graph.patches.graphql_core import WRITTEN_FOR, CompiledQueryExecutor
from tests.patches.pins import assert_written_for, source_digest

# sha256 of each upstream function in graphql-core 3.3.2 / strawberry 0.341.2 whose behaviour
# coach_graph/execution/ reproduces or relies on: a change means reading it against the plans.
UPSTREAM: dict[str, tuple[Callable[..., Any], str]] = {
    "Executor.execute_operation": (
        Executor.execute_operation,
        "030f6fe38d23736926fd9ad6696db259bfa9d92da404710a27e43225e102435b",
    ),
    "Executor.execute_fields": (
        Executor.execute_fields,
        "797f54fbd779b4e381b688bce8e249abffa2e057974676e5f5ef3cefc0ff654c",
    ),
    "Executor.execute_field": (
        Executor.execute_field,
        "5281dc836ecc24a07af71f0174a0deeec566966af66df08a8c929b7b68491602",
    ),
    "Executor.complete_value": (
        Executor.complete_value,
        "06c34f7681a131208e6ca8ffec66578cf11ad0a51f8a9dc631cc7cc5bf06dbc9",
    ),
    "Executor.complete_list_value": (
        Executor.complete_list_value,
        "3ee91ce2f0fa9b621bab4c4f9f722409ba3a6005a41991bf8d7972030cc36f1d",
    ),
    "Executor.complete_iterable_value": (
        Executor.complete_iterable_value,
        "bdb49d2d91f1e31265faafd19688f0e68b9b4c92ee8e69431cc67d75c793e431",
    ),
    "Executor.complete_list_item_value": (
        Executor.complete_list_item_value,
        "8883b4d65a1ae09935ff6f982cf6dfc235500681929ea58a7dabb121fae691d1",
    ),
    "Executor.complete_leaf_value": (
        Executor.complete_leaf_value,
        "a8c54d5838ad9753dbd33efe9b495fead57cf551861121d3dc123efb08174dbb",
    ),
    "Executor.complete_object_value": (
        Executor.complete_object_value,
        "55e77f58eca1ddc437115408e708ce769b2cb195d9923fa7cecb49abd894da6e",
    ),
    "collect_fields": (
        collect_fields,
        "d41c7aeb4cad40fcf7944b690062873c15069a02ffab83d20c3b541f560ce617",
    ),
    "collect_subfields": (
        collect_subfields,
        "1657a3c68d28339100c74cee9b3afc827065c27033d4a2047ede6b62e06d6f70",
    ),
    "GraphQLCoreConverter.from_resolver": (
        GraphQLCoreConverter.from_resolver,
        "bcac1354fecdee79efc4cb931554163d64df8f0061909eab4d3687eba0c19ffb",
    ),
    "get_arguments": (
        get_arguments,
        "622f5399b812e9e279e83442b8688c3cdf3de6e946699027f117cfc8b4d98d7d",
    ),
    "StrawberryField.get_result": (
        StrawberryField.get_result,
        "1881f471e7299ddb5d860e5416013bdba38c255bd265b6b0e4c25ff73edb760d",
    ),
    "StrawberryResolver.__call__": (
        StrawberryResolver.__call__,
        "e86ac9383353badaff9898004e9aa9b989e336a6b7659c0e9193b7f3c9f6ccbc",
    ),
    "StrawberryGraphQLCoreExecutionContext.build_resolve_info": (
        StrawberryGraphQLCoreExecutionContext.build_resolve_info,
        "d600ee8361192a18a3a86f022b1bd6b1f77b8d2747246f48b61b6be6b156e95a",
    ),
    "CustomGraphQLEnumType.coerce_output_value": (
        CustomGraphQLEnumType.coerce_output_value,
        "e4a086ff6db85ddb5a74bbf366032caa56e8f0eab9c2038e90fb451a2f0893fd",
    ),
}


def test_the_installed_versions_are_those_the_plans_were_written_for() -> None:
    assert_written_for(WRITTEN_FOR)


def test_the_upstream_code_the_plans_reproduce_is_unchanged() -> None:
    changed = [
        name for name, (function, digest) in UPSTREAM.items() if source_digest(function) != digest
    ]
    assert not changed, f"changed upstream, read it against coach_graph/execution/: {changed}"


@strawberry.type(description="A guard's root.")
class Root:
    plain: str = "plain"

    @strawberry.field(description="A method taking only self.")
    def method(self) -> str:
        return "method"

    @strawberry.field(description="A resolver with an argument.")
    def echo(self, text: str) -> str:
        return text


def test_strawberry_still_marks_a_field_without_a_resolver_as_its_basic_one() -> None:
    schema = strawberry.Schema(query=Root)
    fields = schema._schema.query_type.fields  # type: ignore[union-attr]
    basic = fields["plain"].resolve
    assert getattr(basic, "__name__", None) == STRAWBERRY_BASIC_RESOLVER
    assert getattr(basic, "_is_default", False) is True
    assert basic(Root(), None) == "plain"
    assert getattr(fields["method"].resolve, "__name__", None) != STRAWBERRY_BASIC_RESOLVER


def test_the_plan_reads_plain_fields_and_methods_and_calls_resolvers_with_arguments() -> None:
    schema = strawberry.Schema(query=Root)
    executor = Executor.build(schema._schema, parse('{ plain method echo(text: "x") }'))
    assert isinstance(executor, Executor)
    plan = compile_operation(executor)
    kinds = {field.key: field.kind for *_, field in plan.rows}
    assert kinds == {"plain": READ, "method": READ, "echo": RESOLVER}


async def test_strawberry_hands_graphql_core_the_executor_class_and_its_operation_runs() -> None:
    schema = strawberry.Schema(
        query=Root, execution_context_class=CompiledQueryExecutor.for_schema()
    )
    before = Counter(EXECUTIONS)
    result = await schema.execute('{ plain method echo(text: "x") }', root_value=Root())
    assert result.errors is None
    assert result.data == {"plain": "plain", "method": "method", "echo": "x"}
    assert EXECUTIONS[COMPILED] == before[COMPILED] + 1
