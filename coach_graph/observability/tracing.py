"""OpenTelemetry traces, when OTEL_EXPORTER_OTLP_ENDPOINT is set and the `otel` extra is
installed (`pip install 'coach-graph[otel]'`): one server span per HTTP request (the ASGI
instrumentation) and, inside it, strawberry's spans for the GraphQL operation (named after the
operation) and its parse, validate and resolve steps. Spans go to the endpoint by OTLP over
HTTP (`<endpoint>/v1/traces`), in batches, off the request path.

Field arguments are not recorded (a login's password is one): the span carries the document
text and the operation name, never the variables.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette

from coach_graph.config import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

log = logging.getLogger("coach_graph.tracing")

SERVICE_NAME = "coach_graph"
OTEL_MODULES = (
    "opentelemetry.sdk.trace",
    "opentelemetry.instrumentation.asgi",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
)


def otel_installed() -> bool:
    try:
        return all(importlib.util.find_spec(m) is not None for m in OTEL_MODULES)
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _no_arguments(args: dict[str, Any], info: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Tracing:
    """A tracer provider exporting in batches, and how the app hooks it in."""

    provider: TracerProvider

    def schema_extension(self) -> Any:
        """A factory of strawberry's OpenTelemetry extension, bound to our provider."""
        from strawberry.extensions.tracing import OpenTelemetryExtension

        provider = self.provider
        return lambda: OpenTelemetryExtension(tracer_provider=provider, arg_filter=_no_arguments)

    def install(self, app: Starlette) -> None:
        """Wrap `app` (outermost) in the ASGI instrumentation: a server span per request."""
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        app.add_middleware(OpenTelemetryMiddleware, tracer_provider=self.provider)

    def shutdown(self) -> None:
        """Send what is still buffered, then stop."""
        self.provider.shutdown()


def tracing_for(settings: Settings, exporter: SpanExporter | None = None) -> Tracing | None:
    """Tracing as the settings ask: None (and a log line saying why) unless
    OTEL_EXPORTER_OTLP_ENDPOINT is set and the `otel` extra is installed. `exporter` replaces
    the OTLP exporter (tests pass an in-memory one)."""
    if not settings.otel_endpoint:
        log.info("tracing off: OTEL_EXPORTER_OTLP_ENDPOINT is not set")
        return None
    if not otel_installed():
        log.warning(
            "tracing off: OTEL_EXPORTER_OTLP_ENDPOINT is set but the otel extra is not "
            "installed (pip install 'coach-graph[otel]')"
        )
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if exporter is None:
        exporter = OTLPSpanExporter(endpoint=settings.otel_endpoint.rstrip("/") + "/v1/traces")
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    log.info("tracing on: spans go to %s", settings.otel_endpoint)
    return Tracing(provider)
