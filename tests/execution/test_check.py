"""The differential check answers INTERNAL when the compiled answer is not graphql-core's, and
what a plan cannot reproduce (a resolver middleware) is left to graphql-core."""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from coach_graph.execution import EXECUTIONS
from coach_graph.execution.check import CHECKED, COMPILED, MISMATCHED, NOT_COMPILED
from coach_graph.patches.graphql_core import CompiledQueryExecutor
from coach_graph.schema import CoachGraphSchema
from tests.execution.library import REFERENCE, Library, Query, as_json

_calls = itertools.count(1)


@strawberry.type(description="A field that answers differently each time it is asked.")
class Restless:
    @strawberry.field(description="How many times it was asked.")
    def calls(self) -> int:
        return next(_calls)

    @strawberry.field(description="Always the same.")
    def steady(self) -> str:
        return "steady"


def _delta(before: Counter[str]) -> Counter[str]:
    after = Counter(EXECUTIONS)
    after.subtract(before)
    return +after


async def test_an_answer_that_differs_from_graphql_cores_is_internal_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    schema = CoachGraphSchema(
        query=Restless, execution_context_class=CompiledQueryExecutor.for_schema(check=True)
    )
    before = Counter(EXECUTIONS)
    with caplog.at_level(logging.ERROR):
        result = await schema.execute("query Count { steady calls }")
    assert result.data is None
    assert result.errors is not None
    assert result.errors[0].extensions is not None
    assert result.errors[0].extensions["code"] == "INTERNAL"
    assert "differs" not in result.errors[0].message  # masked like any internal error
    assert "compiled answer of Count differs from graphql-core's: calls: a different value" in (
        caplog.text
    )
    assert _delta(before) == {COMPILED: 1, MISMATCHED: 1}


async def test_an_answer_equal_to_graphql_cores_is_sent_as_compiled() -> None:
    schema = CoachGraphSchema(
        query=Restless, execution_context_class=CompiledQueryExecutor.for_schema(check=True)
    )
    before = Counter(EXECUTIONS)
    result = await schema.execute("{ steady a: steady }")
    assert result.errors is None
    assert result.data == {"steady": "steady", "a": "steady"}
    assert _delta(before) == {COMPILED: 1, CHECKED: 1}


class PassThrough(SchemaExtension):
    """Wraps every resolver (as the OpenTelemetry extension does)."""

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        return _next(root, info, *args, **kwargs)


async def test_a_resolver_middleware_leaves_the_operation_to_graphql_core() -> None:
    schema = strawberry.Schema(
        query=Query,
        extensions=[PassThrough],
        execution_context_class=CompiledQueryExecutor.for_schema(),
    )
    query = "{ people { name notes { id shout } } }"
    before = Counter(EXECUTIONS)
    result = await schema.execute(query, context_value=Library())
    assert _delta(before) == {NOT_COMPILED: 1}
    assert as_json(result) == as_json(await REFERENCE.execute(query, context_value=Library()))
