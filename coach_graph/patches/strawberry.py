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

To remove: when upstream closes rejected graphql-ws connections with 4403 and drops its finished
connection_init task, delete this module, its guard test and the two `*_handler_class`
attributes of `GraphQLApp` in app.py (shared results are then encoded per socket).
"""

from __future__ import annotations

import asyncio
import json

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.base import BaseView
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage

from coach_graph.context import Context
from coach_graph.patches.graphql_core_events import shared_json

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


class GraphQLTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler, forgetting its connection_init timer once it
    is done: strawberry keeps the cancelled task, and with it its CancelledError, traceback and
    frames, for the whole life of the connection (measured: ~2 KiB per idle socket); and
    sending the `next` message of a result shared by many subscribers
    (patches/graphql_core_events.py) with its data encoded once, not once per socket."""

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
        """The text of a `next` message whose data is a shared result's, exactly as
        `encode_json` would write it (compact separators, keys in strawberry's order)."""
        if message["type"] != "next" or not isinstance(self.websocket, ASGIWebSocketAdapter):
            return None
        payload = message["payload"]
        if list(payload) != ["data"] or list(message) != ["id", "type", "payload"]:
            return None
        if type(self.view).encode_json is not BaseView.encode_json:
            return None
        data = shared_json(payload["data"], self.view.encode_json)
        if data is None:
            return None
        return f'{{"id":{json.dumps(message["id"])},"type":"next","payload":{{"data":{data}}}}}'

    def on_request_accepted(self) -> None:
        super().on_request_accepted()
        task = self.connection_init_timeout_task
        if task is not None:
            task.add_done_callback(self._forget_init_timeout)

    def _forget_init_timeout(self, task: asyncio.Task[None]) -> None:
        if self.connection_init_timeout_task is task:
            self.connection_init_timeout_task = None
