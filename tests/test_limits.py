"""Queries are bounded: depth, size and aliases are refused before execution."""

from __future__ import annotations

from tests.conftest import GraphQLClient, Practice


async def test_an_oversized_document_is_refused(gql: GraphQLClient) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(3000)) + " }"
    error = await gql.error(query)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_too_many_aliases_are_refused(gql: GraphQLClient, practice: Practice) -> None:
    token = await practice.token(await practice.coach())
    query = "{ " + " ".join(f"v{i}: viewer {{ id }}" for i in range(40)) + " }"
    error = await gql.error(query, token=token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "aliases" in error["message"]


def _nested_sessions(levels: int) -> str:
    """sessions -> edges -> node -> client -> sessions ... : 4 levels of depth per turn (small
    pages: the cost stays low, only the depth grows)."""
    inner = "id"
    for _ in range(levels):
        inner = f"sessions(first: 2) {{ edges {{ node {{ client {{ {inner} }} }} }} }}"
    return f"{{ {inner} }}"


async def test_a_query_deeper_than_the_limit_is_refused(gql: GraphQLClient) -> None:
    error = await gql.error(_nested_sessions(4))  # depth 16 > 12
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "exceeds maximum operation depth" in error["message"]


async def test_a_query_within_the_depth_limit_is_not_refused_for_depth(
    gql: GraphQLClient,
) -> None:
    error = await gql.error(_nested_sessions(2))  # depth 8: refused only for want of a token
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_limits_hold_on_a_repeated_document(gql: GraphQLClient) -> None:
    """The parse and validation caches must not let a refused document through the second time."""
    for _ in range(2):
        error = await gql.error(_nested_sessions(4))
        assert "exceeds maximum operation depth" in error["message"]
