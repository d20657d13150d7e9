"""strawberry's websocket protocol handlers, corrected where they misreport or hold too much.

Written for strawberry-graphql 0.341.2 (pinned in pyproject.toml; the guard test
tests/patches/test_strawberry.py fails when the version moves or when upstream changes the
methods these classes override or copy).

What upstream does, and what these handlers change:
- graphql-ws (legacy protocol): `BaseGraphQLWSHandler.handle_connection_init` closes a
  connection refused by `on_ws_connect` (ConnectionRejectionError) with 1011, an internal error,
  and one with an invalid init payload with 1000, a normal close. `GraphQLWSHandler` copies that
  method and closes with 4403 and 4400 instead, as graphql-transport-ws does, so clients of
  both protocols see a refusal as a refusal. Everything else is upstream's, step for step.
- graphql-transport-ws: `BaseGraphQLTransportWSHandler` keeps its connection_init timer task
  once it is done, and with it its CancelledError, traceback and frames, for the whole life of
  the connection (measured: ~2 KiB per idle socket). `GraphQLTransportWSHandler` forgets the
  task when it finishes.
- graphql-transport-ws `send_message` encodes every message (`view.encode_json`): a live event
  fanned out to a thousand sockets is encoded a thousand times. `GraphQLTransportWSHandler`
  writes a `next` message whose data is a result shared by many subscribers
  (patches/graphql_core_events.py) with that data encoded once, the text the same as upstream's.

- Both keep the last message a connection received until the next one arrives (strawberry's
  `ASGIWebSocketAdapter.iter_json` its text, `BaseGraphQLTransportWSHandler.handle` the decoded
  message): for a subscriber, the subscribe message, its payload and query, for hours
  (measured: ~0.9 KiB per idle socket). `LeanWebSocketAdapter.iter_json` and
  `GraphQLTransportWSHandler.handle`, copies of upstream's, let go of it once it is handled.

- HTTP: `AsyncBaseHTTPView.run` serves every kind of request (websockets, GraphiQL, GET,
  multipart uploads, batches, streams) and pays for asking which one each time (content-type
  parsing through the e-mail package, the stream transports, the operation types twice).
  `LeanJSONPosts.answer_json_post` answers the request a dashboard sends, a POST of one JSON
  operation, with upstream's steps in upstream's order (root value, sub-response, context,
  body, execute_single, process_result, _handle_errors, create_response) and nothing else; any
  other request goes to `run` as before.

- Extensions: strawberry's `SchemaExtensionsRunner.executing` builds an
  `ExecutingContextManager` (an AsyncExitStack entered and left) for every operation, even when
  no extension hooks `on_execute` (ours by default: CheckedDocuments hooks the operation, parsing
  and validation), and `on_stream_result` a `StreamResultContextManager` (every extension's hook
  looked up, an exit stack) for every result streamed: each live event of each subscriber.
  `ExtensionsRunner` answers with one shared manager that does nothing when no extension hooks
  the phase, and upstream's otherwise; `LeanExtensionsSchema` is a `strawberry.Schema` whose
  `create_extensions_runner` (upstream's, step for step) builds that runner. Likewise
  `get_extensions_results`, called for every streamed result, awaits each extension's
  `get_results` only when one overrides SchemaExtension's (which gives `{}`).

To remove: when upstream closes rejected graphql-ws connections with 4403 and drops its finished
connection_init task, delete the websocket handlers, their guard tests and the two
`*_handler_class` attributes of `GraphQLApp` (graphql_app.py; shared results are then encoded per
socket), and `LeanWebSocketAdapter` with its `websocket_adapter_class` attribute once upstream
lets go of a handled message; `LeanJSONPosts` goes when upstream's `run` costs no more than it;
`ExtensionsRunner` when upstream skips an execution phase no extension hooks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from json import JSONDecodeError
from types import TracebackType
from typing import Any, cast

import strawberry
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    OperationContextManager,
    StreamResultContextManager,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.http import GraphQLRequestData
from strawberry.http.base import BaseView
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage
from strawberry.types import ExecutionContext, StreamExecutionResult

from coach_graph.context import Context
from coach_graph.patches.graphql_core_events import shared_json
from coach_graph.patches.strawberry_streams import OneHookOperation

# The upstream versions this module was written for (pinned in pyproject.toml).
WRITTEN_FOR = {"strawberry-graphql": "0.341.2"}


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


class LeanWebSocketAdapter(ASGIWebSocketAdapter):
    """strawberry's ASGI websocket adapter, keeping no received text while it waits for the
    next one."""

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        """Upstream's, step for step, but the text and the message are let go once handled."""
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                try:
                    message = self.view.decode_json(await self.ws.receive_text())
                except JSONDecodeError as e:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from e
                    continue
                yield message
                del message
        except KeyError as e:
            raise NonTextMessageReceived from e
        except WebSocketDisconnect:  # as upstream
            pass


class GraphQLTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler, forgetting its connection_init timer once it
    is done: strawberry keeps the cancelled task, and with it its CancelledError, traceback and
    frames, for the whole life of the connection (measured: ~2 KiB per idle socket); keeping
    no handled message while it waits for the next; and sending the `next` message of a result
    shared by many subscribers (patches/graphql_core_events.py) with its data encoded once,
    not once per socket."""

    async def handle(self) -> None:
        """Upstream's, step for step, but each message is let go once handled."""
        self.on_request_accepted()

        try:
            try:
                async for message in self.websocket.iter_json():
                    await self.handle_message(cast("Message", message))
                    del message
            except NonTextMessageReceived:
                await self.handle_invalid_message("WebSocket message type must be text")
            except NonJsonMessageReceived:
                await self.handle_invalid_message("WebSocket message must be valid JSON")
        except WebSocketDisconnected:
            pass
        finally:
            await self.shutdown()

    async def send_message(self, message: Message) -> None:
        text = self._shared_next(message)
        if text is None:
            await super().send_message(message)
            return
        websocket = self.websocket
        assert isinstance(websocket, ASGIWebSocketAdapter)
        try:
            await websocket.ws.send_text(text)
        except WebSocketDisconnect as exc:  # as ASGIWebSocketAdapter.send_json
            raise WebSocketDisconnected from exc

    def _shared_next(self, message: Message) -> str | None:
        """The text of a `next` message whose data is a shared result's, exactly as the view's
        `encode_json` would write it: upstream's, or a view's that says `encodes_compact_json`
        (compact separators, keys in the message's order, as GraphQLApp's orjson)."""
        if message["type"] != "next" or not isinstance(self.websocket, ASGIWebSocketAdapter):
            return None
        payload = message["payload"]
        if list(payload) != ["data"] or list(message) != ["id", "type", "payload"]:
            return None
        view = type(self.view)
        if view.encode_json is not BaseView.encode_json and not getattr(
            view, "encodes_compact_json", False
        ):
            return None
        encode = self.view.encode_json
        data = shared_json(payload["data"], encode)
        operation_id = encode(message["id"])
        if not isinstance(data, str) or not isinstance(operation_id, str):
            return None
        return f'{{"id":{operation_id},"type":"next","payload":{{"data":{data}}}}}'

    def on_request_accepted(self) -> None:
        super().on_request_accepted()
        task = self.connection_init_timeout_task
        if task is not None:
            task.add_done_callback(self._forget_init_timeout)

    def _forget_init_timeout(self, task: asyncio.Task[None]) -> None:
        if self.connection_init_timeout_task is task:
            self.connection_init_timeout_task = None


_WEBSOCKET_PROTOCOLS = frozenset((GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL))


