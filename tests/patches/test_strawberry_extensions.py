"""Guard for the extensions runner of coach_graph/patches/strawberry.py (`ExtensionsRunner`,
`LeanExtensionsSchema`): the installed strawberry is the version it was written for, the
upstream code it mirrors or stands in for is unchanged, and it behaves as upstream's runner: an
extension hooking the execution phase still runs around it, and with none the operation answers
the same."""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Iterator

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    StreamResultContextManager,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

from coach_graph.patches.strawberry import (
    NO_EXECUTION_HOOKS,
    NO_STREAM_RESULT_HOOKS,
    WRITTEN_FOR,
    ExtensionsRunner,
    LeanExtensionsSchema,
)
from tests.patches.pins import assert_written_for, source_digest

# sha256 of upstream's source in strawberry-graphql 0.341.2: what the runner replaces
# (`executing`), what its no-op manager stands in for (the manager, its base's set-up, hook
# lookup, enter and exit) and the schema method LeanExtensionsSchema copies.
UPSTREAM = {
    "SchemaExtensionsRunner.executing": (
        SchemaExtensionsRunner.executing,
        "5aaed1634162e82244d4e104fab2c46e3dee568d38b7beeeaf709035bb961e5d",
    ),
    "ExecutingContextManager": (
        ExecutingContextManager,
        "935dbdacf863d32f4e3a0299379b487c4bef97b8dcdd29b732a2c2362f3d7ed8",
    ),
    "ExtensionContextManagerBase.__init__": (
        ExtensionContextManagerBase.__init__,
        "00f00d1e57c37cb8bf3488e197deeb915a54eee1e68c96639bdec8306e04dfba",
    ),
    "ExtensionContextManagerBase.get_hook": (
        ExtensionContextManagerBase.get_hook,
        "2f0897ead1abdc4ac53455015e6e6fd051a0dd45accc20a64fb2c250de04a975",
    ),
    "ExtensionContextManagerBase.__aenter__": (
        ExtensionContextManagerBase.__aenter__,
        "c7058e93f7f81f943aae8d8854b33c25c61880f22c1297ef8324232000a3b8ea",
    ),
    "ExtensionContextManagerBase.__aexit__": (
        ExtensionContextManagerBase.__aexit__,
        "cdd9e64136a6c76a5af4a1002c27fffc0c9d6e6e2e28b0ff0870361833a744b3",
    ),
    "SchemaExtensionsRunner.on_stream_result": (
        SchemaExtensionsRunner.on_stream_result,
        "52056f5cfda7959a2bbb93c1273a2209e51891ad72bb8716459cdac65de93590",
    ),
    "StreamResultContextManager": (
        StreamResultContextManager,
        "f111c8958ca9d3bd41e1e61d1812b00b1db2e6ef0bf3eaa93a36fbb21554e027",
    ),
    "SchemaExtensionsRunner.get_extensions_results": (
        SchemaExtensionsRunner.get_extensions_results,
        "bdc106aa3f99fc6b4eb0ae68c11eec2f5ac46987ebc685b2144b1724d5c06730",
    ),
    "SchemaExtension.get_results": (
        SchemaExtension.get_results,
        "30073d0e64ebd3b621a553ab3552469a2c0bdd6961a02c094f2ccc2ee8f1daf6",
    ),
    "Schema.create_extensions_runner": (
        strawberry.Schema.create_extensions_runner,
        "ee54557db9341b39acaf9896ccadac1ba89008861adefe735d6bb27f49fd05cb",
    ),
}


def test_the_installed_strawberry_is_the_version_the_runner_was_written_for() -> None:
    assert_written_for(WRITTEN_FOR)


@pytest.mark.parametrize("name", sorted(UPSTREAM))
def test_the_upstream_code_the_runner_mirrors_is_unchanged(name: str) -> None:
    code, digest = UPSTREAM[name]
    assert source_digest(code) == digest, (
        f"strawberry changed {name}: re-read ExtensionsRunner / LeanExtensionsSchema against it"
    )


def test_upstream_still_sets_up_an_execution_phase_nobody_hooks() -> None:
    """While upstream builds a manager per operation whatever the hooks, the runner pays."""
    manager = SchemaExtensionsRunner(execution_context=None, extensions=[]).executing()  # type: ignore[arg-type]
    assert type(manager) is ExecutingContextManager
    assert inspect.signature(ExtensionsRunner.executing) == inspect.signature(
        SchemaExtensionsRunner.executing
    )


@strawberry.type
class _Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


