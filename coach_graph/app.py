"""The ASGI app: /graphql (queries, mutations, GraphiQL, subscriptions), exports, health."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from coach_graph.auth import Passwords, authenticate, parse_bearer
from coach_graph.config import Settings
from coach_graph.context import Context, Resources
from coach_graph.db import Database
from coach_graph.jobs import Job, JobRunner
from coach_graph.realtime import Realtime
from coach_graph.schema import build_schema
from coach_graph.sessions.exports import export_routes
from coach_graph.sessions.jobs import sessions_jobs

log = logging.getLogger("coach_graph")


def background_jobs() -> list[Job]:
    """Every periodic job of the product (each domain contributes its own)."""
    from coach_graph.journals.analysis import analysis_job

    return [analysis_job(), *sessions_jobs()]


class GraphQLApp(GraphQL[Context, None]):
    """strawberry's ASGI view with our context and websocket authentication."""

    def __init__(self, resources: Callable[[], Resources], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._resources = resources

    async def get_context(self, request: Request | WebSocket, response: Response | None) -> Context:  # type: ignore[override]
        resources = self._resources()
        viewer = None
        if isinstance(request, Request):
            token = parse_bearer(request.headers.get("authorization"))
            viewer = await authenticate(resources.db, token)
        return Context(resources=resources, request=request, response=response, viewer=viewer)

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        token = parse_bearer(raw) if isinstance(raw, str) else None
        viewer = await authenticate(context.db, token)
        if viewer is None:
            raise ConnectionRejectionError({"message": "A valid bearer token is required."})
        context.viewer = viewer
        return None


def create_app(settings: Settings | None = None, *, jobs: list[Job] | None = None) -> Starlette:
    """Build the app. The lifespan migrates the database, connects the broadcaster and starts the
    background jobs; shutdown stops them in reverse order."""
    settings = settings or Settings.from_env()
    state: dict[str, Resources] = {}
    registry = CollectorRegistry()

    def resources() -> Resources:
        return state["resources"]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        await db.migrate()
        realtime = Realtime(settings.broadcast_url)
        await realtime.connect()
        passwords = Passwords(settings.password_time_cost, settings.password_memory_kib)
        state["resources"] = Resources(settings, db, passwords, realtime)
        app.state.resources = state["resources"]
        runner = JobRunner(state["resources"], background_jobs() if jobs is None else jobs)
        app.state.jobs = runner
        if settings.run_jobs:
            runner.start()
        try:
            yield
        finally:
            await runner.stop()
            await realtime.disconnect()
            await db.dispose()
            state.clear()

    graphql = GraphQLApp(
        resources,
        schema=build_schema(settings),
        graphql_ide="graphiql",
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        connection_init_wait_timeout=timedelta(seconds=10),
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        r = resources()
        checks = {"database": await r.db.ping(), "broadcast": r.realtime.connected}
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unready", "checks": checks},
            status_code=200 if ready else 503,
        )

    async def metrics(request: Request) -> Response:
        return PlainTextResponse(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        *export_routes(resources),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(RequestMetrics, registry=registry)
    return app


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
