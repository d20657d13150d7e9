"""What /metrics shows, with prometheus_client: HTTP requests, GraphQL operations (count and
latency by name and type) and their errors by code, websockets and subscriptions, alerts
published and delivered, background jobs, the database pool, and the process and Python
collectors.

Counters that belong to the process (errors, jobs, alerts, websockets) live here once and are
registered in each app's registry (a registry may hold a collector another one holds too; tests
build many apps in one process). What belongs to one app (its subscriptions, its pool) is read
when /metrics is scraped, by `AppCollector`: nothing is counted on the hot path for it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.types import ExecutionContext

if TYPE_CHECKING:
    from coach_graph.context import Resources

# Operation names become label values: a client names its operations, so their number is capped.
MAX_OPERATION_NAMES = 200
OTHER = "other"
ANONYMOUS = "anonymous"
_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")

GRAPHQL_OPERATIONS = Counter(
    "coach_graph_graphql_operations",
    "GraphQL operations run, by operation name and type",
    ["operation", "type"],
    registry=None,
)
GRAPHQL_LATENCY = Histogram(
    "coach_graph_graphql_operation_seconds",
    "Time from a GraphQL operation's start to its result (queries and mutations)",
    ["operation", "type"],
    registry=None,
)
GRAPHQL_ERRORS = Counter(
    "coach_graph_graphql_errors",
    "GraphQL errors returned, by extensions.code",
    ["code"],
    registry=None,
)
WEBSOCKETS_OPEN = Gauge(
    "coach_graph_websockets_open", "Websocket connections open now", registry=None
)
ALERTS_PUBLISHED = Counter(
    "coach_graph_alerts_published", "Alerts announced on the live channel", registry=None
)
ALERTS_DELIVERED = Counter(
    "coach_graph_alerts_delivered", "Alerts sent to subscribed coaches", registry=None
)
JOB_RUNS = Counter(
    "coach_graph_job_runs", "Background job runs (by this worker)", ["job"], registry=None
)
JOB_FAILURES = Counter(
    "coach_graph_job_failures", "Background job runs that failed", ["job"], registry=None
)
PROCESS_METRICS = (
    GRAPHQL_OPERATIONS,
    GRAPHQL_LATENCY,
    GRAPHQL_ERRORS,
    WEBSOCKETS_OPEN,
    ALERTS_PUBLISHED,
    ALERTS_DELIVERED,
    JOB_RUNS,
    JOB_FAILURES,
)

_operation_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """The label value for an operation name: the name itself for the first
    `MAX_OPERATION_NAMES` names seen, "anonymous" without one, "other" beyond the cap."""
    if not name:
        return ANONYMOUS
    if name in _operation_names:
        return name
    if len(_operation_names) >= MAX_OPERATION_NAMES or not _GRAPHQL_NAME.fullmatch(name):
        return OTHER
    _operation_names.add(name)
    return name


def count_error(code: object) -> None:
    GRAPHQL_ERRORS.labels(code=str(code or "UNKNOWN")).inc()


def observe_operation(context: ExecutionContext, seconds: float) -> None:
    """Counts a finished operation and times queries and mutations (a subscription's duration
    is its lifetime: counted only). An observer of documents.CheckedDocuments."""
    try:
        kind = context.operation_type.value
    except Exception:  # no document (it did not parse) or no such operation
        kind = "unknown"
    counted, timed = _operation_series(operation_label(context.operation_name), kind)
    counted.inc()
    if kind != "subscription":
        timed.observe(seconds)


@cache
def _operation_series(name: str, kind: str) -> tuple[Counter, Histogram]:
    """The labelled series of an operation, looked up once (at most MAX_OPERATION_NAMES + 2
    names times four kinds): prometheus_client's `labels()` takes a lock on every call."""
    return GRAPHQL_OPERATIONS.labels(name, kind), GRAPHQL_LATENCY.labels(name, kind)


class AppCollector:
    """The app's subscriptions and database pool, read at scrape time (nothing before the app
    has started)."""

    def __init__(self, resources: Callable[[], Resources | None]) -> None:
        self.resources = resources

    def collect(self) -> Iterator[Metric]:
        resources = self.resources()
        if resources is None:
            return
        yield GaugeMetricFamily(
            "coach_graph_subscriptions_active",
            "GraphQL subscriptions listening for live events in this worker",
            value=resources.realtime.subscriber_count(),
        )
        pool = pool_status(resources.db.engine.pool)
        if pool is not None:
            in_use, size = pool
            yield GaugeMetricFamily(
                "coach_graph_db_pool_in_use", "Database connections checked out", value=in_use
            )
            yield GaugeMetricFamily(
                "coach_graph_db_pool_size", "Database connections the pool keeps", value=size
            )


def pool_status(pool: object) -> tuple[int, int] | None:
    """(in use, size) of a SQLAlchemy pool that counts them (a QueuePool; not a StaticPool)."""
    checked_out = getattr(pool, "checkedout", None)
    size = getattr(pool, "size", None)
    if not callable(checked_out) or not callable(size):
        return None
    return int(checked_out()), int(size())


def app_registry(resources: Callable[[], Resources | None], *extra: object) -> CollectorRegistry:
    """A registry for one app: the process's metrics and collectors, the app's own numbers, and
    `extra` collectors (e.g. the outbox's)."""
    registry = CollectorRegistry()
    for collector in (
        *PROCESS_METRICS,
        PROCESS_COLLECTOR,
        PLATFORM_COLLECTOR,
        GC_COLLECTOR,
        AppCollector(resources),
        *extra,
    ):
        registry.register(collector)  # type: ignore[arg-type]
    return registry


def metrics_route(registry: CollectorRegistry) -> Route:
    """GET /metrics: `registry` in Prometheus' text format."""

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics)


class RequestMetrics:
    """Counts HTTP requests and their latency per route for /metrics."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "coach_graph_http_requests",
            "HTTP requests served",
            ["path", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "coach_graph_http_request_seconds",
            "HTTP request latency",
            ["path"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "other")
            self.requests.labels(path=path, status=str(status)).inc()
            self.latency.labels(path=path).observe(time.perf_counter() - started)
