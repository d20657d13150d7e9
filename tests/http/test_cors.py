"""CORS on HTTP through a real server: a dashboard on a listed origin gets its preflight
answered (and cached) and may read answers; any other origin gets no CORS header at all."""

from __future__ import annotations

import httpx

from tests.http.conftest import DASHBOARD_ORIGIN, Server

OTHER_ORIGIN = "https://elsewhere.example.test"
QUERY = {"query": "query Me { viewer { id } }"}


def _preflight(server: Server, origin: str) -> httpx.Response:
    return httpx.options(
        f"{server.base_url}/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-request-id",
        },
    )


def test_a_listed_origin_gets_its_preflight_answered_and_cached(server: Server) -> None:
    response = _preflight(server, DASHBOARD_ORIGIN)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == DASHBOARD_ORIGIN
    assert set(response.headers["access-control-allow-methods"].split(", ")) >= {"GET", "POST"}
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"authorization", "content-type", "x-request-id"} <= allowed
    assert int(response.headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in response.headers


def test_an_unlisted_origin_gets_no_cors_header(server: Server) -> None:
    response = _preflight(server, OTHER_ORIGIN)
    assert response.status_code >= 400
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    answer = httpx.post(f"{server.base_url}/graphql", json=QUERY, headers={"Origin": OTHER_ORIGIN})
    assert not [h for h in answer.headers if h.lower().startswith("access-control-")]


def test_a_listed_origin_reads_the_answer_and_its_request_id(server: Server) -> None:
    response = httpx.post(
        f"{server.base_url}/graphql",
        json=QUERY,
        headers={"Origin": DASHBOARD_ORIGIN, "Authorization": f"Bearer {server.coach.token}"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["id"] == str(server.coach.id)
    assert response.headers["access-control-allow-origin"] == DASHBOARD_ORIGIN
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    assert response.headers["x-request-id"]


def test_an_error_answer_carries_cors_headers_for_a_listed_origin(server: Server) -> None:
    response = httpx.post(
        f"{server.base_url}/graphql",
        content=b"{not json",
        headers={"Origin": DASHBOARD_ORIGIN, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == DASHBOARD_ORIGIN
