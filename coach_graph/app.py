"""The ASGI app: /graphql (queries, mutations, GraphiQL, subscriptions), exports, health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import ExecutionResult

from coach_graph.accounts.activity import ActivityRecorder
from coach_graph.auth import Passwords, Tokens
from coach_graph.config import Settings
from coach_graph.context import Context, Resources, viewer_from_bearer
from coach_graph.db import Database
from coach_graph.errors import ErrorCode, Unavailable
from coach_graph.graphiql import asset_routes, page_response
from coach_graph.jobs import Job, JobRunner
from coach_graph.observability.metrics import (
    WEBSOCKETS_OPEN,
    RequestMetrics,
    app_registry,
    metrics_route,
    observe_operation,
)
from coach_graph.observability.tracing import tracing_for
from coach_graph.outbox.metrics import OUTBOX_METRICS
from coach_graph.patches.graphql_core_events import shared_events
from coach_graph.patches.strawberry import GraphQLTransportWSHandler, GraphQLWSHandler
from coach_graph.realtime import Realtime, current_socket_closer
from coach_graph.runtime import tune_gc
from coach_graph.schema import build_schema
from coach_graph.sessions.exports import export_routes
from coach_graph.sessions.jobs import sessions_jobs
from coach_graph.sockets import SocketsFirst, TokenBoundSockets, close_socket
from coach_graph.stored_keys import open_cursors
from coach_graph.web import graphql_http, install
from coach_graph.web.apq import (
    NOT_FOUND_MESSAGE,
    PersistedQueries,
    PersistedQueryNotFound,
    redis_url_of,
)

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

log = logging.getLogger("coach_graph")

# Readiness publishes here to see the broadcast backend answer (nobody subscribes).
READINESS_CHANNEL = "coach_graph.readiness"


def background_jobs() -> list[Job]:
    """Every periodic job of the product (each domain contributes its own)."""
    from coach_graph.alerts.evaluator import EVALUATION_JOB
    from coach_graph.journals.analysis import analysis_job
    from coach_graph.mail.job import outbox_job

    return [analysis_job(), EVALUATION_JOB, *sessions_jobs(), outbox_job()]


class GraphQLApp(GraphQL[Context, None]):
    """strawberry's ASGI view with our context and websocket authentication. A websocket is
    bound to the token of its connection_init and closed (4401) when that token ends. Over HTTP
    it reads and answers as coach_graph/web/graphql_http.py says (GraphQL-shaped 4xx, the
    graphql-response+json media type)."""

    graphql_ws_handler_class = GraphQLWSHandler
    graphql_transport_ws_handler_class = GraphQLTransportWSHandler

    def __init__(
        self,
        resources: Callable[[], Resources],
        sockets: Callable[[], TokenBoundSockets],
        persisted_queries: PersistedQueries,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._resources = resources
        self._sockets = sockets
        self.persisted_queries = persisted_queries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # A request waits its turn at the door once its body has arrived (a slow upload holds
            # no seat); in, its reads (its DataLoaders) take turns on one session.
            receive = await received_whole(scope, receive)
            started = False

            async def tracking(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            try:
                db = self._resources().db
                async with db.admitted(), db.read_scope():
                    await self.serve_http(scope, receive, tracking)
            except Unavailable as exc:  # before execution: at the door or while authenticating
                if started:
                    raise
                await unavailable_response(exc)(scope, receive, send)
            return
        # A websocket lives long: its reads keep to short sessions per event.
        WEBSOCKETS_OPEN.inc()
        try:
            await super().__call__(scope, receive, send)
        finally:
            WEBSOCKETS_OPEN.dec()
            self._sockets().release(scope)

    async def render_graphql_ide(self, request: Request) -> Response:
        return page_response()

    async def serve_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """strawberry's HTTP path, its refusals answered in GraphQL's shape."""
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as e:
            response = graphql_http.refusal(request, e)
        except PersistedQueryNotFound:
            # 200, as Apollo Server answers: the client then resends with the document.
            response = graphql_http.error_response(
                request.headers, 200, NOT_FOUND_MESSAGE, ErrorCode.PERSISTED_QUERY_NOT_FOUND
            )
        else:
            graphql_http.negotiate(request, response)
        await response(scope, receive, send)

    def parse_json(self, data: str | bytes) -> dict[str, object]:
        return graphql_http.parse_json_object(data)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """strawberry's reading, with the document of an Apollo persisted query filled in."""
        data = await super().parse_http_body(request)
        if isinstance(data, list):
            return [await self.persisted_queries.resolve(item) for item in data]
        return await self.persisted_queries.resolve(data)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        body = await super().process_result(request, result)
        return graphql_http.shape_result(request, result, body)

    async def get_context(self, request: Request | WebSocket, response: Response | None) -> Context:  # type: ignore[override]
        resources = self._resources()
        viewer = None
        if isinstance(request, Request):
            viewer = await viewer_from_bearer(resources, request.headers.get("authorization"))
        return Context(resources=resources, request=request, response=response, viewer=viewer)

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """An operation that found no database connection in time answers 503 with
        Retry-After (its body still GraphQL-shaped), never INTERNAL."""
        response = super().create_response(response_data, sub_response)
        results = response_data if isinstance(response_data, list) else [response_data]
        extensions: list[dict[str, Any]] = [
            dict(error.get("extensions") or {})  # type: ignore[attr-defined]
            for result in results
            for error in result.get("errors") or []
        ]
        waits = [int(e["retryAfter"]) for e in extensions if e.get("code") == ErrorCode.UNAVAILABLE]
        if waits:
            response.status_code = 503
            response.headers["Retry-After"] = str(max(waits))
        return response

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        viewer = await viewer_from_bearer(context.resources, raw)
        # The socket lives for hours: it keeps the viewer, not the bearer token it came with.
        context.connection_params = None
        if viewer is None:
            raise ConnectionRejectionError({"message": "A valid bearer token is required."})
        context.viewer = viewer
        websocket = context.request
        assert isinstance(websocket, WebSocket)
        self._sockets().bind(websocket, viewer.token_id, viewer.token_expires_at)
        # Operations of this connection run in tasks started from here on: they inherit this,
        # so the realtime layer can close the socket of a subscriber that falls behind.
        current_socket_closer.set(partial(close_socket, websocket))
        return None


async def received_whole(scope: Scope, receive: Receive) -> Receive:
    """Read the request's body now; returns a `receive` that hands it over in one message."""
    body = await Request(scope, receive).body()
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def unavailable_response(exc: Unavailable) -> Response:
    """503 with Retry-After and a GraphQL-shaped body."""
    return JSONResponse(
        {"data": None, "errors": [{"message": exc.message, "extensions": exc.extensions}]},
        status_code=503,
        headers={"Retry-After": str(exc.retry_after)},
    )


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
    state: dict[str, Resources] = {}
    watch: dict[str, TokenBoundSockets] = {}
    tracing = tracing_for(settings, span_exporter)
    registry = app_registry(lambda: state.get("resources"), OUTBOX_METRICS)
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
        state["resources"] = Resources(settings, db, passwords, realtime, activity, tokens)
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