class LeanJSONPosts(GraphQL[Context, None]):
    """strawberry's ASGI view answering a POST of one JSON operation without `run`'s dispatch
    (see the module's docstring); `request_data` is the hook a subclass completes the request's
    data in (the body was parsed by `parse_json`, which refuses anything but an object)."""

    async def request_data(self, data: GraphQLRequestData) -> GraphQLRequestData:
        return data

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Upstream's reading, then `request_data` on each operation."""
        data = await super().parse_http_body(request)
        if isinstance(data, list):
            return [await self.request_data(item) for item in data]
        return await self.request_data(data)

    async def answer_json_post(self, request: Request) -> Response | None:
        """The answer to a POST of one JSON operation, as `run` gives it; None for any other
        request (or with a streaming protocol enabled), which `run` answers."""
        if request.method != "POST" or not _WEBSOCKET_PROTOCOLS.issuperset(self.protocols):
            return None
        media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media != "application/json":
            return None
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, response=sub_response)
        data = self.parse_json(await request.body())
        request_data = await self.request_data(_operation(data))
        result = await self.execute_single(
            request=request,
            request_adapter=self.request_adapter_class(request),
            sub_response=sub_response,
            context=context,
            root_value=None,  # what `get_root_value` gives (not overridden here)
            request_data=request_data,
        )
        response_data = await self.process_result(request=request, result=result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        return self.create_response(response_data=response_data, sub_response=sub_response)


def _operation(data: object) -> GraphQLRequestData:
    """`parse_http_body`'s checks of one operation, with its messages."""
    if not isinstance(data, dict):
        raise HTTPException(400, "Batching is not enabled")
    query = data.get("query")
    if not isinstance(query, (str, type(None))):
        raise HTTPException(
            400, "The GraphQL operation's `query` must be a string or null, if provided."
        )
    variables = data.get("variables")
    if not isinstance(variables, (dict, type(None))):
        raise HTTPException(
            400, "The GraphQL operation's `variables` must be an object or null, if provided."
        )
    extensions = data.get("extensions")
    if not isinstance(extensions, (dict, type(None))):
        raise HTTPException(
            400, "The GraphQL operation's `extensions` must be an object or null, if provided."
        )
    return GraphQLRequestData(
        query=query,
        variables=variables,
        operation_name=data.get("operationName"),
        extensions=extensions,
        protocol="http",
    )


def hooks_execution(extension: SchemaExtension) -> bool:
    """Whether the extension hooks the execution phase (upstream's `get_hook` test)."""
    return type(extension).on_execute is not SchemaExtension.on_execute


def hooks_stream_results(extension: SchemaExtension) -> bool:
    """Whether the extension hooks each streamed result (upstream's `get_hook` test)."""
    return type(extension).on_stream_result is not SchemaExtension.on_stream_result


class _NothingToSetUp:
    """A phase's context manager when no extension hooks the phase: entering and leaving it do
    nothing (strawberry looks every extension's hook up and builds an exit stack each time)."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        return None


class NoExecutionHooks(_NothingToSetUp, ExecutingContextManager):
    """The execution phase of an operation no extension hooks."""

    def __init__(self) -> None:
        super().__init__([])


NO_EXECUTION_HOOKS = NoExecutionHooks()


class NoStreamResultHooks(_NothingToSetUp, StreamResultContextManager):
    """A streamed result (each event of each subscriber) no extension hooks."""

    def __init__(self) -> None:
        super().__init__([], None)  # type: ignore[arg-type]


NO_STREAM_RESULT_HOOKS = NoStreamResultHooks()


def reports_results(extension: SchemaExtension) -> bool:
    """Whether the extension adds to each result's `extensions` (overrides `get_results`)."""
    return type(extension).get_results is not SchemaExtension.get_results


class ExtensionsRunner(SchemaExtensionsRunner):
    """strawberry's runner, without per-operation set-up for an execution phase nobody hooks,
    and without asking each extension for results none of them reports."""

    def executing(self) -> ExecutingContextManager:
        if any(hooks_execution(extension) for extension in self.extensions):
            return super().executing()
        return NO_EXECUTION_HOOKS

    def operation(self) -> OperationContextManager:
        """The operation phase, a single hook entered without an exit stack (strawberry_streams)."""
        return OneHookOperation(self.extensions)

    def on_stream_result(self, result: StreamExecutionResult) -> StreamResultContextManager:
        if any(hooks_stream_results(extension) for extension in self.extensions):
            return super().on_stream_result(result)
        return NO_STREAM_RESULT_HOOKS

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        """Upstream's merge; each extension's `get_results` (SchemaExtension's gives `{}`) is
        awaited only when one overrides it: once per streamed result of every subscriber."""
        if any(reports_results(extension) for extension in self.extensions):
            return await super().get_extensions_results(ctx)
        return {**ctx.extensions_results}


class LeanExtensionsSchema(strawberry.Schema):
    """A schema whose operations run their extensions through `ExtensionsRunner`."""

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return ExtensionsRunner(execution_context=execution_context, extensions=extensions)
