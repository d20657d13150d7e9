"""Apollo's automatic persisted queries through a real server, in the request shapes Apollo
Client's persisted-queries link sends (@apollo/client/link/persisted-queries): the hash alone
first (POST body without `query`, or GET with `extensions` URL-encoded JSON when
useGETForHashedQueries is on), then on PERSISTED_QUERY_NOT_FOUND the same with the document."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import httpx

from tests.http.conftest import Server

# Apollo Client's accept header (v4); v3 sends */*: both must read the same answers.
APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"


def _document(tag: str) -> str:
    # A document of its own per test: the server's store outlives each test.
    return f"query Viewer{tag} {{ viewer {{ id email }} }}"


def _sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def _extensions(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": _sha256(document)}}


def _client(server: Server) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {server.coach.token}", "Accept": APOLLO_ACCEPT},
    )


async def _hash_only_post(http: httpx.AsyncClient, document: str, name: str) -> httpx.Response:
    body = {"operationName": name, "variables": {}, "extensions": _extensions(document)}
    return await http.post("/graphql", json=body)


async def _with_query_post(http: httpx.AsyncClient, document: str, name: str) -> httpx.Response:
    body = {
        "operationName": name,
        "variables": {},
        "extensions": _extensions(document),
        "query": document,
    }
    return await http.post("/graphql", json=body)


def _assert_not_found(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    errors = response.json()["errors"]
    assert errors[0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert errors[0]["message"] == "PersistedQueryNotFound"


def _assert_viewer(response: httpx.Response, server: Server) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["viewer"]["id"] == str(server.coach.id)


async def test_an_unknown_hash_is_not_found_then_registered_then_runs_by_hash(
    server: Server,
) -> None:
    document = _document("Post")
    async with _client(server) as http:
        _assert_not_found(await _hash_only_post(http, document, "ViewerPost"))
        _assert_viewer(await _with_query_post(http, document, "ViewerPost"), server)
        _assert_viewer(await _hash_only_post(http, document, "ViewerPost"), server)


async def test_get_with_url_encoded_extensions_works_for_queries(server: Server) -> None:
    document = _document("Get")
    params = {
        "operationName": "ViewerGet",
        "variables": "{}",
        "extensions": json.dumps(_extensions(document)),
    }
    async with _client(server) as http:
        _assert_not_found(await http.get("/graphql", params=params))
        # Apollo's retry goes by POST with the document; GET with it works too.
        _assert_viewer(await http.get("/graphql", params={**params, "query": document}), server)
        _assert_viewer(await http.get("/graphql", params=params), server)


async def test_a_mutation_by_hash_over_get_is_refused(server: Server) -> None:
    document = "mutation Logout { logout }"
    params = {"operationName": "Logout", "extensions": json.dumps(_extensions(document))}
    async with _client(server) as http:
        # With its document (stored, then refused: a GET never runs a mutation), then by hash.
        for sent in ({**params, "query": document}, params):
            response = await http.get("/graphql", params=sent)
            assert response.status_code in (400, 405)
            assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        # The token still works: the mutation (a logout) never ran.
        _assert_viewer(await _with_query_post(http, _document("Still"), "ViewerStill"), server)


async def test_a_document_that_does_not_match_its_hash_is_refused_and_not_stored(
    server: Server,
) -> None:
    document = _document("Mismatch")
    other = _document("Other")
    async with _client(server) as http:
        body = {"query": other, "extensions": _extensions(document)}
        refused = await http.post("/graphql", json=body, headers={"Accept": "application/json"})
        assert refused.status_code == 400
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "does not match" in error["message"]
        _assert_not_found(await _hash_only_post(http, document, "ViewerMismatch"))


async def test_a_malformed_persisted_query_extension_is_bad_user_input(server: Server) -> None:
    async with _client(server) as http:
        for persisted in (
            {"version": 2, "sha256Hash": "0" * 64},
            {"version": 1, "sha256Hash": "not-a-hash"},
            "a string",
        ):
            body = {"extensions": {"persistedQuery": persisted}}
            response = await http.post("/graphql", json=body)
            assert response.status_code == 400, persisted
            assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_fifty_clients_registering_the_same_hash_at_once_all_get_their_data(
    server: Server,
) -> None:
    document = _document("Fifty")

    async def apollo_client() -> None:
        async with _client(server) as http:
            first = await _hash_only_post(http, document, "ViewerFifty")
            if first.json().get("errors"):
                _assert_not_found(first)
                _assert_viewer(await _with_query_post(http, document, "ViewerFifty"), server)
            else:
                _assert_viewer(first, server)
            _assert_viewer(await _hash_only_post(http, document, "ViewerFifty"), server)

    await asyncio.gather(*(apollo_client() for _ in range(50)))
