"""The application/graphql-response+json media type with the GraphQL-over-HTTP status codes,
application/json as before, and graphql-http's server audits, through a real server."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import httpx
import pytest

from coach_graph.web.graphql_http import prefers_graphql_response
from tests.http.conftest import ROOT, Server

GRAPHQL_RESPONSE = "application/graphql-response+json"
AUDIT = ROOT / "scripts" / "audit"

# What fails before execution starts, and how.
REQUEST_ERRORS: dict[str, dict[str, Any]] = {
    "a syntax error": {"query": "{"},
    "an unknown field": {"query": "{ noSuchField }"},
    "a variable of the wrong type": {
        "query": "query CoerceFailure($id: ID!) { __typename }",
        "variables": {"id": None},
    },
    "a document over the depth limit": {
        "query": "{ __schema { types { fields { type { fields { type { fields { type { fields "
        "{ type { fields { type { fields { type { name } } } } } } } } } } } } } } }"
    },
}


async def _post(server: Server, body: dict[str, Any], accept: str | None) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        return await http.post("/graphql", json=body, headers=headers)


async def test_a_graphql_response_client_gets_that_media_type_and_200(server: Server) -> None:
    response = await _post(server, {"query": "{ __typename }"}, GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("kind", list(REQUEST_ERRORS))
async def test_a_request_error_is_400_without_data_for_graphql_response(
    server: Server, kind: str
) -> None:
    response = await _post(server, REQUEST_ERRORS[kind], GRAPHQL_RESPONSE)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("accept", ["application/json", "*/*", None])
@pytest.mark.parametrize("kind", list(REQUEST_ERRORS))
async def test_a_request_error_stays_200_with_data_null_for_json(
    server: Server, kind: str, accept: str | None
) -> None:
    response = await _post(server, REQUEST_ERRORS[kind], accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_error_during_execution_is_200_with_data_for_graphql_response(
    server: Server,
) -> None:
    # Execution started: the viewer field fails (no token) at its path.
    response = await _post(server, {"query": "{ __typename viewer { id } }"}, GRAPHQL_RESPONSE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "data" in body
    assert body["errors"][0]["path"] == ["viewer"]
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_malformed_body_answers_in_the_preferred_media_type(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.post(
            "/graphql",
            content=b"[1",
            headers={"Content-Type": "application/json", "Accept": GRAPHQL_RESPONSE},
        )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("accept", "prefers"),
    [
        (GRAPHQL_RESPONSE, True),
        (f"{GRAPHQL_RESPONSE}, application/json", True),
        (f"application/json;q=0.9, {GRAPHQL_RESPONSE}", True),
        (f"application/json, {GRAPHQL_RESPONSE}", False),
        (f"{GRAPHQL_RESPONSE};q=0.5, application/json", False),
        (f"{GRAPHQL_RESPONSE};q=0, */*", False),
        ("*/*", False),
        ("text/html", False),
        ("", False),
        (f"{GRAPHQL_RESPONSE};q=nonsense, application/json;q=0.1", False),
    ],
)
def test_the_accept_header_decides_the_media_type(accept: str, prefers: bool) -> None:
    assert prefers_graphql_response({"accept": accept}) is prefers


def _audit_tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(
            "node and npm are needed for the graphql-http audits (apt-get install nodejs npm)"
        )
    return node, npm


@pytest.mark.e2e
def test_the_graphql_http_server_audits_all_pass(server: Server) -> None:
    node, npm = _audit_tools()
    if not (AUDIT / "node_modules" / "graphql-http").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=AUDIT, check=True, capture_output=True
        )
    audit = subprocess.run(
        [node, str(AUDIT / "graphql_http_audit.mjs"), f"{server.base_url}/graphql"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "61 audits: 61 ok" in audit.stdout, audit.stdout
