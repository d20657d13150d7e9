"""Compiling a validated query into a completion plan, once per document and operation.

The plan is what graphql-core works out again for every object of every request: the fields an
object's selection asks for (fragments, aliases, @skip/@include applied, by graphql-core's own
`collect_fields` / `collect_subfields`), each field's definition, how its value is read and how
it is completed.

How a field's value is read (`FieldPlan.kind`):
- READ: what strawberry does without an info object: a field without a resolver reads its
  attribute (`_get_basic_result`: `config.default_resolver(source, python_name)`); a resolver
  method taking nothing but `self` is called with the source (`get_arguments` passes only the
  source; no extension, argument, exception handler or info/root/parent parameter between).
- RESOLVER: anything else calls the resolver as graphql-core does, with the executor's
  `GraphQLResolveInfo` and `get_argument_values`' arguments (immutable literal ones coerced
  once). A method taking `self` and `info` alone (otherwise as READ) is called directly with the
  Info strawberry would build, past its argument conversion and extensions (nothing to do).
- TYPENAME: `__typename`, the parent type's name.

What a plan does not handle raises `Unsupported` while compiling and graphql-core runs the
operation: mutations, subscriptions, operation directives, introspection (`__schema`, `__type`),
interfaces and unions, `is_type_of`, @defer/@stream, fragment variables, fields without a
resolver of strawberry's.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from enum import Enum
from operator import attrgetter
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_argument_values,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution import Executor
from graphql.execution.collect_fields import CollectedFields, collect_fields, collect_subfields

from coach_graph.execution.shapes import Leaf, ListOf, NonNull, ObjectShape, Shape

READ, RESOLVER, TYPENAME = range(3)
# strawberry's name for the resolver of a field without one (schema_converter.from_resolver).
STRAWBERRY_BASIC_RESOLVER = "_get_basic_result"
# strawberry keeps its own field on the GraphQL field under this key.
STRAWBERRY_FIELD = "strawberry-definition"
# Plans kept per operation for different values of its @skip/@include variables.
MAX_VARIANTS = 16
_MISSING = object()


class Unsupported(Exception):
    """Something a plan does not handle: graphql-core runs the operation."""


class FieldPlan:
    """One response key of an object's selection."""

    __slots__ = (
        "arguments",
        "field_def",
        "field_nodes",
        "key",
        "kind",
        "leaf",
        "needs_path",
        "non_null",
        "parent_type",
        "plain",
        "read",
        "resolve",
        "shape",
        "typename",
    )

    def __init__(self, key: str, kind: int, parent_type: GraphQLObjectType) -> None:
        self.key = key
        self.kind = kind
        self.parent_type = parent_type
        self.typename = parent_type.name
        self.read: Callable[[Any], Any] | None = None
        self.resolve: Callable[..., Any] | None = None
        self.field_def: GraphQLField | None = None
        self.field_nodes: list[FieldNode] = []
        self.arguments: dict[str, Any] | None = None  # coerced literals; None: at each call
        self.shape: Shape | None = None
        self.needs_path = False
        # A scalar or enum: its coercion, non-null or not, the value types completed at once.
        self.leaf: Callable[[Any], Any] | None = None
        self.non_null = False
        self.plain: frozenset[type] = frozenset()


# What a run reads of each field (ObjectPlan.rows), in this order, then the FieldPlan itself.
_ROW = attrgetter("kind", "key", "typename", "needs_path", "read", "leaf", "plain", "non_null")


class ObjectPlan:
    """The fields asked of one object type at one place in the operation, in response order."""

    __slots__ = ("needs_path", "rows", "typename")

    def __init__(self, typename: str, fields: Sequence[FieldPlan]) -> None:
        self.typename = typename
        self.rows = tuple((*_ROW(f), f.shape, f) for f in fields)  # unpacked at once by a run
        self.needs_path = any(f.needs_path for f in fields)


def compile_operation(executor: Executor[Any]) -> ObjectPlan:
    """The plan of the executor's operation for its variables' @skip/@include values."""
    operation = executor.operation
    if operation.operation is not OperationType.QUERY or operation.directives:
        raise Unsupported("not a plain query")
    if any(f.variable_signatures for f in executor.fragments.values()):
        raise Unsupported("fragment variables")
    root = executor.schema.query_type
    if root is None:
        raise Unsupported("no query type")
    collected = collect_fields(
        executor.schema,
        executor.fragments,
        executor.variable_values,
        root,
        operation,
        executor.hide_suggestions,
    )
    return _Compiler(executor).object_plan(root, collected)


