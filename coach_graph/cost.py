"""The static cost of an operation (SPEC.md "Errors and bad input"), computed before it runs.

Each object a response can hold costs 1, multiplied by the page size of every list above it:
a field's `first` (or `last`) argument as sent, by variable or by its default; a plain list
without such an argument counts as `ASSUMED_LIST_SIZE` items (emotion scores: their fixed
eight); the `edges` of a connection are the page its `first` already counted. Scalars and
enums are free, and so is introspection (`__schema`, `__type`, `__typename`), which never
reaches the database. Fragments and inline fragments count as if written out.

    { clients(first: 50) { edges { node { timeline(first: 50) { edges { node { id } } } } } } }

costs 1 (the connection) + 50 edges + 50 clients + 50 * (1 + 50 + 50) timeline objects = 5,151.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)
from graphql.utilities import value_from_ast_untyped

# How many items a list without a page argument (a client's homework, the needs-attention cards,
# an entry's eight emotion scores...) is assumed to hold.
ASSUMED_LIST_SIZE = 20
# Lists whose length the product fixes: the eight basic emotions, every time.
KNOWN_LIST_SIZES = {("JournalAnalysis", "emotions"): 8, ("EmotionPoint", "scores"): 8}
PAGE_ARGUMENTS = ("first", "last")


def page_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables the cost of `document`'s operations reads: those sent as a page size
    (`first`/`last`). Every other variable leaves the cost as it is."""
    names: set[str] = set()

    def walk(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                for argument in selection.arguments or ():
                    value = argument.value
                    if argument.name.value in PAGE_ARGUMENTS and isinstance(value, VariableNode):
                        names.add(value.name.value)
            if isinstance(selection, (FieldNode, InlineFragmentNode)):
                walk(selection.selection_set)

    for definition in document.definitions:
        if isinstance(definition, (OperationDefinitionNode, FragmentDefinitionNode)):
            walk(definition.selection_set)
    return tuple(sorted(names))


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of the operation `operation_name` selects in a validated `document`."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        op
        for op in operations
        if operation_name is None or (op.name is not None and op.name.value == operation_name)
    ]
    if len(chosen) != 1:
        return 0  # execution refuses an ambiguous or unknown operation on its own
    operation = chosen[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    sent = dict(variables or {})
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in sent and definition.default_value is not None:
            sent[name] = value_from_ast_untyped(definition.default_value)
    return _Counter(schema, fragments, sent).selection_cost(operation.selection_set, root, 1)


class _Counter:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection_cost(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLCompositeType,
        times: int,
        page: int = ASSUMED_LIST_SIZE,
    ) -> int:
        """The cost of a selection made `times` times; `page` is the size of the page when
        `parent` is a connection."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent, times, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                if is_composite_type(on):
                    total += self.selection_cost(selection.selection_set, on, times, page)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                spread_on = self.schema.get_type(fragment.type_condition.name.value)
                if is_composite_type(spread_on):
                    total += self.selection_cost(fragment.selection_set, spread_on, times, page)
        return total

    def field_cost(
        self, node: FieldNode, parent: GraphQLCompositeType, times: int, page: int
    ) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(parent, GraphQLObjectType):
            return 0  # introspection; interfaces and unions are not in this schema
        field = parent.fields.get(name)
        if field is None or node.selection_set is None:
            return 0  # a scalar or enum (validation has refused anything unknown)
        named = get_named_type(field.type)
        if not is_composite_type(named):
            return 0
        size = self.page_argument(node, field)
        if size is not None and not _is_list(field.type):
            # A connection: one object here, `size` edges below it.
            return times + self.selection_cost(node.selection_set, named, times, size)
        if size is None:
            if name == "edges" and "pageInfo" in parent.fields:
                size = page
            elif _is_list(field.type):
                size = KNOWN_LIST_SIZES.get((parent.name, name), ASSUMED_LIST_SIZE)
            else:
                size = 1
        inner = times * size
        return inner + self.selection_cost(node.selection_set, named, inner)

    def page_argument(self, node: FieldNode, field: GraphQLField) -> int | None:
        """The page size this field is asked for, when it takes one."""
        for argument in PAGE_ARGUMENTS:
            if argument in field.args:
                return max(1, self.argument_int(node, argument, field.args[argument].default_value))
        return None

    def argument_int(self, node: FieldNode, name: str, default: Any) -> int:
        value: Any = default
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            if isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value, default)
            elif isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
        if value is None:
            value = default
        return value if isinstance(value, int) and not isinstance(value, bool) else 1


def _is_list(type_: GraphQLOutputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)
