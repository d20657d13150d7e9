"""The /graphql view's lean answer to a POST of one JSON operation (patches/strawberry.py,
`LeanJSONPosts`) says exactly what strawberry's own `run` says, for good requests and bad ones
alike: the same status, headers and bytes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from coach_graph.graphql_app import GraphQLApp
from tests.conftest import Practice

VIEWER = json.dumps({"query": "{ viewer { id } }"})
UNKNOWN_HASH = "a" * 64
CASES: list[tuple[str, str | bytes, dict[str, str]]] = [
    ("an authenticated query", VIEWER, {}),
    ("a syntax error", json.dumps({"query": "{ viewer { id "}), {}),
    ("a field that does not exist", json.dumps({"query": "{ nothing }"}), {}),
    (
        "a variable of the wrong type",
        json.dumps({"query": "query($n: Int) { viewer { id } }", "variables": {"n": "x"}}),
        {},
    ),
    ("a body that is not JSON", b"{nope", {}),
    ("a body that is not UTF-8", b'{"query": "\xff"}', {}),
    ("a JSON array (a batch)", json.dumps([{"query": "{ viewer { id } }"}]), {}),
    ("a query that is not a string", json.dumps({"query": 42}), {}),
    (
        "variables that are not an object",
        json.dumps({"query": "{ viewer { id } }", "variables": []}),
        {},
    ),
    (
        "extensions that are not an object",
        json.dumps({"query": "{ viewer { id } }", "extensions": "x"}),
        {},
    ),
    ("no query at all", json.dumps({}), {}),
    (
        "a mutation refused by its rules",
        json.dumps(
            {
                "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) "
                "{ token } }",
                "variables": {"e": "nobody@example.test", "p": "wrong password"},
            }
        ),
        {},
    ),
    (
        "an unknown persisted query",
        json.dumps({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": UNKNOWN_HASH}}}),
        {},
    ),
    (
        "a persisted query whose hash does not match",
        json.dumps(
            {
                "query": "{ viewer { id } }",
                "extensions": {"persistedQuery": {"version": 1, "sha256Hash": UNKNOWN_HASH}},
            }
        ),
        {},
    ),
    (
        "a persisted query with its document",
        json.dumps(
            {
                "query": "{ viewer { id } }",
                "extensions": {
                    "persistedQuery": {
                        "version": 1,
                        "sha256Hash": hashlib.sha256(b"{ viewer { id } }").hexdigest(),
                    }
                },
            }
        ),
        {},
    ),
    (
        "a request error for a graphql-response+json client",
        json.dumps({"query": "{ nothing }"}),
        {"accept": "application/graphql-response+json"},
    ),
    ("a content type with a charset", VIEWER, {"content-type": "application/json; charset=utf-8"}),
    (
        "two operations, one named",
        json.dumps(
            {"query": "query A { viewer { id } } query B { viewer { id } }", "operationName": "B"}
        ),
        {},
    ),
    (
        "two operations, none named",
        json.dumps({"query": "query A { viewer { id } } query B { viewer { id } }"}),
        {},
    ),
    ("a subscription over POST", json.dumps({"query": "subscription { alertCreated { id } }"}), {}),
    (
        "a form body (not JSON)",
        "query=%7B%20viewer%20%7B%20id%20%7D%20%7D",
        {"content-type": "application/x-www-form-urlencoded"},
    ),
]


def _view(app: Starlette) -> GraphQLApp:
    for route in app.routes:
        if isinstance(route, Route) and route.path == "/graphql":
            assert isinstance(route.app, GraphQLApp)
            return route.app
    raise AssertionError("no /graphql route")


async def _answer(
    http: httpx.AsyncClient, body: str | bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    response = await http.post(
        "/graphql", content=body, headers={"content-type": "application/json", **headers}
    )
    request_id = response.headers["x-request-id"]
    kept = {k: v for k, v in response.headers.items() if k not in ("x-request-id", "date")}
    # An INTERNAL error quotes its request's id: the one thing two requests cannot share.
    return response.status_code, kept, response.content.replace(request_id.encode(), b"<id>")


@pytest.mark.parametrize(("case", "body", "headers"), CASES, ids=[c[0] for c in CASES])
async def test_the_lean_post_answers_as_strawberry_does(
    app: Starlette,
    http: httpx.AsyncClient,
    practice: Practice,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    body: str | bytes,
    headers: dict[str, str],
) -> None:
    coach = await practice.coach()
    token = await practice.token(coach)
    headers = {"authorization": f"Bearer {token}", **headers}
    lean = await _answer(http, body, headers)

    async def upstream_only(request: Any) -> None:
        return None

    monkeypatch.setattr(_view(app), "answer_json_post", upstream_only)
    upstream = await _answer(http, body, headers)
    assert lean == upstream, case


async def test_the_lean_post_is_the_path_a_json_post_takes(
    app: Starlette, http: httpx.AsyncClient, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    coach = await practice.coach()
    token = await practice.token(coach)
    view = _view(app)

    async def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("strawberry's run was asked")

    monkeypatch.setattr(view, "run", refuse)
    response = await http.post(
        "/graphql", content=VIEWER, headers={"content-type": "application/json",
                                             "authorization": f"Bearer {token}"}
    )  # fmt: skip
    assert response.json() == {"data": {"viewer": {"id": str(coach.id)}}}
