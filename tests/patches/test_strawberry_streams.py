"""Guard for coach_graph/patches/strawberry_streams.py: the installed strawberry is the version it
was written for, the upstream code it stands in for is unchanged, and its stand-ins behave as
upstream's: streams closed the same way, operation hooks run around the same operations with
the same errors."""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, AsyncIterator, Iterator

import pytest
import strawberry
import strawberry.utils.aio as aio
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import ExtensionContextManagerBase, OperationContextManager
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)

from coach_graph.patches.strawberry import LeanExtensionsSchema
from coach_graph.patches.strawberry_streams import (
    STREAMING_MODULES,
    WRITTEN_FOR,
    Aclosing,
    OneHookOperation,
    close_streams_with_aclosing,
)
from tests.patches.pins import assert_written_for, source_digest

# sha256 of upstream's source in strawberry-graphql 0.341.2: what the stand-ins replace, and the
# two streams that call `aclosing` by its module-level name.
UPSTREAM = {
    "strawberry.utils.aio.aclosing": (
        aio.aclosing.__wrapped__,  # type: ignore[attr-defined]
        "5ec595fac8b5d2b4aca8512c8561b9de9a7272a3d2be1707a9c868960e299401",
    ),
    "OperationContextManager": (
        OperationContextManager,
        "40ff9d4148d449f499bf9081660d2422b001f1a72363c2f37a89f3f33b46efb7",
    ),
    "ExtensionContextManagerBase.__aenter__": (
        ExtensionContextManagerBase.__aenter__,
        "c7058e93f7f81f943aae8d8854b33c25c61880f22c1297ef8324232000a3b8ea",
    ),
    "ExtensionContextManagerBase.__aexit__": (
        ExtensionContextManagerBase.__aexit__,
        "cdd9e64136a6c76a5af4a1002c27fffc0c9d6e6e2e28b0ff0870361833a744b3",
    ),
    "SchemaExtensionsRunner.operation": (
        SchemaExtensionsRunner.operation,
        "dd42fae9326ecc07ea098ab73a151de049c64232f313dca490a02db17daca563",
    ),
}
# Where upstream streams a subscription through `aclosing(...)` (its module global).
CALLERS = {
    "Schema._stream": strawberry.Schema._stream,
    "BaseGraphQLTransportWSHandler.run_operation": BaseGraphQLTransportWSHandler.run_operation,
}


def test_the_installed_strawberry_is_the_version_the_module_was_written_for() -> None:
    assert_written_for(WRITTEN_FOR)


@pytest.mark.parametrize("name", sorted(UPSTREAM))
def test_the_upstream_code_the_module_stands_in_for_is_unchanged(name: str) -> None:
    code, digest = UPSTREAM[name]
    assert source_digest(code) == digest, (
        f"strawberry changed {name}: re-read coach_graph/patches/strawberry_streams.py against it"
    )


@pytest.mark.parametrize("name", sorted(CALLERS))
def test_upstream_streams_subscriptions_through_aclosing_by_name(name: str) -> None:
    assert "async with aclosing(" in inspect.getsource(CALLERS[name])
    assert {m.__name__ for m in STREAMING_MODULES} == {
        strawberry.Schema._stream.__module__,
        BaseGraphQLTransportWSHandler.run_operation.__module__,
    }


def test_the_streaming_modules_use_aclosing_once_it_is_put_in_place() -> None:
    close_streams_with_aclosing()
    close_streams_with_aclosing()
    for module in STREAMING_MODULES:
        assert module.aclosing is Aclosing  # type: ignore[attr-defined]


class _Stream:
    """An async generator's `aclose` as seen from outside: counted, optionally failing."""

    def __init__(self, fails: bool) -> None:
        self.fails = fails
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1
        if self.fails:
            raise RuntimeError("aclose failed")


async def _leave(closing: object, stream: _Stream, raises: BaseException | None) -> object:
    """How leaving `async with closing(stream)` ends: the exception it raised, or None."""
    try:
        async with closing(stream) as entered:  # type: ignore[operator]
            assert entered is stream
            if raises is not None:
                raise raises
    except BaseException as exc:
        return type(exc), str(exc)
    return None


@pytest.mark.parametrize("fails", [False, True])
@pytest.mark.parametrize("raises", [None, ValueError("body"), KeyboardInterrupt("stop")])
async def test_aclosing_closes_and_raises_as_upstream_s(
    fails: bool, raises: BaseException | None
) -> None:
    ours, theirs = _Stream(fails), _Stream(fails)
    assert await _leave(Aclosing, ours, raises) == await _leave(aio.aclosing, theirs, raises)
    assert ours.closed == theirs.closed == 1


@strawberry.type
class _Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


_finished: list[str] = []


@strawberry.type
class _Subscription:
    @strawberry.subscription
    async def count(self) -> AsyncGenerator[int, None]:
        try:
            for n in range(100):
                yield n
        finally:
            _finished.append("source closed")


class _Watching(SchemaExtension):
    seen: list[str] = []

    def on_operation(self) -> Iterator[None]:
        _Watching.seen.append("before")
        yield
        _Watching.seen.append("after")


class _AsyncWatching(SchemaExtension):
    seen: list[str] = []

    async def on_operation(self) -> AsyncIterator[None]:
        _AsyncWatching.seen.append("before")
        yield
        _AsyncWatching.seen.append("after")


class _Failing(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        raise ValueError("after the operation")


async def test_a_subscription_closed_early_closes_its_source_and_operation_as_upstream_s() -> None:
    close_streams_with_aclosing()
    seen = []
    for schema_class in (LeanExtensionsSchema, strawberry.Schema):
        _finished.clear()
        _Watching.seen = []
        schema = schema_class(query=_Query, subscription=_Subscription, extensions=[_Watching])
        stream = await schema.stream("subscription { count }")
        first = [(await stream.__anext__()).data for _ in range(2)]  # type: ignore[union-attr]
        assert first == [{"count": 0}, {"count": 1}]
        await stream.aclose()
        assert _finished == ["source closed"]
        seen.append(_Watching.seen)
    # Closed at its `yield`, the hook's generator ends there (GeneratorExit), in both.
    assert seen == [["before"], ["before"]]


@pytest.mark.parametrize(
    "extensions", [[], [_Watching], [_AsyncWatching], [_Watching, _AsyncWatching], [_Failing]]
)
async def test_the_operation_phase_runs_its_hooks_and_answers_as_upstream_s(
    extensions: list[type[SchemaExtension]],
) -> None:
    answers = []
    for schema_class in (LeanExtensionsSchema, strawberry.Schema):
        _Watching.seen, _AsyncWatching.seen = [], []
        schema = schema_class(query=_Query, extensions=extensions)
        result = await schema.execute("{ hello }")
        answers.append(
            (
                result.data,
                [e.message for e in result.errors or []],
                _Watching.seen,
                _AsyncWatching.seen,
            )
        )
    assert answers[0] == answers[1]
    runner = LeanExtensionsSchema(query=_Query).create_extensions_runner(
        None,  # type: ignore[arg-type]
        [e() for e in extensions],
    )
    assert type(runner.operation()) is OneHookOperation
