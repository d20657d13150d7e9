"""One JSON access line per request (never a query string, variables, token or password),
X-Request-ID on every response, and the security headers, through a real server."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import PASSWORD
from tests.http.conftest import COACH_EMAIL, Server

SECRET = "s3cret-variable-value"
LOGIN = (
    "mutation LogIn($email: String!, $password: String!) "
    "{ login(email: $email, password: $password) { token } }"
)


async def test_the_access_line_names_the_request_and_nothing_secret(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.post(
            "/graphql?token=query-string-secret",
            json={
                "query": "query WhoAmI($note: String) { viewer { id } __typename }",
                "variables": {"note": SECRET},
            },
            headers={"Authorization": f"Bearer {server.coach.token}"},
        )
    assert response.status_code == 200, response.text
    request_id = response.headers["x-request-id"]
    line = server.access_line(request_id)
    assert line["message"] == "request"
    assert line["method"] == "POST"
    assert line["path"] == "/graphql"
    assert line["status"] == 200
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    assert line["operation"] == "WhoAmI"
    assert line["viewer_id"] == server.coach.id
    text = server.log.read_text()
    for secret in ("query-string-secret", "token=", SECRET, server.coach.token):
        assert secret not in text


async def test_a_login_leaves_no_password_in_the_log_over_post_or_get(server: Server) -> None:
    variables = {"email": COACH_EMAIL, "password": PASSWORD}
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        posted = await http.post("/graphql", json={"query": LOGIN, "variables": variables})
        inline = f'mutation {{ login(email: "{COACH_EMAIL}", password: "{PASSWORD}") {{ token }} }}'
        got = await http.get("/graphql", params={"query": inline})
    assert posted.status_code == 200
    token = posted.json()["data"]["login"]["token"]
    assert got.status_code == 400  # a mutation over GET is refused, not run
    assert got.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert server.access_line(posted.headers["x-request-id"])["operation"] == "LogIn"
    get_line = server.access_line(got.headers["x-request-id"])
    assert (get_line["method"], get_line["path"], get_line["status"]) == ("GET", "/graphql", 400)
    text = server.log.read_text()
    assert PASSWORD not in text
    assert token not in text
    assert "login(" not in text and "?query" not in text


@pytest.mark.parametrize("incoming", ["trace-42", "a.B_c-9", "x" * 128])
async def test_a_sane_incoming_request_id_is_kept(server: Server, incoming: str) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.get("/healthz", headers={"X-Request-ID": incoming})
    assert response.headers["x-request-id"] == incoming
    assert server.access_line(incoming)["path"] == "/healthz"


@pytest.mark.parametrize("incoming", ["bad id!", "x" * 129, "<script>", "a/b", "ünï".encode()])
async def test_any_other_incoming_request_id_is_replaced(
    server: Server, incoming: str | bytes
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.get("/healthz", headers={"X-Request-ID": incoming})
    replaced = response.headers["x-request-id"]
    assert replaced != incoming
    assert 1 <= len(replaced) <= 128 and replaced.isalnum()
    assert server.access_line(replaced)["status"] == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/healthz", None),
        ("GET", "/readyz", None),
        ("GET", "/metrics", None),
        ("GET", "/no-such-page", None),
        ("POST", "/graphql", b'{"query": "{ __typename }"}'),
        ("POST", "/graphql", b"not json"),
        ("POST", "/graphql", b" " * (70 * 1024)),
        ("GET", "/exports/clients/1/sessions.csv", None),
    ],
)
async def test_every_response_carries_a_request_id_and_the_security_headers(
    server: Server, method: str, path: str, body: bytes | None
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.request(
            method, path, content=body, headers={"Content-Type": "application/json"}
        )
    assert response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    no_store = path == "/graphql" or path.startswith("/exports/")
    assert (response.headers.get("cache-control") == "no-store") is no_store
    assert server.access_line(response.headers["x-request-id"])["status"] == response.status_code


async def test_the_graphiql_page_forbids_framing(server: Server) -> None:
    from coach_graph.graphiql import CONTENT_SECURITY_POLICY as HTML_CSP

    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == HTML_CSP
    assert "frame-ancestors 'none'" in HTML_CSP
    assert response.headers["cache-control"] == "no-store"


async def test_json_responses_carry_no_content_security_policy(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.post("/graphql", json={"query": "{ __typename }"})
    assert "content-security-policy" not in response.headers


async def test_one_process_writes_each_request_line_once_all_with_its_pid(server: Server) -> None:
    request_ids = [f"once-{n}" for n in range(10)]

    async def ask(request_id: str) -> None:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            response = await http.get("/healthz", headers={"X-Request-ID": request_id})
        assert response.status_code == 200

    await asyncio.gather(*(ask(request_id) for request_id in request_ids))
    for request_id in request_ids:
        server.access_line(request_id)  # waits for it
    lines = server.log_lines()
    for request_id in request_ids:
        assert [line.get("request_id") for line in lines].count(request_id) == 1
    [serving] = [line for line in lines if line.get("message") == "serving"]
    assert (serving["broadcast"], serving["jobs"]) == ("memory", False)
    assert {line["pid"] for line in lines} == {serving["pid"]}
    assert not any("color_message" in line for line in lines)  # uvicorn's ANSI copy stays out
