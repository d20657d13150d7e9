"""Compiled execution of queries: each cached, validated query document becomes a completion
plan, and the plan answers it in a fraction of what graphql-core's general completion costs
per field. graphql-core stays the reference: it runs whatever the plan does not handle, and
any query whose compiled run meets an error.

- plan.py    compiling an operation into nested object plans (fields, readers, shapes); the LRU
- shapes.py  completing a value by its GraphQL type: non-null, list, leaf (scalar, enum), object
- run.py     running a plan level by level, awaiting each level's loads together
- check.py   the differential check against graphql-core (EXECUTION_CHECK), and the counts

The hook into graphql-core's executor is coach_graph/patches/graphql_core.py.
"""

from coach_graph.execution.check import (
    EXECUTIONS,
    FALLBACK_REASONS,
    ExecutionMismatch,
    first_difference,
)
from coach_graph.execution.plan import ObjectPlan, PlanCache, Unsupported, compile_operation
from coach_graph.execution.run import Run
from coach_graph.execution.shapes import Abandon

__all__ = [
    "EXECUTIONS",
    "FALLBACK_REASONS",
    "Abandon",
    "ExecutionMismatch",
    "ObjectPlan",
    "PlanCache",
    "Run",
    "Unsupported",
    "compile_operation",
    "first_difference",
]
