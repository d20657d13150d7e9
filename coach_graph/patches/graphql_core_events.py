"""graphql-core's subscription events, completed once for every subscriber that would complete
the very same thing.

Written for graphql-core 3.3.2 (pinned in pyproject.toml; the guard test
tests/patches/test_graphql_core_events.py fails when the version moves or when the calls this
relies on change).

What upstream does: for every event of every subscription, `map_source_to_response_event` calls
`executor.build_per_event_executor(payload)` and executes the operation's selection set on that
payload. A live feed fans one event out to every socket of its owner (a coach's dashboards on
ten screens, the bench's thousand sockets): the same item, the same document, the same viewer,
completed again for each socket (~20 % of a fan-out's time, measured with py-spy in
scripts/benchmarks/bench_alerts.py).

What this changes: the schema's execution context class is subclassed (`shared_events`) so that
an event a live feed delivers from a read shared by all subscribers of one scope
(`coach_graph.feed.delivering` names the item) is completed once per (item, operation,
variables, viewer); the other subscribers get the same result. Only results without errors are
shared (an error is coded and logged per request, in place: coach_graph/gql.py `code_error`);
everything else is completed per subscriber as upstream does. The viewer is the whole scope a
completion depends on: resolvers read the viewer and loaders through the context, and loaders
are per event and viewer-scoped. Also, a subscription's executor, held for the subscription's
life, gets its attributes in a dictionary sized for them (`compact_attributes`; strawberry's is
sized for three times as many: ~0.8 KiB more per subscriber).

Relies on: `Executor.build_per_event_executor(payload)` being what `map_source_to_response_event`
calls per event, and `execute_subscription_event` calling `execute_operation(False)` on what it
returns and awaiting it when `is_awaitable` says so; `Executor.operation`, `.variable_values`
(`.coerced`) and `.context_value`.

To remove: drop the `shared_events(...)` wrapping in app.py, this module and its guard test;
every subscriber then completes its own copy (same answers, more time per event).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any, cast

from graphql import ExecutionResult, OperationType
from graphql.execution import Executor

from coach_graph.feed import delivering

# The upstream versions this module was written for (pinned in pyproject.toml).
WRITTEN_FOR = {"graphql-core": "3.3.2"}

# Completed events kept for the subscribers still to come: one event reaches all of its
# subscribers within milliseconds, so a few hundred entries cover many events in flight.
KEPT = 512


class _Completed:
    """One shared completion: what it completed (held, so its id is not reused while kept) and
    the result, or the future of it while it runs."""

    __slots__ = ("item", "operation", "result")

    def __init__(self, item: object, operation: object, result: Any) -> None:
        self.item = item
        self.operation = operation
        self.result = result


_completed: OrderedDict[tuple[int, int, str, tuple[Any, ...]], _Completed] = OrderedDict()
# Data of shared results, by id: the transport encodes each once (`shared_json`).
_encoded: OrderedDict[int, tuple[dict[str, Any], str | None]] = OrderedDict()


def _viewer_scope(context: Any) -> tuple[Any, ...] | None:
    viewer = getattr(context, "viewer", None)
    if viewer is None:
        return None
    return (type(context), viewer.id, viewer.role, viewer.email, viewer.name, viewer.time_zone)


def _variables_key(executor: Executor[Any]) -> str | None:
    try:
        return json.dumps(executor.variable_values.coerced, sort_keys=True, default=repr)
    except (TypeError, ValueError):  # keys that do not sort: not shared
        return None


def _operation_key(executor: Executor[Any]) -> tuple[int, str, tuple[Any, ...]] | None:
    """What besides the item a completion depends on: the operation (parsed once per text, so
    one object), the variables and the viewer; None when it cannot be shared."""
    variables = _variables_key(executor)
    scope = _viewer_scope(executor.context_value)
    if variables is None or scope is None:
        return None
    return (id(executor.operation), variables, scope)


def shared_json(data: object, encode: Any) -> str | None:
    """The JSON of `data` when it is the data of a shared result (encoded once with `encode`);
    None for anything else."""
    entry = _encoded.get(id(data))
    if entry is None or entry[0] is not data:
        return None
    text = entry[1]
    if text is None:
        text = encode(data)
        _encoded[id(data)] = (entry[0], text)
    return text


def _keep_data(result: ExecutionResult) -> None:
    data = result.data
    if data is not None:
        _encoded[id(data)] = (data, None)
        while len(_encoded) > KEPT:
            _encoded.popitem(last=False)


class _SharedEvent:
    """What `build_per_event_executor` returns for a shared item: `execute_operation` answers
    from the completion of the first subscriber with the same key, or completes it."""

    __slots__ = ("executor", "item", "payload")

    def __init__(self, executor: Executor[Any], item: object, payload: Any) -> None:
        self.executor = executor
        self.item = item
        self.payload = payload

    def _own(self, serially: bool | None) -> Any:
        own = _UPSTREAM[type(self.executor)](self.executor, self.payload)
        return own.execute_operation(serially)

    def execute_operation(self, serially: bool | None = None) -> Any:
        executor = self.executor
        # The same for every event of a subscription: worked out at its first event.
        known = executor.__dict__
        if "_shared_key" not in known:
            known["_shared_key"] = _operation_key(executor)
        operation_key: tuple[int, str, tuple[Any, ...]] | None = known["_shared_key"]
        if operation_key is None:
            return self._own(serially)
        key = (id(self.item), *operation_key)
        entry = _completed.get(key)
        if entry is not None and entry.item is self.item and entry.operation is executor.operation:
            return self._shared(entry, serially)
        result = self._own(serially)
        if executor.is_awaitable(result):
            # A task of its own: a subscriber that leaves mid-completion cancels only its wait.
            task = asyncio.ensure_future(cast(Awaitable[ExecutionResult], result))
            task.add_done_callback(_done)
            self._keep(key, task)
            return self._after(task, serially, mine=True)
        if isinstance(result, ExecutionResult) and not result.errors:
            _keep_data(result)
            self._keep(key, result)
        return result

    def _keep(self, key: tuple[int, int, str, tuple[Any, ...]], result: Any) -> None:
        _completed[key] = _Completed(self.item, self.executor.operation, result)
        while len(_completed) > KEPT:
            _completed.popitem(last=False)

    def _shared(self, entry: _Completed, serially: bool | None) -> Any:
        result = entry.result
        if isinstance(result, ExecutionResult):
            return result
        return self._after(cast("asyncio.Future[ExecutionResult]", result), serially, mine=False)

    async def _after(
        self, future: asyncio.Future[ExecutionResult], serially: bool | None, *, mine: bool
    ) -> ExecutionResult:
        """The shared completion once done; with errors, the caller's own (errors are coded
        and logged per request), unless the caller is the one who completed it (`mine`)."""
        result = await asyncio.shield(future)
        if result.errors and not mine:
            own = self._own(serially)
            return cast(ExecutionResult, await own if self.executor.is_awaitable(own) else own)
        return result


def _done(future: asyncio.Future[ExecutionResult]) -> None:
    if future.cancelled() or future.exception() is not None:
        return
    result = future.result()
    if not result.errors:
        _keep_data(result)


SUBSCRIPTION = OperationType.SUBSCRIPTION


def compact_attributes(executor: Executor[Any]) -> None:
    """The executor's attributes in a dictionary sized for them, when that is smaller. A
    subscription's executor is held for the subscription's life; strawberry's has 31
    attributes, one more than an instance can share with its class, and the dictionary they
    then move to is sized for three times as many (~1.6 KiB; a copy is ~0.8 KiB)."""
    attributes = executor.__dict__
    compact = dict(attributes.items())
    if sys.getsizeof(compact) < sys.getsizeof(attributes):
        executor.__dict__ = compact


# The upstream `build_per_event_executor` of each class wrapped by `shared_events`.
_UPSTREAM: dict[type[Any], Any] = {}
_WRAPPED: dict[type[Any], type[Any]] = {}


def shared_events(executor_class: type[Executor[Any]]) -> type[Executor[Any]]:
    """`executor_class` completing shared live-feed events once (see the module docstring);
    queries and mutations never build per-event executors and are unaffected."""
    if executor_class in _WRAPPED.values():
        return executor_class
    wrapped = _WRAPPED.get(executor_class)
    if wrapped is not None:
        return wrapped

    def build_per_event_executor(self: Executor[Any], payload: Any) -> Any:
        item = delivering.get()
        if item is None:
            return executor_class.build_per_event_executor(self, payload)
        return _SharedEvent(self, item, payload)

    def build(cls: type[Executor[Any]], *args: Any, **kwargs: Any) -> Any:
        executor = executor_class.build.__func__(cls, *args, **kwargs)  # type: ignore[attr-defined]
        if isinstance(executor, Executor) and executor.operation.operation is SUBSCRIPTION:
            compact_attributes(executor)
        return executor

    wrapped = type(
        f"SharedEvents{executor_class.__name__}",
        (executor_class,),
        {
            "build_per_event_executor": build_per_event_executor,
            "build": classmethod(build),
            "__module__": __name__,
        },
    )
    _UPSTREAM[wrapped] = executor_class.build_per_event_executor
    _WRAPPED[executor_class] = wrapped
    return wrapped
