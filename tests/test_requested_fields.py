"""What a resolver learns of its selection (gql.requested_fields, requested_node_fields): the
names asked of its value and of its edges' nodes, through fragments, for each field of each
document its own (they are remembered by the field's nodes)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import strawberry

from coach_graph.gql import Info, requested_fields, requested_node_fields

seen: list[tuple[frozenset[str], frozenset[str]]] = []


@strawberry.type
class Node:
    id: int = 1
    name: str = "n"
    more: int = 2


@strawberry.type
class Edge:
    node: Node = strawberry.field(default_factory=Node)
    cursor: str = "c"


@strawberry.type
class Page:
    edges: list[Edge] = strawberry.field(default_factory=lambda: [Edge()])
    total: int = 1


@strawberry.type
class Query:
    @strawberry.field
    async def page(self, info: Info) -> Page:
        await asyncio.sleep(0)  # resolved concurrently with the other requests
        seen.append((requested_fields(info), requested_node_fields(info)))
        return Page()


schema = strawberry.Schema(query=Query)


def asked(of_value: set[str], of_nodes: set[str]) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(of_value), frozenset(of_nodes)


@pytest.mark.parametrize(
    ("query", "answers"),
    [
        ("{ page { total } }", {asked({"total"}, set())}),
        (
            "{ page { total edges { cursor node { id name } } } }",
            {asked({"total", "edges"}, {"id", "name"})},
        ),
        (
            "{ page { ...P edges { node { ... on Node { more } } } } }"
            " fragment P on Page { edges { node { id } } }",
            {asked({"edges"}, {"id", "more"})},
        ),
        (
            "{ a: page { total } b: page { edges { node { name } } } }",
            {asked({"total"}, set()), asked({"edges"}, {"name"})},
        ),
        (  # directives are not evaluated, as in strawberry's selected_fields
            "{ page { edges { node { renamed: name @skip(if: true) } } } }",
            {asked({"edges"}, {"name"})},
        ),
    ],
)
async def test_concurrent_resolvers_learn_what_their_value_and_nodes_are_asked(
    query: str, answers: set[tuple[frozenset[str], frozenset[str]]]
) -> None:
    seen.clear()
    results = await asyncio.gather(*(schema.execute(query) for _ in range(10)))
    assert all(r.errors is None for r in results), results[0].errors
    assert set(seen) == answers


async def test_two_documents_with_the_same_shape_of_field_answer_each_their_own() -> None:
    answers: list[Any] = []
    for query in ("{ page { total } }", "{ page { edges { node { id } } } }"):
        seen.clear()
        await schema.execute(query)
        answers.append(seen[0])
    assert answers == [
        (frozenset({"total"}), frozenset()),
        (frozenset({"edges"}), frozenset({"id"})),
    ]
