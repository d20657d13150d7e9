"""The /graphql view: strawberry's ASGI view with our context, the door (admission), the read
scope, websocket authentication, persisted queries and GraphQL-shaped HTTP answers.

Over HTTP a request is read whole, waits its turn at the door, and runs inside one read scope
(its reads share one connection). The answer to a POST of one JSON operation, what dashboards
send, takes `LeanJSONPosts.answer_json_post` (patches/strawberry.py), every other request
strawberry's `run`; both answer alike (tests/http, tests/patches)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from coach_graph.context import Context, Resources, viewer_from_bearer
from coach_graph.errors import ErrorCode, Unavailable
from coach_graph.graphiql import page_response
from coach_graph.observability.metrics import WEBSOCKETS_OPEN
from coach_graph.patches.strawberry import (
    GraphQLTransportWSHandler,
    GraphQLWSHandler,
    LeanJSONPosts,
    LeanWebSocketAdapter,
)
from coach_graph.realtime import current_socket_closer
from coach_graph.sockets import TokenBoundSockets, close_socket
from coach_graph.web import graphql_http
from coach_graph.web.apq import NOT_FOUND_MESSAGE, PersistedQueries, PersistedQueryNotFound


class GraphQLApp(LeanJSONPosts):
    """strawberry's ASGI view with our context and websocket authentication. A websocket is
    bound to the token of its connection_init and closed (4401) when that token ends. Over HTTP
    it reads and answers as coach_graph/web/graphql_http.py says (GraphQL-shaped 4xx, the
    graphql-response+json media type)."""

    graphql_ws_handler_class = GraphQLWSHandler
    graphql_transport_ws_handler_class = GraphQLTransportWSHandler
    websocket_adapter_class = LeanWebSocketAdapter  # type: ignore[assignment]
    # encode_json writes compact JSON in the message's key order: a live event shared by many
    # sockets is encoded once (patches/strawberry.py).
    encodes_compact_json = True

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
            # no seat); in, its reads (its DataLoaders) take turns on one connection.
            request = await received_whole(scope, receive)
            started = False

            async def tracking(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            try:
                db = self._resources().db
                async with db.admitted(), db.read_scope():
                    await self.serve_http(request, tracking)
            except Unavailable as exc:  # before execution: at the door or while authenticating
                if started:
                    raise
                await unavailable_response(exc)(scope, request.receive, send)
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

    async def serve_http(self, request: Request, send: Send) -> None:
        """strawberry's HTTP path, its refusals answered in GraphQL's shape."""
        try:
            response = await self.answer_json_post(request) or await self.run(request)
        except HTTPException as e:
            response = graphql_http.refusal(request, e)
        except PersistedQueryNotFound:
            # 200, as Apollo Server answers: the client then resends with the document.
            response = graphql_http.error_response(
                request.headers, 200, NOT_FOUND_MESSAGE, ErrorCode.PERSISTED_QUERY_NOT_FOUND
            )
        else:
            graphql_http.negotiate(request, response)
        await response(request.scope, request.receive, send)

    def parse_json(self, data: str | bytes) -> dict[str, object]:
        return graphql_http.parse_json_object(data)

    def encode_json(self, data: object) -> str:
        """An answer's or a websocket message's JSON, compact, by orjson (the standard library
        for what orjson refuses: an integer beyond 64 bits). Text, not bytes: strawberry sends
        bytes over a websocket as binary frames, which GraphQL's websocket protocols do not
        use."""
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    async def request_data(self, data: GraphQLRequestData) -> GraphQLRequestData:
        """The operation with the document of an Apollo persisted query filled in."""
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
        if not any(result.get("errors") for result in results):
            return response
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


async def received_whole(scope: Scope, receive: Receive) -> Request:
    """The request with its body read now (kept by the request: later reads ask no more)."""
    request = Request(scope, receive)
    await request.body()
    return request


def unavailable_response(exc: Unavailable) -> Response:
    """503 with Retry-After and a GraphQL-shaped body."""
    return JSONResponse(
        {"data": None, "errors": [{"message": exc.message, "extensions": exc.extensions}]},
        status_code=503,
        headers={"Retry-After": str(exc.retry_after)},
    )
