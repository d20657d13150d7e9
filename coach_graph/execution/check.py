"""The differential check (EXECUTION_CHECK): a compiled answer compared with graphql-core's for
the same operation, and the count of how each operation was executed.

Two answers are the same when they would print the same JSON: the same keys in the same
order, the same list lengths, and leaves of the same type and value.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple

# How operations were executed since the process started (the test suite prints it).
COMPILED = "compiled"
FELL_BACK = "compiled run abandoned, graphql-core answered"
NOT_COMPILED = "query without a plan, graphql-core answered"
NOT_A_QUERY = "mutation or subscription, graphql-core answered"
CHECKED = "compiled and graphql-core answers compared equal"
MISMATCHED = "compiled and graphql-core answers differed"
EXECUTIONS: Counter[str] = Counter()
# Why compiled runs were abandoned: the exception's class name.
FALLBACK_REASONS: Counter[str] = Counter()


class ExecutionMismatch(Exception):
    """The compiled answer differs from graphql-core's: a fault of the plan, never the user's."""


class Difference(NamedTuple):
    """Where two answers part (a response path) and how."""

    path: tuple[str | int, ...]
    what: str

    def __str__(self) -> str:
        return f"{'.'.join(map(str, self.path)) or 'the answer'}: {self.what}"


def first_difference(
    compiled: Any, expected: Any, path: tuple[str | int, ...] = ()
) -> Difference | None:
    """Where two answers first differ, or None when they are the same."""
    if type(compiled) is not type(expected):
        return Difference(path, f"{type(compiled).__name__} instead of {type(expected).__name__}")
    if isinstance(expected, dict):
        if list(compiled) != list(expected):
            return Difference(path, f"keys {list(compiled)} instead of {list(expected)}")
        for key, value in expected.items():
            found = first_difference(compiled[key], value, (*path, key))
            if found:
                return found
        return None
    if isinstance(expected, list):
        if len(compiled) != len(expected):
            return Difference(path, f"{len(compiled)} items instead of {len(expected)}")
        for index, (mine, theirs) in enumerate(zip(compiled, expected, strict=True)):
            found = first_difference(mine, theirs, (*path, index))
            if found:
                return found
        return None
    if compiled != expected:
        return Difference(path, "a different value")
    return None
