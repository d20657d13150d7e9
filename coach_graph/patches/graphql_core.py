"""graphql-core's executor, answering queries through compiled plans (coach_graph/execution/).

Written for graphql-core 3.3.2 and strawberry-graphql 0.341.2 (both pinned in pyproject.toml;
the guard test tests/patches/test_graphql_core.py fails when either version moves or when
upstream code whose behaviour the plans reproduce changes).

Why: graphql-core completes every field of every object through its general path (a resolve
info, a path, awaitable checks, the type's wrappers unwrapped again), and strawberry wraps each
resolver; on the client detail page (~1,700 fields) that was most of the request. A plan does
that work once per document, and the run reads plain fields as plain attributes.

What it relies on:
- strawberry's `Schema(execution_context_class=...)` hands the class to graphql-core's `execute`
  as `executor_class`; graphql-core builds it (`Executor.build`: the operation chosen, the
  variables coerced, errors answered before execution) and calls `execute_operation()`, the one
  method overridden here. Mutations and subscriptions go to upstream unchanged.
- the executor's attributes (schema, operation, fragments, fragment_definitions, variable_values,
  root_value, middleware_manager, abort_signal, hooks, is_awaitable, is_async_iterable,
  hide_suggestions) and strawberry's `build_resolve_info`, which resolvers receive as graphql-core
  would give it;
- the executor's `async_helpers`, bound methods of the executor (a cycle): replaced once a query
  or mutation is over, so what the operation held is freed by reference counting (a
  subscription's events keep theirs: an executor may serve several);
- graphql-core's `collect_fields` / `collect_subfields` (documented "for internal use");
- the successful path of `Executor.execute_fields`, `execute_field`, `complete_value` and the
  completions of lists, leaves and objects, and strawberry's `from_resolver` (its basic field
  `_get_basic_result`), `get_arguments` and `StrawberryField.get_result`: coach_graph/execution/
  reproduces them (the guard test holds their source hashes).

The fallback: a query never writes (SPEC.md: reading never changes anything), so when a
compiled run is abandoned (a resolver raised, a non-null field was null, anything the plan did
not expect) graphql-core runs the same operation again on the same context, and its answer,
with its errors, paths and null propagation, is the one sent. The compiled run's leftovers are
settled first (its unawaited coroutines closed, its other awaitables awaited), so nothing of
it is left running. DataLoaders keep what the first run loaded, so the second reads no row twice.

EXECUTION_CHECK (`Settings.execution_check`, on in the test suite): every compiled answer is
compared with graphql-core's answer to the same operation; a difference is logged and answered
as INTERNAL, so no test passes on a compiled answer graphql-core would not give.

To remove: delete this module, coach_graph/execution/, tests/execution/, the guard test, and
the `execution_context_class` argument in coach_graph/schema.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, ClassVar

from graphql import ExecutionResult, GraphQLError, GraphQLResolveInfoHelpers, OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from coach_graph.execution import (
    EXECUTIONS,
    FALLBACK_REASONS,
    ExecutionMismatch,
    PlanCache,
    Run,
    first_difference,
)
from coach_graph.execution.check import (
    CHECKED,
    COMPILED,
    FELL_BACK,
    MISMATCHED,
    NOT_A_QUERY,
    NOT_COMPILED,
    Difference,
)

# The upstream versions this module was written for (pinned in pyproject.toml).
WRITTEN_FOR = {"graphql-core": "3.3.2", "strawberry-graphql": "0.341.2"}

log = logging.getLogger("coach_graph.execution")


def _over(_values: object) -> Any:
    raise RuntimeError("the operation is over")


# An executor's helpers once its operation is over (see CompiledQueryExecutor._release).
_OVER = GraphQLResolveInfoHelpers(gather=_over, track=_over)


class CompiledQueryExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor; a query with a plan runs through the plan. Use `for_schema` for
    a class with its own plans (they belong to one schema)."""

    plans: ClassVar[PlanCache] = PlanCache()
    check: ClassVar[bool] = False

    @classmethod
    def for_schema(cls, check: bool = False) -> type[CompiledQueryExecutor]:
        """A subclass with an empty plan cache; `check` compares each answer with graphql-core."""
        return type(cls.__name__, (cls,), {"plans": PlanCache(), "check": check})

    def execute_operation(self, serially: bool | None = None) -> Any:
        if serially is not None:  # a subscription's event
            EXECUTIONS[NOT_A_QUERY] += 1
            return super().execute_operation(serially)
        result = self._operation()
        if self.is_awaitable(result):
            return self._releasing(result)
        self._release()
        return result

    async def _releasing(self, result: Awaitable[ExecutionResult]) -> ExecutionResult:
        try:
            return await result
        finally:
            self._release()

    def _release(self) -> None:
        """The operation is over: break graphql-core's cycle between the executor and its
        helpers (bound methods of the executor), so that the executor and all it holds (the
        context, its loaders and their rows) are freed at once by reference counting rather
        than by the cyclic collector (~650 objects a history page)."""
        self.async_helpers = _OVER

    def _operation(self) -> Any:
        if self.operation.operation is not OperationType.QUERY:
            EXECUTIONS[NOT_A_QUERY] += 1
            return super().execute_operation()
        plan = self.plans.plan(self) if self._without_hooks() else None
        if plan is None:
            EXECUTIONS[NOT_COMPILED] += 1
            return super().execute_operation()
        run = Run(self)
        try:
            data = run.execute(plan, self.root_value)
        except Exception as error:
            return self._fall_back(run, error)
        if isinstance(data, dict):
            return self._answer(data)
        return self._answer_later(run, data)

    def _without_hooks(self) -> bool:
        """Nothing wraps the resolvers (middleware: a tracing extension), watches the work
        (hooks) or may abort it: what a plan's run does not reproduce."""
        middleware = self.middleware_manager
        return (
            self.abort_signal is None
            and self.hooks is None
            and not (middleware is not None and middleware.middlewares)
        )

    async def _answer_later(self, run: Run, data: Awaitable[dict[str, Any]]) -> ExecutionResult:
        try:
            completed = await data
        except Exception as error:
            return await self._fall_back(run, error)
        answer = self._answer(completed)
        return await answer if isinstance(answer, Awaitable) else answer

    def _answer(self, data: dict[str, Any]) -> ExecutionResult | Awaitable[ExecutionResult]:
        EXECUTIONS[COMPILED] += 1
        if self.check:
            return self._checked(data)
        return ExecutionResult(data, None)

    async def _fall_back(self, run: Run, error: Exception) -> ExecutionResult:
        EXECUTIONS[FELL_BACK] += 1
        FALLBACK_REASONS[type(error).__name__] += 1
        log.debug("compiled run of %s abandoned: %r", self._name(), error)
        if run.leftovers:
            await asyncio.gather(*run.leftovers, return_exceptions=True)
        return await self._graphql_core()

    async def _graphql_core(self) -> ExecutionResult:
        result = super().execute_operation()
        if self.is_awaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        return result

    async def _checked(self, data: dict[str, Any]) -> ExecutionResult:
        expected = await self._graphql_core()
        if expected.errors:
            messages = "; ".join(e.message for e in expected.errors)
            path = tuple(expected.errors[0].path or ())
            difference: Difference | None = Difference(
                path, f"graphql-core answered with errors: {messages}"
            )
        else:
            difference = first_difference(data, expected.data)
        if difference is None:
            EXECUTIONS[CHECKED] += 1
            return ExecutionResult(data, None)
        EXECUTIONS[MISMATCHED] += 1
        name = self._name()
        log.error("compiled answer of %s differs from graphql-core's: %s", name, difference)
        mismatch = ExecutionMismatch(f"operation {name}: {difference}")
        # With a path (where it differs, else the first field) gql.py makes it INTERNAL.
        where = list(difference.path) or [next(iter(data))]
        error = GraphQLError(str(mismatch), path=where, original_error=mismatch)
        return ExecutionResult(None, [error])

    def _name(self) -> str:
        return self.operation.name.value if self.operation.name else "anonymous"
