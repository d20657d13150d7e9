"""The ASGI app: /graphql (queries, mutations, GraphiQL, subscriptions), exports, health."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Any

from cross_web import HTTPException
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
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage
from strawberry.types import ExecutionResult

from coach_graph.accounts.activity import ActivityRecorder
from coach_graph.auth import Passwords, Tokens, authenticate, parse_bearer
from coach_graph.config import Settings
from coach_graph.context import Context, Resources
from coach_graph.db import Database
from coach_graph.errors import ErrorCode, Unavailable
from coach_graph.graphiql import asset_routes, page_response
from coach_graph.jobs import Job, JobRunner
from coach_graph.outbox.metrics import OUTBOX_METRICS
from coach_graph.realtime import Realtime, current_socket_closer
from coach_graph.schema import build_schema
from coach_graph.sessions.exports import export_routes
from coach_graph.sessions.jobs import sessions_jobs
from coach_graph.sockets import TokenBoundSockets, close_socket
from coach_graph.web import graphql_http, install
from coach_graph.web.request_note import note_viewer

log = logging.getLogger("coach_graph")

# Readiness publishes here to see the broadcast backend answer (nobody subscribes).
READINESS_CHANNEL = "coach_graph.readiness"


# The cyclic garbage collector, tuned once per process when the app starts (see `tune_gc`).
GC_THRESHOLDS = (10_000, 10, 10)
_gc_tuned = False


def tune_gc() -> None:
    """Keep the garbage collector's pauses off live delivery (measured with
    scripts/benchmarks/bench_alerts.py and a gc callback, Python 3.11).

    A full collection walks every tracked object: with 1,000 idle subscriptions (~220 objects
    each) next to the ~175,000 objects of the loaded app, one pass took 250-300 ms, and at the
    default thresholds (700, 10, 10) fan-out to 1,000 sockets triggered one or two of them per
    alert, which was the whole p99 tail. So, once the app has started:

    - `gc.freeze()` moves what startup built (modules, schema, mappers; alive for the whole
      process anyway) out of the collector's sight: full passes then walk only what came after
      (~40% shorter at 1,000 subscribers);
    - a young-generation threshold of 10,000 instead of 700: the short-lived objects of a burst
      of deliveries die by reference counting before a collection can promote them, so far
      fewer reach the old generation and full passes become rare. Memory held by not yet
      collected cycles stays bounded by the same thresholds (gen 1 and 2 ratios unchanged).

    Once per process (uvicorn runs the lifespan once per worker; a test process creates many
    apps).
    """
    global _gc_tuned
    if _gc_tuned:
        return
    _gc_tuned = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def background_jobs() -> list[Job]:
    """Every periodic job of the product (each domain contributes its own)."""
    from coach_graph.alerts.evaluator import EVALUATION_JOB
    from coach_graph.journals.analysis import analysis_job
    from coach_graph.mail.job import outbox_job

    return [analysis_job(), EVALUATION_JOB, *sessions_jobs(), outbox_job()]


class GraphQLWSHandler(BaseGraphQLWSHandler[Context, None]):
    """The legacy graphql-ws protocol, closing a rejected connection with 4403 like
    graphql-transport-ws does (strawberry closes it with 1011, an internal error)."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            await self.send_message({"type": "connection_error"})
            await self.websocket.close(code=4400, reason="Invalid connection init payload")
            return
        self.context.connection_params = payload
        try:
            await self.view.on_ws_connect(self.context)
        except ConnectionRejectionError as e:
            await self.send_message({"type": "connection_error", "payload": e.payload})
            await self.websocket.close(code=4403, reason="Forbidden")
            return
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True
        if self.keep_alive:
            self.keep_alive_task = asyncio.create_task(self.handle_keep_alive())


class GraphQLTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler, forgetting its connection_init timer once it
    is done: strawberry keeps the cancelled task, and with it its CancelledError, traceback and
    frames, for the whole life of the connection (measured: ~2 KiB per idle socket)."""

    def on_request_accepted(self) -> None:
        super().on_request_accepted()
        task = self.connection_init_timeout_task
        if task is not None:
            task.add_done_callback(self._forget_init_timeout)

    def _forget_init_timeout(self, task: asyncio.Task[None]) -> None:
        if self.connection_init_timeout_task is task:
            self.connection_init_timeout_task = None


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
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._resources = resources
        self._sockets = sockets

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
        try:
            await super().__call__(scope, receive, send)
        finally:
            if scope["type"] == "websocket":
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
        else:
            graphql_http.negotiate(request, response)
        await response(scope, receive, send)

    def parse_json(self, data: str | bytes) -> dict[str, object]:
        return graphql_http.parse_json_object(data)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        body = await super().process_result(request, result)
        return graphql_http.shape_result(request, result, body)

    async def get_context(self, request: Request | WebSocket, response: Response | None) -> Context:  # type: ignore[override]
        resources = self._resources()
        viewer = None
        if isinstance(request, Request):
            token = parse_bearer(request.headers.get("authorization"))
            viewer = await resources.tokens.viewer(token)
            if viewer is not None:
                note_viewer(viewer.id)
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
        token = parse_bearer(raw) if isinstance(raw, str) else None
        viewer = await authenticate(context.db, token, context.resources.activity)
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


def create_app(settings: Settings | None = None, *, jobs: list[Job] | None = None) -> Starlette:
    """Build the app. The lifespan migrates the database, connects the broadcaster and starts the
    background jobs; shutdown stops them in reverse order."""
    settings = settings or Settings.from_env()
    state: dict[str, Resources] = {}
    watch: dict[str, TokenBoundSockets] = {}
    registry = CollectorRegistry()
    registry.register(OUTBOX_METRICS)

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
        try:
            yield
        finally:
            await runner.stop()
            await activity.stop()
            await watch["sockets"].stop()
            await realtime.disconnect()
            await db.dispose()
            state.clear()

    graphql = GraphQLApp(
        resources,
        sockets,
        schema=build_schema(settings),
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
    if settings.graphiql:
        routes.append(asset_routes())
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(RequestMetrics, registry=registry)
    install(app, settings)
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
