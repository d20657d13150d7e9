"""strawberry's streamed operations (subscriptions), holding less while they wait.

Written for strawberry-graphql 0.341.2 (pinned in pyproject.toml; the guard test
tests/patches/test_strawberry_streams.py fails when the version moves or when the upstream code
these stand in for changes).

A subscriber's operation waits for hours between events, and a worker holds thousands: what
its suspended frames hold is memory per idle subscriber (scripts/benchmarks/bench_alerts.py
--trace-memory). Two things strawberry holds for each one are heavier than what they do:

- `strawberry.utils.aio.aclosing`, an `asynccontextmanager` generator, wraps the result stream
  twice (`Schema._stream`, graphql-transport-ws `run_operation`): each is an async generator
  (registered with the event loop), its context manager and their frames (~0.6 KiB each).
  `Aclosing` does the same in a slotted object: `aclose()` on leaving, its exceptions
  suppressed, nothing else. `close_streams_with_aclosing()` puts it in place of upstream's in
  the two modules that stream subscriptions.
- `OperationContextManager` enters the extensions' `on_operation` hooks through an
  `AsyncExitStack` (its deque of callbacks alone is ~0.8 KiB) held until the stream ends.
  `OneHookOperation` enters a single hook (or none) directly (our schema has one:
  CheckedDocuments) and leaves it as the exit stack would (its exception, if any, raised;
  nothing suppressed, as upstream's `__aexit__` returns None); with more hooks it is
  upstream's.

To remove: drop the `close_streams_with_aclosing()` call (schema.py) and `operation` in
`ExtensionsRunner` (patches/strawberry.py), this module and its guard test.
"""

from __future__ import annotations

from contextlib import suppress
from types import TracebackType
from typing import Any, Generic, TypeVar

import strawberry.schema.schema as schema_module
import strawberry.subscriptions.protocols.graphql_transport_ws.handlers as transport_ws
from strawberry.extensions.context import OperationContextManager

# The upstream versions this module was written for (pinned in pyproject.toml).
WRITTEN_FOR = {"strawberry-graphql": "0.341.2"}

T = TypeVar("T")

# The modules whose subscription streams `Aclosing` closes.
STREAMING_MODULES = (schema_module, transport_ws)


class Aclosing(Generic[T]):
    """`async with Aclosing(stream)`: the stream, closed (`aclose()`, its exceptions
    suppressed) when the block ends, as strawberry's `aclosing`."""

    __slots__ = ("thing",)

    def __init__(self, thing: T) -> None:
        self.thing = thing

    async def __aenter__(self) -> T:
        return self.thing

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        with suppress(Exception):
            await self.thing.aclose()  # type: ignore[attr-defined]


def close_streams_with_aclosing() -> None:
    """Use `Aclosing` where strawberry streams subscriptions (idempotent)."""
    for module in STREAMING_MODULES:
        module.aclosing = Aclosing  # type: ignore[attr-defined]


class OneHookOperation(OperationContextManager):
    """The `on_operation` phase: a single hook entered directly, more through upstream's
    exit stack."""

    def __init__(self, extensions: Any) -> None:
        super().__init__(extensions)
        # (the hook's context manager or None without hooks, whether it is async) once entered
        # directly; None otherwise.
        self._entered: tuple[Any, bool] | None = None

    async def __aenter__(self) -> None:
        if len(self.hooks) > 1:
            await super().__aenter__()
            return
        if not self.hooks:
            self._entered = (None, False)
            return
        hook = self.hooks[0]
        manager: Any = hook.hook()
        # As AsyncExitStack.enter_(async_)context: the methods looked up on the type.
        if hook.is_async:
            await type(manager).__aenter__(manager)
        else:
            type(manager).__enter__(manager)
        self._entered = (manager, hook.is_async)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        entered = self._entered
        if entered is None:
            await super().__aexit__(exc_type, exc_val, exc_tb)
            return
        self._entered = None
        manager, is_async = entered
        if manager is None:
            return
        if is_async:
            await type(manager).__aexit__(manager, exc_type, exc_val, exc_tb)
        else:
            type(manager).__exit__(manager, exc_type, exc_val, exc_tb)
