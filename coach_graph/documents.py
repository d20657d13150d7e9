"""Parsing and validating GraphQL documents within the limits of SPEC.md, each text once.

Parsing and validation are most of a small request's cost, and a dashboard sends the same few
documents again and again: both steps are cached in bounded LRUs (by document text; by parsed
document and rule set). One extension does both, and is the request path's only extension: it
also hands the operation's name to the request's log line and its duration to the observers
(metrics), so each operation sets up one object and three short hooks, and a long-lived
subscription keeps one small object, not several extensions and generators for its whole life.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, parse
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from coach_graph.cost import operation_cost, page_variables
from coach_graph.web.request_note import note_operation

CACHE_SIZE = 256

# Told of every operation once it has finished: its execution context and its seconds.
OperationObserver = Callable[[ExecutionContext, float], None]

_parse = lru_cache(maxsize=CACHE_SIZE)(parse)
# Costs kept per document: one per operation and values of its page-size variables.
COSTS_PER_DOCUMENT = 64


class _Facts:
    """What is worked out once per parsed document: its validation errors (per schema and rule
    set), the variables its cost reads (`page_variables`) and its costs by their values."""

    __slots__ = ("costs", "document", "errors", "pages")

    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.errors: dict[tuple[Any, ...], list[GraphQLError]] = {}
        self.pages = page_variables(document)
        self.costs: dict[tuple[Any, ...], int] = {}


class _FactsByDocument:
    """`_Facts` of the last `size` documents, by the document's identity: `_parse` hands the same
    object back for the same text, and a document's own hash and equality walk its whole tree
    (~44 us for a client detail page, each time an `lru_cache` keyed by it is asked)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[int, _Facts] = OrderedDict()

    def __call__(self, document: DocumentNode) -> _Facts:
        key = id(document)
        facts = self._entries.get(key)
        if facts is not None and facts.document is document:
            self._entries.move_to_end(key)
            return facts
        facts = self._entries[key] = _Facts(document)  # new, or an id reused by another
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return facts


_facts = _FactsByDocument(CACHE_SIZE)


def limit_rules(max_depth: int, max_aliases: int) -> tuple[type[ASTValidationRule], ...]:
    """The depth and alias rules, built once: the same classes every time let validation cache."""
    return (
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    )


def _has_lone_surrogate(value: object) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


class CheckedDocuments(SchemaExtension):
    """Parses with a token limit, validates with the limit rules (both cached), then refuses an
    operation whose static cost (kept per document and values of its page-size variables) is over
    `cost_limit`: all before anything executes or reads the database. Once the operation has
    finished, notes its name for the access log and tells each of `observers`."""

    def __init__(
        self,
        max_tokens: int,
        rules: tuple[type[ASTValidationRule], ...],
        cost_limit: int,
        observers: Sequence[OperationObserver] = (),
    ) -> None:
        self.max_tokens = max_tokens
        self.rules = rules
        self.cost_limit = cost_limit
        self.observers = observers

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        note_operation(context.operation_name)
        if self.observers:
            seconds = time.perf_counter() - started
            for observe in self.observers:
                observe(context, seconds)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        assert context.query is not None
        if _has_lone_surrogate(context.query) or _has_lone_surrogate(context.variables):
            # JSON's "\ud800" escape decodes to a lone surrogate: no database can store it or
            # search for it, so it is refused here, for every argument at once.
            raise GraphQLError("The request holds an invalid character (a lone surrogate).")
        # An oversized document raises here (not cached), and is refused as BAD_USER_INPUT.
        context.graphql_document = _parse(context.query, max_tokens=self.max_tokens)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        schema, rules = context.schema._schema, (*context.validation_rules, *self.rules)
        facts = _facts(context.graphql_document)
        errors = facts.errors.get((schema, rules))
        if errors is None:
            errors = facts.errors[(schema, rules)] = validate_document(
                schema, context.graphql_document, rules
            )
        if not errors:
            errors = self._cost_errors(context)
        context.pre_execution_errors = errors
        yield

    def _cost_errors(self, context: ExecutionContext) -> list[GraphQLError]:
        assert context.graphql_document is not None
        schema, document, name = (
            context.schema._schema,
            context.graphql_document,
            context.operation_name,
        )
        sent = context.variables or {}
        facts = _facts(document)
        # The value's type in the key too: 2.0 == 2, and the cost reads only an int.
        key = (schema, name, *((n, type(sent[n]), sent[n]) for n in facts.pages if n in sent))
        try:
            cost = facts.costs.get(key)
            keep = True
        except TypeError:  # a page size sent as a list or an object: unhashable, not kept
            cost, keep = None, False
        if cost is None:
            cost = operation_cost(schema, document, name, sent)
            if keep:
                if len(facts.costs) >= COSTS_PER_DOCUMENT:
                    facts.costs.clear()
                facts.costs[key] = cost
        if cost <= self.cost_limit:
            return []
        message = (
            f"This operation costs {cost:,}, over the limit of {self.cost_limit:,}: ask for "
            "smaller pages (`first`) or fewer nested lists."
        )
        extensions = {"code": "BAD_USER_INPUT", "cost": cost, "costLimit": self.cost_limit}
        return [GraphQLError(message, extensions=extensions)]