class _Compiler:
    def __init__(self, executor: Executor[Any]) -> None:
        self.executor = executor
        self.strawberry = getattr(executor.schema, "_strawberry_schema", None)

    def object_plan(self, object_type: GraphQLObjectType, collected: CollectedFields) -> ObjectPlan:
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            raise Unsupported("@defer")
        if object_type.is_type_of is not None:
            raise Unsupported("is_type_of")
        fields = [
            self.field_plan(object_type, key, details)
            for key, details in collected.grouped_field_set.items()
        ]
        return ObjectPlan(object_type.name, fields)

    def field_plan(self, parent_type: GraphQLObjectType, key: str, details: Any) -> FieldPlan:
        if any(d.defer_usage is not None or d.fragment_variable_values for d in details):
            raise Unsupported("@defer or fragment variables")
        node: FieldNode = details[0].node
        name = node.name.value
        if name == "__typename":
            return FieldPlan(key, TYPENAME, parent_type)
        field_def = parent_type.fields.get(name)
        if name.startswith("__") or field_def is None or field_def.resolve is None:
            raise Unsupported(f"field {name}")
        read = self.reader(field_def)
        plan = FieldPlan(key, READ if read else RESOLVER, parent_type)
        plan.read = read
        plan.resolve = (None if read else self.with_info(field_def)) or field_def.resolve
        plan.field_def = field_def
        plan.field_nodes = [d.node for d in details]
        if plan.kind == RESOLVER:
            has_arguments = field_def.args or node.arguments
            plan.arguments = self.literal_arguments(field_def, node) if has_arguments else {}
        plan.shape = self.shape(field_def.type, details)
        plan.needs_path = plan.kind == RESOLVER or _needs_path(plan.shape)
        leaf = plan.shape.of if isinstance(plan.shape, NonNull) else plan.shape
        if isinstance(leaf, Leaf):
            plan.leaf = leaf.coerce
            plan.non_null = leaf is not plan.shape
            plan.plain = _plain_types(field_def.type)
        return plan

    def shape(self, output_type: GraphQLOutputType, details: Any) -> Shape:
        if isinstance(output_type, GraphQLNonNull):
            return NonNull(self.shape(output_type.of_type, details))
        if isinstance(output_type, GraphQLList):
            return ListOf(self.shape(output_type.of_type, details))
        if is_leaf_type(output_type):
            return Leaf(output_type)
        if isinstance(output_type, GraphQLObjectType):
            executor = self.executor
            collected = collect_subfields(
                executor.schema,
                executor.fragments,
                executor.variable_values,
                executor.operation,
                output_type,
                details,
                executor.hide_suggestions,
            )
            return ObjectShape(self.object_plan(output_type, collected))
        raise Unsupported(f"abstract type {output_type}")

    def reader(self, field_def: GraphQLField) -> Callable[[Any], Any] | None:
        """How strawberry answers the field without an info object, if it does."""
        field = (field_def.extensions or {}).get(STRAWBERRY_FIELD)
        schema = self.strawberry
        if field is None or schema is None:
            return None
        resolve = field_def.resolve
        if field.base_resolver is None:
            basic = getattr(resolve, "__name__", None) == STRAWBERRY_BASIC_RESOLVER
            if not (basic and getattr(resolve, "_is_default", False)):
                return None
            default_resolver = schema.config.default_resolver
            name: str = field.python_name
            if default_resolver is getattr:
                return attrgetter(name)
            return lambda source: default_resolver(source, name)
        resolver = self.plain_resolver(field)
        if resolver is None or resolver.info_parameter:
            return None
        method: Callable[..., Any] = resolver.wrapped_func
        if resolver.self_parameter:
            return method
        return lambda _source: method()

    def with_info(self, field_def: GraphQLField) -> Callable[[Any, Any], Any] | None:
        """A resolver method taking `self` and `info` alone, called as strawberry calls it
        (`get_arguments` passes the source as `self` and strawberry's Info as `info`)."""
        field = (field_def.extensions or {}).get(STRAWBERRY_FIELD)
        resolver = None if field is None else self.plain_resolver(field)
        if resolver is None or resolver.info_parameter is None or not resolver.self_parameter:
            return None
        assert self.strawberry is not None  # plain_resolver found a resolver of its schema
        method, name = resolver.wrapped_func, resolver.info_parameter.name
        info_class = self.strawberry.config.info_class

        def call(source: Any, raw_info: Any) -> Any:
            return method(source, **{name: info_class(_raw_info=raw_info, _field=field)})

        return call

    def plain_resolver(self, field: Any) -> Any:
        """The field's resolver when nothing stands between strawberry and it but an `info`
        parameter: no extension, argument, exception handler, parent or root parameter."""
        schema, resolver = self.strawberry, field.base_resolver
        if (
            schema is None
            or resolver is None
            or field.extensions
            or field.arguments
            or field.is_subscription
            or schema.exception_handlers
            or resolver.parent_parameter
            or resolver.root_parameter
            or not callable(resolver.wrapped_func)
        ):
            return None
        return resolver

    def literal_arguments(self, field_def: GraphQLField, node: FieldNode) -> dict[str, Any] | None:
        """The coerced arguments when they hold no variable and only immutable values."""
        if any(_has_variable(argument.value) for argument in node.arguments or ()):
            return None
        executor = self.executor
        try:
            values = get_argument_values(
                field_def, node, executor.variable_values, None, executor.hide_suggestions
            )
        except Exception as error:
            raise Unsupported("arguments graphql-core refuses") from error
        return values if all(_immutable(v) for v in values.values()) else None


