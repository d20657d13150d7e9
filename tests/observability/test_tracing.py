"""Tracing: with OTEL_EXPORTER_OTLP_ENDPOINT set, a query produces an HTTP server span and a
GraphQL span named after its operation (caught by the SDK's in-memory exporter); without it,
nothing is set up."""

from __future__ import annotations

import httpx
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from coach_graph.app import create_app
from coach_graph.config import Settings
from coach_graph.observability.tracing import tracing_for


async def test_a_query_produces_an_http_span_and_a_graphql_span_with_its_name(
    settings: Settings,
) -> None:
    exporter = InMemorySpanExporter()
    app = create_app(
        settings.with_(otel_endpoint="http://127.0.0.1:4318"), jobs=[], span_exporter=exporter
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            body = await http.post("/graphql", json={"query": "query Traced { __typename }"})
            assert body.json()["data"] == {"__typename": "Query"}
    # Shutting the app down flushed the batch.
    spans = exporter.get_finished_spans()
    names = [span.name for span in spans]
    assert "GraphQL Query: Traced" in names, names
    http_spans = [s for s in spans if s.kind == SpanKind.SERVER and s.name.startswith("POST")]
    assert http_spans, names
    graphql = next(s for s in spans if s.name == "GraphQL Query: Traced")
    # The GraphQL span lives inside the request's span (same trace).
    assert graphql.context.trace_id == http_spans[0].context.trace_id


def test_nothing_is_set_up_without_an_endpoint(settings: Settings) -> None:
    assert settings.otel_endpoint is None
    assert tracing_for(settings) is None
    app = create_app(settings, jobs=[])
    assert not [m for m in app.user_middleware if m.cls is OpenTelemetryMiddleware]


def test_the_endpoint_is_read_from_the_environment() -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
    assert Settings.from_env(env).otel_endpoint == "http://collector:4318"
    assert Settings.from_env({}).otel_endpoint is None
