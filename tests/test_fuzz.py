"""Every argument of every query and mutation, sent every kind of odd input its type admits, as a
coach, a client and anonymously: no answer may be INTERNAL (a bug) or an HTTP 500.

The schema is read from strawberry's schema object, so a new field is fuzzed without a change
here. Other required arguments get plain valid values; the odd value goes in a variable.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    is_composite_type,
)
from starlette.applications import Starlette

from coach_graph.pagination import Cursors
from coach_graph.schema import build_schema
from tests.conftest import Practice

BOOK = """mutation($c: ID!, $t: DateTime!) {
  bookSession(clientId: $c, serviceId: "1", startsAt: $t) { id } }"""


def _unsigned(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


ODD_TEXT: list[Any] = [
    "",
    "   ",
    "x" * 50_000,
    "\x00",
    "a\x01b\x1bc\x7f",
    "\u0301\u0301\u0301",
    "😀👩‍👩‍👧" * 20,
    " 3",
    "\uff13",  # a full-width 3
    "3_0",
    "+3",
    "03",
    "-1",
    "0",
    "99999999999999999999",
    "\ud800",
    "%_\\",
]
# Sort keys no list hands out: each is sent unsigned and, signed with the app's own key (as if
# it had leaked), in TAMPERED_CURSORS, which the test fills once the app has its key.
ODD_KEYS: list[tuple[Any, ...]] = [
    ("x",),
    ("a", 1e30),
    ("a", 2**70),
    ({"t": "garbage"}, 1),
    ({"t": 5}, 1),
    ({"t": "2026-03-02T10:00:00"}, 1),
    (None, None),
    (True, False),
    (1, 2, 3),
    ([], {}),
    ({"t": "2026-03-02T10:00:00+00:00"}, "x", "y"),
    (1, {"t": "2026-03-02T10:00:00+00:00"}, 7),
]
TAMPERED_CURSORS: list[str] = []


def tampered_cursors(cursors: Cursors) -> list[str]:
    return [
        "!!!not base64",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        *(_unsigned(*key) for key in ODD_KEYS),
        *(cursors.encode(*key) for key in ODD_KEYS),
    ]


ODD_INTS = [0, -1, 1, 100, 101, 2**31 - 1, -(2**31)]
ODD_DATES = [
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "1969-12-31T23:59:59Z",
    "2100-12-31T23:59:59+14:00",
    "2026-03-02T10:00:00",
    "2026-03-02",
    "",
    "not a date",
    "2026-02-30T10:00:00Z",
]


# Ids of real rows where an argument names them (the fixture's coach and client); other ids
# are "1", the first row of their table (the fixture books session 1 on service 1).
IDS: dict[str, str] = {}


def plain(type_: GraphQLInputType, name: str = "") -> Any:
    """A valid-looking value of `type_` for the argument or field `name`."""
    if isinstance(type_, GraphQLNonNull):
        return plain(type_.of_type, name)
    if isinstance(type_, GraphQLList):
        return [plain(type_.of_type, name)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {
            name: plain(field.type, name)
            for name, field in type_.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        }
    assert isinstance(type_, GraphQLScalarType)
    if type_.name == "ID":
        return IDS.get(name, "1")
    return {
        "String": "hello",
        "Int": 5,
        "Float": 1.5,
        "Boolean": True,
        "DateTime": "2026-03-10T10:00:00Z",
        "Date": "2026-03-10",
    }[type_.name]


def odd(type_: GraphQLInputType, depth: int = 0) -> Iterator[Any]:
    """Odd values that still fit `type_` (or, for scalars, just miss it)."""
    if isinstance(type_, GraphQLNonNull):
        yield from odd(type_.of_type, depth)
        return
    yield None
    if isinstance(type_, GraphQLList):
        yield []
        yield [plain(type_.of_type)] * 1000
        for value in list(odd(type_.of_type, depth + 1))[:8]:
            yield [value]
    elif isinstance(type_, GraphQLEnumType):
        yield from type_.values
    elif isinstance(type_, GraphQLInputObjectType):
        base = plain(type_)
        yield {}
        for name, field in type_.fields.items():
            for value in list(odd(field.type, depth + 1))[: 24 if depth == 0 else 6]:
                yield {**base, name: value}
    elif isinstance(type_, GraphQLScalarType):
        if type_.name in ("String", "ID"):
            yield from ODD_TEXT
            yield from TAMPERED_CURSORS
            yield 3
        elif type_.name == "Int":
            yield from ODD_INTS
            yield 2**40
            yield "3"
        elif type_.name == "DateTime":
            yield from ODD_DATES
        elif type_.name == "Boolean":
            yield from (True, False, "true")
        else:
            yield "odd"


def selection(type_: Any) -> str:
    return " { __typename }" if is_composite_type(get_named_type(type_)) else ""


def cases(root: GraphQLObjectType, keyword: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(label, document, variables): each argument of each field with each of its odd values."""
    for field_name, field in root.fields.items():
        args: dict[str, GraphQLArgument] = dict(field.args)
        for arg_name, arg in args.items():
            params = ", ".join(f"${n}: {a.type}" for n, a in args.items())
            call = ", ".join(f"{n}: ${n}" for n in args)
            document = f"{keyword}({params}) {{ {field_name}({call}){selection(field.type)} }}"
            base = {n: plain(a.type, n) for n, a in args.items() if n != arg_name}
            for value in odd(arg.type):
                yield (
                    f"{field_name}.{arg_name}={str(value)[:40]!r}",
                    document,
                    {
                        **base,
                        arg_name: value,
                    },
                )


async def test_no_odd_input_at_any_argument_is_an_internal_error(
    app: Starlette, http: httpx.AsyncClient, practice: Practice
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    tokens = [await practice.token(coach), await practice.token(client), None]
    IDS.update(clientId=str(client.id), coachId=str(coach.id))
    TAMPERED_CURSORS[:] = tampered_cursors(app.state.resources.db.cursors)
    booked = await http.post(
        "/graphql",
        json={"query": BOOK, "variables": {"c": str(client.id), "t": "2026-03-03T10:00:00Z"}},
        headers={"Authorization": f"Bearer {tokens[0]}"},
    )
    assert booked.json()["data"]["bookSession"]["id"] == "1", booked.text
    graphql_schema = build_schema(app.state.resources.settings)._schema
    all_cases = [
        *cases(graphql_schema.query_type, "query"),
        *cases(graphql_schema.mutation_type, "mutation"),
    ]
    internal: list[str] = []
    sent = 0
    for i, (label, document, variables) in enumerate(all_cases):
        # Coach and client for every case; anonymous for every third (it stops at the token).
        for who, token in enumerate(tokens):
            if who == 2 and i % 3:
                continue
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            try:
                body = json.dumps({"query": document, "variables": variables})
            except (TypeError, ValueError):
                continue
            response = await http.post(
                "/graphql",
                content=body.encode("utf-8", "surrogatepass"),
                headers={**headers, "Content-Type": "application/json"},
            )
            sent += 1
            if response.status_code >= 500:
                internal.append(f"{label} as {who}: HTTP {response.status_code}")
                continue
            for error in response.json().get("errors") or []:
                if (error.get("extensions") or {}).get("code") == "INTERNAL":
                    internal.append(f"{label} as {who}: {error['message']}")
    print(f"{len(all_cases)} cases, {sent} requests")
    assert sent > 1000
    assert internal == [], "\n".join(internal)