# Values of these exact types are never awaitable.
PLAIN_TYPES = frozenset({type(None), bool, int, float, str, datetime, date})


def _plain_types(leaf_type: GraphQLOutputType) -> frozenset[type]:
    """PLAIN_TYPES, and the Python enum of a strawberry enum type (when it cannot be awaited)."""
    wrapped = getattr(get_nullable_type(leaf_type), "wrapped_cls", None)
    if (
        isinstance(wrapped, type)
        and issubclass(wrapped, Enum)
        and not hasattr(wrapped, "__await__")
    ):
        return PLAIN_TYPES | {wrapped}
    return PLAIN_TYPES


def _needs_path(shape: Shape | None) -> bool:
    while isinstance(shape, (NonNull, ListOf)):
        shape = shape.of
    return isinstance(shape, ObjectShape) and shape.plan.needs_path


def _has_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_has_variable(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_has_variable(f.value) for f in value.fields)
    return False


def _immutable(value: object) -> bool:
    if value is None or isinstance(value, (str, int, float, bool, Enum)):
        return True
    return isinstance(value, tuple) and all(_immutable(v) for v in value)


def condition_variables(
    operation: OperationDefinitionNode, fragments: Sequence[FragmentDefinitionNode]
) -> tuple[str, ...]:
    """The variables that @skip or @include read anywhere in the operation or its fragments:
    the plan depends on their values."""
    names: set[str] = set()
    for selection_set in (operation.selection_set, *(f.selection_set for f in fragments)):
        for selection in _selections(selection_set):
            for directive in selection.directives or ():
                if directive.name.value not in ("skip", "include"):
                    continue
                for argument in directive.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)
    return tuple(sorted(names))


def _selections(selection_set: SelectionSetNode | None) -> Iterator[Any]:
    for selection in selection_set.selections if selection_set else ():
        yield selection
        if isinstance(selection, (FieldNode, InlineFragmentNode)):
            yield from _selections(selection.selection_set)
        elif not isinstance(selection, FragmentSpreadNode):  # pragma: no cover
            raise Unsupported(f"selection {selection.kind}")


class _Entry:
    __slots__ = ("conditions", "fragments", "operation", "plans")

    def __init__(
        self, operation: OperationDefinitionNode, fragments: tuple[FragmentDefinitionNode, ...]
    ) -> None:
        # Held so that the ids in the cache's key stay theirs while the entry lives.
        self.operation = operation
        self.fragments = fragments
        self.conditions = condition_variables(operation, fragments)
        self.plans: dict[tuple[Any, ...], ObjectPlan | None] = {}


class PlanCache:
    """Plans by operation (and fragments), in a bounded LRU. documents.py caches parsed documents
    by text, so the same operation node comes back for the same text; the key is the identity
    of the operation and fragment nodes, held by the entry. None is kept for an operation that
    cannot be planned, so it goes to graphql-core at once next time."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, ...], _Entry] = OrderedDict()

    def plan(self, executor: Executor[Any]) -> ObjectPlan | None:
        fragments = tuple(executor.fragment_definitions.values())
        key = (id(executor.operation), *map(id, fragments))
        entry = self._entries.get(key)
        if entry is None:
            try:
                entry = _Entry(executor.operation, fragments)
            except Unsupported:
                return None
            self._entries[key] = entry
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        coerced = executor.variable_values.coerced
        variant = tuple(coerced.get(name, _MISSING) for name in entry.conditions)
        if variant in entry.plans:
            return entry.plans[variant]
        try:
            plan: ObjectPlan | None = compile_operation(executor)
        except Exception:  # Unsupported, or what graphql-core reports as an error of its own
            plan = None
        if len(entry.plans) >= MAX_VARIANTS:
            entry.plans.clear()
        entry.plans[variant] = plan
        return plan

    def __len__(self) -> int:
        return len(self._entries)
