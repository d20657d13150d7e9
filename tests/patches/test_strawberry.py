"""Guard for coach_graph/patches/strawberry.py: the installed strawberry is the version the
handlers were written for, the methods they override or follow still look as they did, and
upstream still behaves the way the patch corrects (when it stops, the patch can go). That the
lean JSON POST answers as upstream's `run` does: tests/http/test_lean_post.py."""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import json
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

import strawberry
from graphql import ExecutionResult
from starlette.types import Message
from starlette.websockets import WebSocket
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.http.async_base_view import AsyncBaseHTTPView
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from coach_graph.patches.strawberry import (
    WRITTEN_FOR,
    GraphQLTransportWSHandler,
    GraphQLWSHandler,
    LeanWebSocketAdapter,
    shared_json,
)
from tests.patches.pins import assert_written_for, source_digest

# sha256 of upstream's BaseGraphQLWSHandler.handle_connection_init in 0.341.2, which
# GraphQLWSHandler copies step for step: any change upstream means re-reading the copy.
COPIED_CONNECTION_INIT = "acf753f522e8f4a96f7d5965ae565d7dd308ac24f2f05ee3aa14ba3138d87a64"


def test_the_installed_strawberry_is_the_version_the_handlers_were_written_for() -> None:
    assert_written_for(WRITTEN_FOR)


def test_the_graphql_ws_connection_init_we_copy_is_unchanged_upstream() -> None:
    digest = source_digest(BaseGraphQLWSHandler.handle_connection_init)
    assert digest == COPIED_CONNECTION_INIT, (
        "strawberry changed handle_connection_init: compare it with GraphQLWSHandler's copy"
    )
    assert inspect.signature(GraphQLWSHandler.handle_connection_init) == inspect.signature(
        BaseGraphQLWSHandler.handle_connection_init
    )


def test_upstream_graphql_ws_still_closes_a_rejected_connection_as_an_internal_error() -> None:
    source = inspect.getsource(BaseGraphQLWSHandler.handle_connection_init)
    assert "code=1011" in source, "upstream no longer closes with 1011: the patch may go"


def test_the_graphql_ws_handler_still_has_what_the_copy_uses() -> None:
    init = inspect.getsource(BaseGraphQLWSHandler.__init__)
    for attribute in ("self.keep_alive_task", "self.connection_acknowledged", "self.keep_alive"):
        assert attribute in init, f"BaseGraphQLWSHandler no longer sets {attribute}"
    for method in ("send_message", "handle_keep_alive"):
        assert inspect.iscoroutinefunction(getattr(BaseGraphQLWSHandler, method)), method


def test_upstream_transport_ws_still_keeps_its_finished_connection_init_timer() -> None:
    on_request_accepted = BaseGraphQLTransportWSHandler.on_request_accepted
    assert list(inspect.signature(on_request_accepted).parameters) == ["self"]
    accepted = inspect.getsource(BaseGraphQLTransportWSHandler.on_request_accepted)
    assert "self.connection_init_timeout_task = asyncio.create_task(" in accepted
    whole = inspect.getsource(BaseGraphQLTransportWSHandler)
    assert "self.connection_init_timeout_task = None" not in whole, (
        "upstream now forgets its connection_init timer: GraphQLTransportWSHandler may go"
    )
    assert GraphQLTransportWSHandler.on_request_accepted is not (
        BaseGraphQLTransportWSHandler.on_request_accepted
    )


def test_a_shared_next_message_is_the_text_encode_json_writes() -> None:
    """The transport writes a shared result's `next` message from its data encoded once: the
    very text strawberry's `encode_json` writes for the message."""
    view = GraphQL(schema=strawberry.Schema(query=_Query))
    handler = object.__new__(GraphQLTransportWSHandler)
    handler.view = view
    handler.websocket = ASGIWebSocketAdapter(view, None, None)  # type: ignore[arg-type]
    data = {"alertCreated": {"id": "1", "message": 'Émile "wrote"\n', "client": None}}
    # Kept as the shared-events patch keeps a shared result (the module the handler reads).
    events = importlib.import_module(shared_json.__module__)
    events._keep_data(ExecutionResult(data=data))
    for operation_id in ("1", 'op "2"'):
        message: Any = {"id": operation_id, "type": "next", "payload": {"data": data}}
        assert handler._shared_next(message) == view.encode_json(message)
    unshared: Any = {"id": "1", "type": "next", "payload": {"data": dict(data)}}
    assert handler._shared_next(unshared) is None
    with_errors: Any = {"id": "1", "type": "next", "payload": {"data": data, "errors": []}}
    assert handler._shared_next(with_errors) is None


@strawberry.type
class _Query:
    ok: bool = True


