"""Malformed requests to /graphql get 400 with a GraphQL-shaped body (BAD_USER_INPUT), never a
500, one by one and in a crowd of valid ones."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import httpx
import pytest

from tests.http.conftest import Server

JSON = {"Content-Type": "application/json"}
VALID = json.dumps({"query": "{ __typename }"}).encode()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


TYPE_QUERY = "query Type($name: String!) { __type(name: $name) { name } }"


def _with_variables(nested: str) -> bytes:
    """A body whose variables hold `nested` beside `name`: the body object and the variables
    object are two levels, `nested` the rest."""
    return f'{{"query": "{TYPE_QUERY}", "variables": {{"name": "Query", "v": {nested}}}}}'.encode()


MALFORMED: dict[str, tuple[bytes, dict[str, str]]] = {
    "not JSON": (b'{ "not a JSON', JSON),
    "a JSON array": (b'[{"query": "{ __typename }"}]', JSON),
    "a JSON string": (b'"{ __typename }"', JSON),
    "a JSON number": (b"42", JSON),
    "JSON null": (b"null", JSON),
    "invalid UTF-8": (b'{"query": "{ __typename \xff\xfe }"}', JSON),
    "variables 10,000 deep": (
        _with_variables(_nested(10_000)),
        JSON,
    ),
    "variables 65 deep": (
        _with_variables(_nested(63)),
        JSON,
    ),
    "NaN in variables": (b'{"query": "{ __typename }", "variables": {"v": NaN}}', JSON),
    "an integer of 5,000 digits": (
        b'{"query": "{ __typename }", "variables": {"v": ' + b"9" * 5000 + b"}}",
        JSON,
    ),
    "a wrong content type": (VALID, {"Content-Type": "text/plain"}),
    "no content type": (VALID, {}),
    "no query": (b'{"variables": {}}', JSON),
    "a query that is not a string": (b'{"query": {"a": 1}}', JSON),
    "variables that are not an object": (b'{"query": "{ __typename }", "variables": [1]}', JSON),
    "an empty body": (b"", JSON),
}


def _assert_bad_input(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"]
    assert "Traceback" not in response.text


@pytest.mark.parametrize("kind", list(MALFORMED))
async def test_a_malformed_request_gets_400_with_a_graphql_error(server: Server, kind: str) -> None:
    body, headers = MALFORMED[kind]
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.post("/graphql", content=body, headers=headers)
    _assert_bad_input(response)


async def test_variables_64_deep_are_still_read(server: Server) -> None:
    # The body object, the variables object, then 62 levels of arrays: 64 in all.
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.post("/graphql", content=_with_variables(_nested(62)), headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__type": {"name": "Query"}}}


async def test_get_variables_nested_absurdly_deep_get_400(server: Server) -> None:
    variables = quote(f'{{"v": {_nested(3000)}}}')
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.get(f"/graphql?query=%7B__typename%7D&variables={variables}")
    _assert_bad_input(response)


async def test_a_mutation_over_get_is_refused_and_not_run(server: Server) -> None:
    mutation = 'mutation { login(email: "http-coach@example.test", password: "wrong") { token } }'
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.get("/graphql", params={"query": mutation})
    _assert_bad_input(response)
    assert "GET" in response.json()["errors"][0]["message"]


async def test_malformed_requests_in_a_crowd_leave_the_valid_ones_served(server: Server) -> None:
    kinds = list(MALFORMED.values())
    async with httpx.AsyncClient(
        base_url=server.base_url, limits=httpx.Limits(max_connections=100)
    ) as http:

        async def malformed(i: int) -> httpx.Response:
            body, headers = kinds[i % len(kinds)]
            return await http.post("/graphql", content=body, headers=headers)

        async def valid(i: int) -> httpx.Response:
            names = ("Query", "Mutation")
            query = {"query": TYPE_QUERY, "variables": {"name": names[i % 2]}}
            return await http.post("/graphql", json=query)

        responses = await asyncio.gather(
            *(malformed(i) for i in range(50)), *(valid(i) for i in range(50))
        )
    for response in responses[:50]:
        _assert_bad_input(response)
    for i, response in enumerate(responses[50:]):
        assert response.status_code == 200, response.text
        assert response.json() == {"data": {"__type": {"name": ("Query", "Mutation")[i % 2]}}}
