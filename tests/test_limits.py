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