# sha256 of upstream's AsyncBaseHTTPView methods whose steps LeanJSONPosts.answer_json_post
# follows for a POST of one JSON operation (0.341.2): any change means re-reading it.
MIRRORED_HTTP_STEPS = {
    "run": "b278e647b7eee2e85196f5499025e0210bef4d161a6aa1ed7a26edb196a15209",
    "parse_http_body": "6c7c673a13880c7f63024edfc8073005ed9c1eb69a1c1c74f7eb375ea60e0cc9",
    "execute_operation": "7ee9febac728183f8db2a998a5667a4a94aded5e05351398eb8058fced7acb8b",
}


def test_the_http_steps_the_lean_post_follows_are_unchanged_upstream() -> None:
    for name, expected in MIRRORED_HTTP_STEPS.items():
        assert source_digest(getattr(AsyncBaseHTTPView, name)) == expected, (
            f"strawberry changed AsyncBaseHTTPView.{name}: compare it with answer_json_post"
        )


# sha256 of upstream's methods the lean websocket copies step for step (0.341.2).
COPIED_WEBSOCKET_STEPS = {
    "ASGIWebSocketAdapter.iter_json": (
        ASGIWebSocketAdapter.iter_json,
        "eccc1390e8d7876f24a2c6708eb293b987204182dd4e8a7f3a339639b6fa0821",
    ),
    "BaseGraphQLTransportWSHandler.handle": (
        BaseGraphQLTransportWSHandler.handle,
        "38622a72d445f675b7b55290cb8d5f75e54d61b78d1d91c7a3ea09d471080296",
    ),
}


def test_the_websocket_steps_the_lean_copies_follow_are_unchanged_upstream() -> None:
    for name, (method, expected) in COPIED_WEBSOCKET_STEPS.items():
        assert source_digest(method) == expected, (
            f"strawberry changed {name}: compare it with its copy in patches/strawberry.py"
        )


@strawberry.type
class _Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[int, None]:
        yield 1
        await asyncio.Event().wait()  # idle, as a live feed between events


async def _idle_subscriber(
    handler_class: type[BaseGraphQLTransportWSHandler[Any, Any]],
    adapter_class: type[ASGIWebSocketAdapter],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A real starlette websocket served by `handler_class` until its one subscription is idle;
    the locals then held by the handler's `handle` and by the adapter's `iter_json`."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    sent: list[Message] = []
    subscribed = asyncio.Event()

    async def send(message: Message) -> None:
        sent.append(message)
        if '"type":"next"' in message.get("text", "").replace(" ", ""):
            subscribed.set()

    scope = {"type": "websocket", "path": "/graphql", "headers": [], "subprotocols": []}
    websocket = WebSocket(scope, inbox.get, send)
    await inbox.put({"type": "websocket.connect"})
    await websocket.accept(subprotocol="graphql-transport-ws")
    view = GraphQL[Any, Any](schema=strawberry.Schema(query=_Query, subscription=_Subscription))
    handler = handler_class(
        view=view,
        websocket=adapter_class(view, websocket, websocket),
        context={},
        root_value=None,
        schema=view.schema,
        connection_init_wait_timeout=timedelta(minutes=1),
    )
    task = asyncio.create_task(handler.handle())
    for message in (
        {"type": "connection_init"},
        {"id": "1", "type": "subscribe", "payload": {"query": "subscription { ticks }"}},
    ):
        await inbox.put({"type": "websocket.receive", "text": json.dumps(message)})
    async with asyncio.timeout(10):
        await subscribed.wait()
    # The subscribe was handled before its operation ran: `handle` waits for the next message.
    assert inbox.empty()
    handle_locals = dict(task.get_coro().cr_frame.f_locals)  # type: ignore[union-attr]
    readers = [
        o
        for o in gc.get_objects()
        if inspect.isasyncgen(o) and o.ag_code is adapter_class.iter_json.__code__
    ]
    assert len(readers) == 1
    reader_locals = dict(readers[0].ag_frame.f_locals)
    await inbox.put({"type": "websocket.disconnect", "code": 1000})
    async with asyncio.timeout(10):
        await task
    return handle_locals, reader_locals


async def test_upstream_keeps_the_last_message_of_an_idle_connection() -> None:
    handle_locals, reader_locals = await _idle_subscriber(
        BaseGraphQLTransportWSHandler, ASGIWebSocketAdapter
    )
    assert handle_locals.get("message", {}).get("type") == "subscribe", (
        "upstream's handle lets go of a handled message: GraphQLTransportWSHandler.handle may go"
    )
    assert "subscribe" in reader_locals.get("text", ""), (
        "upstream's iter_json lets go of a received text: LeanWebSocketAdapter may go"
    )


async def test_the_lean_websocket_keeps_no_message_of_an_idle_connection() -> None:
    handle_locals, reader_locals = await _idle_subscriber(
        GraphQLTransportWSHandler, LeanWebSocketAdapter
    )
    assert "message" not in handle_locals
    assert "message" not in reader_locals and "text" not in reader_locals
