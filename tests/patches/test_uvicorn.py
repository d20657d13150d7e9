"""The lean websocket protocol's inbox and flag behave like the asyncio.Queue and asyncio.Event
they replace (the end-to-end tests run the protocol itself under uvicorn), and the guard: what
the patch relies on in uvicorn and websockets is still there."""

from __future__ import annotations

import asyncio
import gc
import inspect
import re
import sys
from typing import Any

import uvicorn
import websockets
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import Protocol, State
from websockets.server import ServerProtocol
from websockets.streams import StreamReader

from coach_graph.patches.uvicorn import (
    WRITTEN_FOR,
    LeanWebSocketProtocol,
    _Flag,
    _Inbox,
    _text_frame,
)
from tests.patches.pins import assert_written_for
from tests.ws import until


async def test_the_inbox_hands_messages_over_in_order_and_holds_nothing_when_empty() -> None:
    inbox = _Inbox()
    assert inbox.empty()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait({"type": "websocket.connect"})
    inbox.put_nowait({"type": "websocket.receive", "text": "1"})
    assert await reader == {"type": "websocket.connect"}
    assert not inbox.empty()
    assert await inbox.get() == {"type": "websocket.receive", "text": "1"}
    assert inbox.empty() and inbox._items is None and inbox._waiters is None


async def test_a_cancelled_reader_passes_its_wake_up_on() -> None:
    inbox = _Inbox()
    first = asyncio.create_task(inbox.get())
    second = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait({"type": "websocket.receive", "text": "x"})
    first.cancel()  # woken, but cancelled before it could take the message
    async with asyncio.timeout(1):
        assert await second == {"type": "websocket.receive", "text": "x"}
    assert first.cancelled()


async def test_the_flag_releases_every_waiter_when_set() -> None:
    flag = _Flag()
    flag.set()
    await flag.wait()
    flag.clear()
    waiters = [asyncio.create_task(flag.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    async with asyncio.timeout(1):
        await asyncio.gather(*waiters)
    assert flag._waiters is None


async def _echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A minimal ASGI websocket app: accept, then echo every text frame."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    while (message := await receive())["type"] == "websocket.receive":
        await send({"type": "websocket.send", "text": message["text"]})


async def test_the_protocol_keeps_no_handshake_request_and_still_reads_frames() -> None:
    """websockets' parser held the handshake request for the socket's life; the lean protocol
    restarts the frame parser after the handshake, and frames keep flowing both ways."""
    config = uvicorn.Config(
        _echo,
        host="127.0.0.1",
        port=0,
        ws="coach_graph.patches.uvicorn:LeanWebSocketProtocol",
        ws_per_message_deflate=False,
        log_config=None,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        await until(lambda: server.started, within=10)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with websockets.connect(f"ws://127.0.0.1:{port}/", compression=None) as ws:
            for text in ("one", "two", "x" * 70_000, "é" * 200):  # long: many reads
                await ws.send(text)
                assert await asyncio.wait_for(ws.recv(), 5) == text
            gc.collect()
            server_requests = [
                o for o in gc.get_objects() if isinstance(o, Request) and o.path == "/"
            ]
            # Only the client side's own request object may remain (it keeps its handshake).
            assert len(server_requests) <= 1
            (protocol,) = server.server_state.connections
            assert isinstance(protocol, LeanWebSocketProtocol)
            # Its attributes in a dictionary sized for them (measured, not timed).
            attributes = vars(protocol)
            assert sys.getsizeof(attributes) <= sys.getsizeof(dict(attributes.items()))
    finally:
        server.should_exit = True
        await serving


# ---------------------------------------------------------------- guard: what the patch relies on


def test_the_installed_uvicorn_and_websockets_are_the_versions_the_patch_was_written_for() -> None:
    assert_written_for(WRITTEN_FOR)


def test_uvicorn_still_has_the_protocol_methods_and_attributes_the_patch_overrides() -> None:
    init = inspect.signature(WebSocketsSansIOProtocol.__init__)
    assert list(init.parameters)[:3] == ["self", "config", "server_state"]
    assert list(inspect.signature(WebSocketsSansIOProtocol.send).parameters) == [
        "self",
        "message",
    ]
    assert inspect.iscoroutinefunction(WebSocketsSansIOProtocol.send)
    # The attributes it replaces or drops, as upstream creates and uses them.
    source = inspect.getsource(WebSocketsSansIOProtocol)
    for needle in (
        "self.queue: asyncio.Queue[ASGIReceiveEvent] = asyncio.Queue()",
        "self.writable = asyncio.Event()",
        "self.request = event",
        "self.response = self.conn.accept(event)",
        "self.handshake_complete = True",
    ):
        assert needle in source, f"uvicorn's protocol no longer does `{needle}`"
    # The queue and flag are used only through the methods _Inbox and _Flag provide.
    used = set(re.findall(r"self\.queue\.(\w+)", source)) | set(
        re.findall(r"self\.writable\.(\w+)", source)
    )
    assert used <= {"put_nowait", "get", "empty", "set", "clear", "wait", "is_set"}, used


def test_a_text_frame_is_the_frame_websockets_writes() -> None:
    """The lean protocol writes text frames it built (once per text) itself: byte for byte
    what websockets' server protocol writes, at every payload length form."""
    for text in ("", "x", "é" * 63, "y" * 125, "z" * 126, "w" * 65_535, "v" * 65_536):
        server = ServerProtocol()
        server.state = State.OPEN
        server.send_text(text.encode())
        assert _text_frame(text) == b"".join(server.data_to_send())
        assert _text_frame(text) is _text_frame(text)


def test_websockets_still_sends_text_the_way_the_frame_writer_copies() -> None:
    send_text = inspect.getsource(Protocol.send_text)
    for needle in ("self.expect_continuation_frame", "self._state is not OPEN", "Frame(TEXT"):
        assert needle in send_text, f"websockets' send_text no longer does `{needle}`"
    send_frame = inspect.getsource(Protocol.send_frame)
    for needle in ("self.debug", "self.writes.append", "mask=self.side is CLIENT"):
        assert needle in send_frame, f"websockets' send_frame no longer does `{needle}`"
    upstream = inspect.getsource(WebSocketsSansIOProtocol.send)
    for needle in (
        "await self.writable.wait()",
        "self.conn.send_text(text_data.encode())",
        'self.transport.write(b"".join(output))',
        "elif not self.close_sent and self.initial_response is None:",
    ):
        assert needle in upstream, f"uvicorn's send no longer does `{needle}`"


def test_websockets_still_parses_frames_as_the_parser_restart_expects() -> None:
    source = inspect.getsource(Protocol.__init__)
    for needle in ("self.reader = StreamReader()", "self.events", "self.parser = self.parse()"):
        assert needle in source, f"websockets' Protocol no longer does `{needle}`"
    assert "self.parser_exc" in source
    assert inspect.isgeneratorfunction(Protocol.parse)
    assert list(inspect.signature(Protocol.parse).parameters) == ["self"]
    assert hasattr(StreamReader(), "buffer")
