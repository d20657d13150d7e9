"""GraphQL pieces every domain's types share: Info, scalars, ids, connections, error handling."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import cache
from typing import Annotated, Any, Generic, TypeAlias, TypeVar

import strawberry
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionNode,
)
from strawberry.types.lazy_type import LazyType

from coach_graph.context import Context
from coach_graph.errors import AppError, ErrorCode, NotFound
from coach_graph.loaders import BatchFn
from coach_graph.pagination import Page

log = logging.getLogger("coach_graph.errors")

Info: TypeAlias = strawberry.Info[Context, None]
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
M = TypeVar("M")
E = TypeVar("E", bound=Enum)


# Dates the API accepts (SPEC.md): anything else is a typo or a probe, refused before it runs.
FIRST_YEAR = 1970
LAST_YEAR = 2100
# An id is exactly what the API hands out: a positive decimal in ASCII digits, no sign, no
# padding, no leading zero (int() alone would take " 3", a full-width "3", "3_0" and "+3" for 3).
_ID = re.compile(r"[1-9][0-9]{0,18}")


def _parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO-8601 string with an offset.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an ISO-8601 date-time.") from exc
    if parsed.tzinfo is None:
        raise ValueError(
            f"{value!r} has no UTC offset; send e.g. 2026-05-01T09:00:00+02:00 or ...Z."
        )
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise ValueError(f"{value!r} is outside the years {FIRST_YEAR} to {LAST_YEAR}.")
    return parsed.astimezone(UTC)


def _serialize_datetime(value: datetime) -> str:
    zone = value.tzinfo
    if zone is UTC:  # what the database gives: its isoformat ends in "+00:00"
        return value.isoformat()[:-6] + "Z"
    # A naive value is UTC, as stored; another zone is turned to UTC.
    value = value.replace(tzinfo=UTC) if zone is None else value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


DateTimeScalar = strawberry.scalar(
    name="DateTime",
    description="ISO-8601 date-time with an explicit offset; responses are in UTC.",
    serialize=_serialize_datetime,
    parse_value=_parse_datetime,
)
SCALAR_OVERRIDES: dict[object, Any] = {datetime: DateTimeScalar}


def enum(cls: type[E], description: str, values: Mapping[E, str], name: str | None = None) -> None:
    """Make a product enum (defined beside its rules, without strawberry) a GraphQL enum with a
    description on the enum and on every value: GraphiQL's docs pane is the API reference. A
    value left out (or one too many) fails at import, so a new member cannot ship undescribed."""
    if set(values) != set(cls):
        raise ValueError(f"describe exactly the values of {cls.__name__}: {sorted(cls, key=str)}")
    strawberry.enum(cls, name=name, description=description)
    for value in cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[cls[value.name]]


def parse_id(value: strawberry.ID | str, what: str) -> int:
    """Our ids are opaque strings; an id that cannot be ours is simply not found."""
    text = str(value)
    if not _ID.fullmatch(text) or int(text) > 2**63 - 1:
        raise NotFound.of(what, value)
    return int(text)


def parse_optional_id(value: strawberry.ID | None, what: str) -> int | None:
    return None if value is None else parse_id(value, what)


# The arguments of every cursor-paged list, described once.
PageSize: TypeAlias = Annotated[
    int | None, strawberry.argument(description="How many items, 1 to 100.")
]
After: TypeAlias = Annotated[
    str | None,
    strawberry.argument(description="`endCursor` of the previous page; none: from the start."),
]


@strawberry.type(description="Where a page of a connection ends.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    page: strawberry.Private[Page[Any]]

    @strawberry.field(
        description="The cursor of this page's last item: pass it as `after` for the next page; "
        "null on an empty page."
    )
    def end_cursor(self) -> str | None:
        return self.page.end_cursor

    @classmethod
    def of(cls, page: Page[Any]) -> PageInfo:
        return cls(has_next_page=page.has_next, page=page)


@strawberry.type(description="One item of a connection and the cursor that points at it.")
class Edge(Generic[T]):
    """The cursor is signed only when asked for (`Page.cursor`)."""

    row: strawberry.Private[Any]
    page: strawberry.Private[Page[Any]]
    item: strawberry.Private[T]

    @strawberry.field(description="Pass it as `after` to continue after this item.")
    def cursor(self) -> str:
        return self.page.cursor(self.row)

    @strawberry.field(description="The item.")
    def node(self) -> T:
        return self.item


# The module that composes the shared nodes (Client, Coach, Notification) from every domain's
# fields; a domain below it names them `Annotated["Client", strawberry.lazy(GRAPH)]`.
GRAPH = "coach_graph.graph"


@cache
def composed(name: str) -> Any:
    """The node type `name` as coach_graph/graph.py composes it, for building its objects in a
    domain that may not import the domains above it (read once, when first asked)."""
    return LazyType(name, GRAPH).resolve_type()


@strawberry.type(description="A page of a list, in the Relay cursor convention.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Whether and where the list goes on.")
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole list holds (all pages).")
    async def total_count(self) -> int:
        return await self._count()

    @classmethod
    def of(cls, page: Page[M], convert: Callable[[M], T]) -> Connection[T]:
        return cls(
            edges=[Edge(row=row, page=page, item=convert(row)) for row in page.rows],
            page_info=PageInfo.of(page),
            _count=page.count,
        )


def inside_a_list(info: Info) -> bool:
    """Whether the current field sits under a list item (its path holds an index): a page
    inside a list of clients batches through DataLoaders; a page on its own primes its rows."""
    return any(isinstance(key, int) for key in info.path.as_list())


def load(info: Info, batch: BatchFn[K, V], key: K) -> Awaitable[V]:
    """`key`'s value for the field being resolved: through the request's DataLoader when a list
    repeats the field (the items' keys go out in one batch), else read at once on its own
    (`Loaders.alone`: no loader turn to wait for)."""
    loaders = info.context.loaders
    return loaders(batch).load(key) if inside_a_list(info) else loaders.alone(batch, key)


def requested_node_fields(info: Info) -> frozenset[str]:
    """The names of the fields asked of `edges { node { ... } }` under the current field,
    fragments included: a list resolver preloads only what its rows will be asked."""
    return _asked(info).of_nodes


def requested_fields(info: Info) -> frozenset[str]:
    """The names of the fields asked of the current field's value, fragments included."""
    return _asked(info).of_value


@dataclass(frozen=True, slots=True)
class _Asked:
    nodes: tuple[FieldNode, ...]  # held, so their ids stay theirs while remembered
    of_value: frozenset[str]
    of_nodes: frozenset[str]


# By the ids of a field's nodes: documents are parsed once and cached, so each field of each
# cached document is walked once. Directives are not evaluated (as strawberry's selected_fields).
_ASKED: dict[tuple[int, ...], _Asked] = {}
_ASKED_KEPT = 4096


def _asked(info: Info) -> _Asked:
    raw = info._raw_info
    nodes = raw.field_nodes
    key = tuple(map(id, nodes))
    found = _ASKED.get(key)
    if found is not None:
        return found
    fragments = raw.fragments

    def names(selections: Sequence[SelectionNode], path: tuple[str, ...]) -> Iterator[str]:
        """The names selected `path` below the selections (fragments spread in place)."""
        for selection in selections:
            if isinstance(selection, FieldNode):
                if not path:
                    yield selection.name.value
                elif selection.name.value == path[0] and selection.selection_set:
                    yield from names(selection.selection_set.selections, path[1:])
            elif isinstance(selection, InlineFragmentNode):
                yield from names(selection.selection_set.selections, path)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments[selection.name.value]
                yield from names(fragment.selection_set.selections, path)

    below = [s for node in nodes if node.selection_set for s in node.selection_set.selections]
    if len(_ASKED) >= _ASKED_KEPT:
        _ASKED.clear()
    found = _ASKED[key] = _Asked(
        tuple(nodes), frozenset(names(below, ())), frozenset(names(below, ("edges", "node")))
    )
    return found


def code_error(error: GraphQLError, request_id: str) -> None:
    """Give an error its `extensions.code`, in place (strawberry returns the same objects).

    A refusal raised by a service keeps its message; an error before execution (syntax, size,
    validation, bad variables) is BAD_USER_INPUT; anything else is masked as INTERNAL and logged
    with the request id, never shown to the client.
    """
    original = error.original_error
    if isinstance(original, AppError) or (error.extensions or {}).get("code"):
        return
    if original is None or error.path is None:
        error.extensions = {**(error.extensions or {}), "code": ErrorCode.BAD_USER_INPUT.value}
        return
    log.error(
        "internal error (request %s) at %s",
        request_id,
        ".".join(str(p) for p in error.path),
        exc_info=(type(original), original, original.__traceback__),
    )
    error.message = f"Internal error; quote request id {request_id} when reporting it."
    error.original_error = None
    error.extensions = {"code": ErrorCode.INTERNAL.value, "requestId": request_id}
