"""The HTTP routes beside GraphQL queries: GraphiQL, health, readiness, metrics, and how an
internal error reaches a client."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa

from coach_graph.db import Database
from coach_graph.logs import JsonFormatter
from tests.conftest import GraphQLClient, Practice


async def test_graphiql_is_served_to_a_browser(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_healthz_answers_ok(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_database_and_the_broadcast(http: httpx.AsyncClient) -> None:
    response = await http.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": True, "broadcast": True}
    assert body["broadcast"]["backend"] == "memory"
    assert body["broadcast"]["connected"] is True


async def test_metrics_are_prometheus_text_counting_requests(http: httpx.AsyncClient) -> None:
    await http.get("/healthz")
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE coach_graph_http_requests_total counter" in response.text
    assert 'coach_graph_http_requests_total{path="/healthz",status="200"} 1.0' in response.text
    assert "coach_graph_http_request_seconds_bucket" in response.text


@pytest.fixture
async def broken_client_links(db: Database) -> AsyncIterator[None]:
    """The consent table goes missing under the running app (a broken database), then returns."""
    async with db.transaction() as session:
        await session.execute(sa.text("ALTER TABLE coach_client RENAME TO coach_client_gone"))
    yield
    async with db.transaction() as session:
        await session.execute(sa.text("ALTER TABLE coach_client_gone RENAME TO coach_client"))


async def test_an_internal_error_is_internal_with_a_request_id_and_no_details(
    gql: GraphQLClient,
    practice: Practice,
    broken_client_links: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = await practice.token(await practice.coach())
    with caplog.at_level(logging.ERROR, logger="coach_graph.errors"):
        body = await gql("{ clients { totalCount edges { node { id } } } }", token=token)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL"
    request_id = error["extensions"]["requestId"]
    assert request_id and request_id in error["message"]
    text = str(body).lower()
    for leak in ("traceback", "select", "coach_client", "operationalerror", "sqlalchemy"):
        assert leak not in text, f"{leak!r} leaked to the client: {body}"
    # The details are logged for the operator, under the same request id.
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None


async def test_an_internal_graphql_error_quotes_the_incoming_request_id_in_body_and_log(
    http: httpx.AsyncClient,
    practice: Practice,
    broken_client_links: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = await practice.token(await practice.coach())
    with caplog.at_level(logging.ERROR, logger="coach_graph.errors"):
        response = await http.post(
            "/graphql",
            json={"query": "{ clients { totalCount } }"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-7"},
        )
    assert response.headers["x-request-id"] == "trace-7"
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "trace-7"}
    logged = [r for r in caplog.records if r.name == "coach_graph.errors"]
    assert logged
    for record in logged:
        assert json.loads(JsonFormatter().format(record))["request_id"] == "trace-7"
