"""The ASGI app: /graphql (queries, mutations, GraphiQL, subscriptions), exports, health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from coach_graph import reactions
from coach_graph.accounts.activity import ActivityRecorder
from coach_graph.audit.store import write_reads
from coach_graph.auditing import AuditRecorder
from coach_graph.auth import Passwords, Tokens
from coach_graph.calendar_feed.routes import calendar_routes
from coach_graph.config import Settings
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.graphiql import asset_routes
from coach_graph.graphql_app import GraphQLApp
from coach_graph.jobs import Job, JobRunner
from coach_graph.observability.metrics import (
    RequestMetrics,
    app_registry,
    metrics_route,
    observe_operation,
)
from coach_graph.observability.tracing import tracing_for
from coach_graph.outbox.metrics import OUTBOX_METRICS
from coach_graph.patches.graphql_core_events import shared_events
from coach_graph.realtime import Realtime
from coach_graph.runtime import tune_gc
from coach_graph.schema import build_schema
from coach_graph.sessions.exports import export_routes
from coach_graph.sessions.jobs import sessions_jobs
from coach_graph.sockets import SocketsFirst, TokenBoundSockets
from coach_graph.stored_keys import open_cursors
from coach_graph.web import install
from coach_graph.web.apq import (
    PersistedQueries,
    redis_url_of,
)
from coach_graph.webhooks.metrics import WEBHOOK_METRICS

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

log = logging.getLogger("coach_graph")

# Readiness publishes here to see the broadcast backend answer (nobody subscribes).
READINESS_CHANNEL = "coach_graph.readiness"


def background_jobs() -> list[Job]:
    """Every periodic job of the product (each domain contributes its own)."""
    from coach_graph.alerts.evaluator import EVALUATION_JOB
    from coach_graph.audit.jobs import RETENTION_JOB
    from coach_graph.journals.analysis import analysis_job
    from coach_graph.mail.job import outbox_job
    from coach_graph.webhooks.delivery.job import webhook_job

    return [
        analysis_job(),
        EVALUATION_JOB,
        *sessions_jobs(),
        outbox_job(),
        RETENTION_JOB,
        webhook_job(),
    ]


def create_app(
    settings: Settings | None = None,
    *,
    jobs: list[Job] | None = None,
    span_exporter: SpanExporter | None = None,
) -> Starlette:
    """Build the app. The lifespan migrates the database, connects the broadcaster and starts the
    background jobs; shutdown stops them in reverse order. `span_exporter` replaces the OTLP
    exporter when tracing is on (tests)."""
    settings = settings or Settings.from_env()
    reactions.wire()
    state: dict[str, Resources] = {}
    watch: dict[str, TokenBoundSockets] = {}
    tracing = tracing_for(settings, span_exporter)
    registry = app_registry(lambda: state.get("resources"), OUTBOX_METRICS, WEBHOOK_METRICS)
    persisted_queries = PersistedQueries(
        settings.apq_cache_size, redis_url_of(settings.broadcast_url), settings.apq_ttl_seconds
    )

    def resources() -> Resources:
        return state["resources"]

    def sockets() -> TokenBoundSockets:
        return watch["sockets"]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = Database(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout_seconds,
            admission=settings.max_active_requests,
            admission_timeout=settings.admission_timeout_seconds,
        )
        await db.migrate()
        await open_cursors(db, settings.cursor_secret)  # every worker signs with the same key
        realtime = Realtime(settings.broadcast_url, queue_size=settings.subscriber_queue_size)
        await realtime.connect()
        db.publisher = realtime.publish  # committed transactions publish their events here
        watch["sockets"] = TokenBoundSockets(db, settings.token_check_seconds)
        watch["sockets"].start()
        passwords = Passwords(settings.password_time_cost, settings.password_memory_kib)
        activity = ActivityRecorder(db, settings.activity_flush_seconds)
        activity.start()
        tokens = Tokens(db, activity, settings.token_cache_seconds)
        # Reads of clients' private data, written off the request path (coach_graph/auditing.py).
        audit = AuditRecorder(
            partial(write_reads, db), settings.audit_flush_seconds, enabled=settings.audit_trail
        )
        audit.start()
        state["resources"] = Resources(settings, db, passwords, realtime, activity, tokens, audit)
        app.state.resources = state["resources"]
        runner = JobRunner(state["resources"], background_jobs() if jobs is None else jobs)
        app.state.jobs = runner
        if settings.run_jobs:
            runner.start()
        tune_gc()
        # One line per process: with --workers N, each worker says it serves (with its pid).
        log.info("serving", extra={"broadcast": realtime.backend_name, "jobs": settings.run_jobs})
        try:
            yield
        finally:
            await runner.stop()
            await activity.stop()
            await audit.stop()
            await watch["sockets"].stop()
            await realtime.disconnect()
            await db.dispose()
            await persisted_queries.close()
            if tracing is not None:
                tracing.shutdown()
            state.clear()

    schema = build_schema(
        settings,
        [tracing.schema_extension()] if tracing else [],
        [observe_operation] if settings.metrics else [],
    )
    # A live event shared by many subscribers is completed once (coach_graph/patches/).
    schema.execution_context_class = shared_events(schema.execution_context_class)
    graphql = GraphQLApp(
        resources,
        sockets,
        persisted_queries,
        schema=schema,
        # Our self-hosted page (coach_graph/graphiql); off: a browser's GET /graphql gets 404.
        graphql_ide="graphiql" if settings.graphiql else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        # Browsers send cookies with any cross-site websocket handshake: only same-origin pages,
        # clients without an Origin header, and the dashboards named in ALLOWED_ORIGINS connect.
        allowed_origins=settings.allowed_origins,
        connection_init_wait_timeout=timedelta(seconds=10),
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        r = resources()
        # Honest checks: the database takes a write (rolled back) and the broadcast backend
        # takes a message.
        checks = {
            "database": await r.db.accepts_writes(),
            "broadcast": r.realtime.connected
            and await r.realtime.publish(READINESS_CHANNEL, {"ready": True}),
        }
        ready = all(checks.values())
        return JSONResponse(
            {
                "status": "ready" if ready else "unready",
                "checks": checks,
                "broadcast": {
                    "backend": r.realtime.backend_name,
                    "connected": r.realtime.connected,
                    "reconnects": r.realtime.reconnects,
                    "subscriptions": r.realtime.subscriber_count(),
                },
            },
            status_code=200 if ready else 503,
        )

    live = WebSocketRoute("/graphql", graphql)
    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        live,
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *export_routes(resources),
        *calendar_routes(resources),
    ]
    if settings.metrics:
        routes.append(metrics_route(registry))
    if settings.graphiql:
        routes.append(asset_routes())
    app = Starlette(routes=routes, lifespan=lifespan)
    if settings.metrics:
        app.add_middleware(RequestMetrics, registry=registry)
    install(app, settings)
    # Outside the HTTP layer (and inside tracing): subscriptions' sockets skip it.
    app.add_middleware(SocketsFirst, route=live)
    if tracing is not None:
        tracing.install(app)
    return app
