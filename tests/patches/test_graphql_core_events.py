"""coach_graph/patches/graphql_core_events.py: an event a live feed delivers to many subscribers
from one shared read is completed once per operation, variables and viewer, and only then; and the
guard: graphql-core still maps subscription events the way the patch relies on."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import parse
from graphql.execution import Executor, map_source_to_response_event
from strawberry.extensions import ParserCache
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from coach_graph.accounts.models import Role
from coach_graph.feed import delivering
from coach_graph.patches.graphql_core_events import WRITTEN_FOR, shared_events
from tests.patches.pins import assert_written_for


@dataclass(frozen=True)
class Row:
    """What a shared read returns: one object for every subscriber of a scope."""

    id: int


@dataclass(frozen=True)
class Viewer:
    id: int
    role: Role = Role.COACH
    email: str = "coach@example.test"
    name: str | None = None
    time_zone: str = "UTC"


@dataclass
class Context:
    viewer: Viewer | None
    rows: list[Row]
    completed: list[tuple[int, int]] = field(default_factory=list)
    shared: bool = True


@strawberry.type
class Item:
    id: int

    @strawberry.field
    def label(self, info: strawberry.Info[Context, None], prefix: str = "item") -> str:
        viewer = info.context.viewer
        info.context.completed.append((self.id, viewer.id if viewer else 0))
        if self.id < 0:
            raise ValueError("no such item")
        return f"{prefix} {self.id} for {viewer.id if viewer else 'nobody'}"


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def items(self, info: strawberry.Info[Context, None]) -> AsyncGenerator[Item, None]:
        for row in info.context.rows:
            # As coach_graph/feed.py does for an item of a shared read.
            delivering.set(row if info.context.shared else None)
            try:
                yield Item(id=row.id)  # each subscriber converts it itself
            finally:
                delivering.set(None)


def schema() -> strawberry.Schema:
    # Parsed once per text, as coach_graph/documents.py does: one operation, one key.
    built = strawberry.Schema(query=Query, subscription=Subscription, extensions=[ParserCache])
    built.execution_context_class = shared_events(built.execution_context_class)
    return built


async def received(
    built: strawberry.Schema, context: Context, query: str, variables: dict[str, Any] | None = None
) -> list[Any]:
    stream = await built.subscribe(query, context_value=context, variable_values=variables)
    return [result async for result in stream]  # type: ignore[union-attr]


QUERY = "subscription { items { id label } }"


def test_the_installed_graphql_core_is_the_version_the_patch_was_written_for() -> None:
    assert_written_for(WRITTEN_FOR)


def test_graphql_core_still_builds_a_per_event_executor_and_executes_it() -> None:
    mapping = inspect.getsource(map_source_to_response_event)
    assert "executor.build_per_event_executor" in mapping
    assert "root_selection_set_executor(build_executor(payload))" in mapping
    assert "executor.is_awaitable(result)" in mapping
    execute = importlib.import_module("graphql.execution.execute")
    event = inspect.getsource(execute.execute_subscription_event)
    assert "executor.execute_operation(False)" in event


async def test_subscribers_of_one_viewer_share_one_completion_per_item() -> None:
    built, rows, completed = schema(), [Row(1), Row(2)], []
    contexts = [Context(Viewer(7), rows, completed) for _ in range(3)]
    results = await asyncio.gather(*(received(built, c, QUERY) for c in contexts))
    assert completed == [(1, 7), (2, 7)]
    for got in results:
        assert [r.data for r in got] == [
            {"items": {"id": 1, "label": "item 1 for 7"}},
            {"items": {"id": 2, "label": "item 2 for 7"}},
        ]
        assert all(not r.errors for r in got)
    # The very same data for all: the transport encodes it once.
    assert results[0][0].data is results[1][0].data is results[2][0].data


async def test_each_viewer_completes_the_item_through_their_own_scope() -> None:
    built, rows, completed = schema(), [Row(1)], []
    first, second = Context(Viewer(7), rows, completed), Context(Viewer(8), rows, completed)
    got = [await received(built, c, QUERY) for c in (first, second, first)]
    assert completed == [(1, 7), (1, 8)]
    assert [g[0].data["items"]["label"] for g in got] == [
        "item 1 for 7",
        "item 1 for 8",
        "item 1 for 7",
    ]


async def test_other_documents_and_variables_complete_on_their_own() -> None:
    built, rows, completed = schema(), [Row(1)], []
    context = Context(Viewer(7), rows, completed)
    labelled = "subscription($p: String!) { items { label(prefix: $p) } }"
    await received(built, context, QUERY)
    await received(built, context, "subscription { items { label } }")
    one = await received(built, context, labelled, {"p": "one"})
    two = await received(built, context, labelled, {"p": "two"})
    again = await received(built, context, labelled, {"p": "one"})
    assert completed == [(1, 7)] * 4
    assert [r[0].data["items"]["label"] for r in (one, two, again)] == [
        "one 1 for 7",
        "two 1 for 7",
        "one 1 for 7",
    ]


async def test_without_a_shared_item_or_a_viewer_every_subscriber_completes_its_own() -> None:
    built, rows, completed = schema(), [Row(1)], []
    unshared = [Context(Viewer(7), rows, completed, shared=False) for _ in range(2)]
    anonymous = [Context(None, rows, completed) for _ in range(2)]
    for context in unshared + anonymous:
        assert (await received(built, context, QUERY))[0].data == {
            "items": {
                "id": 1,
                "label": f"item 1 for {context.viewer.id if context.viewer else 'nobody'}",
            }
        }
    assert completed == [(1, 7), (1, 7), (1, 0), (1, 0)]


async def test_a_completion_with_errors_is_never_shared() -> None:
    built, rows, completed = schema(), [Row(-1)], []
    contexts = [Context(Viewer(7), rows, completed) for _ in range(2)]
    first, second = [await received(built, c, QUERY) for c in contexts]
    assert completed == [(-1, 7), (-1, 7)]
    assert first[0].errors and second[0].errors
    assert first[0].errors[0] is not second[0].errors[0]


def test_a_subscription_s_executor_keeps_its_attributes_in_a_dictionary_sized_for_them() -> None:
    graphql_schema, document = schema()._schema, parse("subscription { items { id } }")
    for upstream in (Executor, StrawberryGraphQLCoreExecutionContext):
        ours = shared_events(upstream).build(graphql_schema, document)
        theirs = upstream.build(graphql_schema, document)
        assert isinstance(ours, Executor) and isinstance(theirs, Executor)
        assert list(vars(ours)) == list(vars(theirs))
        assert (ours.schema, ours.operation) == (theirs.schema, theirs.operation)
        # Measured, not timed: never larger than a dictionary sized for them.
        assert sys.getsizeof(vars(ours)) <= sys.getsizeof(dict(vars(ours).items()))
    # strawberry's 31 attributes sit in a dictionary sized for ~85 (one sized for them is half).
    assert sys.getsizeof(vars(ours)) < sys.getsizeof(vars(theirs))