class _Watching(SchemaExtension):
    seen: list[str] = []

    def on_execute(self) -> Iterator[None]:
        _Watching.seen.append("before")
        yield
        _Watching.seen.append("after")


class _Parsing(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        yield


async def test_an_extension_hooking_execution_still_runs_around_it() -> None:
    _Watching.seen = []
    schema = LeanExtensionsSchema(query=_Query, extensions=[_Watching])
    result = await schema.execute("{ hello }")
    assert result.errors is None and result.data == {"hello": "world"}
    assert _Watching.seen == ["before", "after"]


async def test_without_execution_hooks_the_answer_is_upstream_s() -> None:
    lean = LeanExtensionsSchema(query=_Query, extensions=[_Parsing])
    upstream = strawberry.Schema(query=_Query, extensions=[_Parsing])
    for document in ("{ hello }", "{ nothing }", "{ hello hello: hello }"):
        ours, theirs = await lean.execute(document), await upstream.execute(document)
        assert ours.data == theirs.data
        assert [e.formatted for e in ours.errors or []] == [
            e.formatted for e in theirs.errors or []
        ]
    runner = lean.create_extensions_runner(None, [_Parsing()])  # type: ignore[arg-type]
    assert runner.executing() is NO_EXECUTION_HOOKS


def test_upstream_still_sets_up_each_streamed_result_nobody_hooks() -> None:
    runner = SchemaExtensionsRunner(execution_context=None, extensions=[])  # type: ignore[arg-type]
    assert type(runner.on_stream_result(None)) is StreamResultContextManager  # type: ignore[arg-type]
    assert inspect.signature(ExtensionsRunner.on_stream_result) == inspect.signature(
        SchemaExtensionsRunner.on_stream_result
    )


@strawberry.type
class _Subscription:
    @strawberry.subscription
    async def count(self) -> AsyncGenerator[int, None]:
        for n in range(3):
            yield n


class _Counting(SchemaExtension):
    seen: list[object] = []

    def on_stream_result(self, result: object) -> Iterator[None]:  # type: ignore[override]
        _Counting.seen.append(getattr(result, "data", None))
        yield


async def _streamed(schema: strawberry.Schema) -> list[object]:
    stream = await schema.stream("subscription { count }")
    return [(r.data, r.errors) async for r in stream]  # type: ignore[union-attr]


async def test_an_extension_hooking_streamed_results_still_sees_each() -> None:
    _Counting.seen = []
    schema = LeanExtensionsSchema(query=_Query, subscription=_Subscription, extensions=[_Counting])
    assert await _streamed(schema) == [({"count": n}, None) for n in range(3)]
    assert _Counting.seen == [{"count": n} for n in range(3)]


async def test_without_stream_result_hooks_a_stream_is_upstream_s() -> None:
    lean = LeanExtensionsSchema(query=_Query, subscription=_Subscription, extensions=[_Parsing])
    upstream = strawberry.Schema(query=_Query, subscription=_Subscription, extensions=[_Parsing])
    assert await _streamed(lean) == await _streamed(upstream)
    runner = lean.create_extensions_runner(None, [_Parsing()])  # type: ignore[arg-type]
    assert runner.on_stream_result(None) is NO_STREAM_RESULT_HOOKS  # type: ignore[arg-type]


class _Reporting(SchemaExtension):
    def get_results(self) -> dict[str, object]:
        return {"reported": True}


async def test_an_extension_reporting_results_still_adds_them_to_each() -> None:
    schema = LeanExtensionsSchema(
        query=_Query, subscription=_Subscription, extensions=[_Reporting, _Parsing]
    )
    stream = await schema.stream("subscription { count }")
    extensions = [r.extensions async for r in stream]  # type: ignore[union-attr]
    assert extensions == [{"reported": True}] * 3
    assert (await schema.execute("{ hello }")).extensions == {"reported": True}


async def test_without_reported_results_each_result_s_extensions_are_upstream_s() -> None:
    schema = LeanExtensionsSchema(query=_Query, extensions=[_Parsing])
    context = ExecutionContext(
        query="{ hello }", schema=schema, allowed_operations=(), extensions_results={"cost": 3}
    )
    runner = ExtensionsRunner(execution_context=context, extensions=[_Parsing()])
    upstream = SchemaExtensionsRunner(execution_context=context, extensions=[_Parsing()])
    ours = await runner.get_extensions_results(context)
    assert ours == await upstream.get_extensions_results(context) == {"cost": 3}
    assert ours is not context.extensions_results
