"""uvicorn's websockets-sansio protocol, holding less for each long-lived websocket.

Written for uvicorn 0.54.0 with websockets 17.4 (both pinned in pyproject.toml; the guard test
tests/patches/test_uvicorn.py fails when either moves).

What upstream does: for every open websocket, uvicorn's `WebSocketsSansIOProtocol` keeps the
parsed handshake (request and response, both header sets: ~4 KiB) for the connection's whole
life although it never reads it again, and creates an `asyncio.Queue` (four deques) and an
`asyncio.Event` (one more, ~3.5 KiB together) for an inbox that is nearly always empty;
websockets' server parser also holds the handshake request as a local until the connection
ends. A subscriber's socket sits idle for hours and a worker holds thousands of them:
tracemalloc of a worker with 1,000 idle subscriptions showed uvicorn's protocol as the largest
holder (`scripts/benchmarks/bench_alerts.py` measures resident memory per idle subscriber).

What this changes: only what each socket keeps, not how it speaks:
- the parsed handshake is dropped once the handshake is done (the app has its copy in the ASGI
  scope), and websockets' frame parser is restarted so it lets go of the request too; then the
  protocol's attributes move to a dictionary sized for them (~0.8 KiB less per socket);
- the inbox and the "writable" flag are created empty and allocate only while something waits;
- a text message on an open connection is written as one frame (what upstream writes), and the
  frame of a text many sockets send (a live event fanned out) is built once, not per socket.

Relies on: `WebSocketsSansIOProtocol.__init__/send`, its `queue`, `writable`, `conn`,
`handshake_complete`, `close_sent`, `disconnected`, `initial_response`, `transport`, `request`
and `response` attributes, and websockets' `Protocol.parse`, `reader.buffer`, `parser_exc`,
`events`, `parser`, `state`, `expect_continuation_frame`, `extensions`, `debug`, `writes` and
`Frame.serialize`.

Served with `--ws coach_graph.patches.uvicorn:LeanWebSocketProtocol` and
`--ws-per-message-deflate false` (`coach-graph serve`, tests/e2e, the benchmarks). To remove
it: switch those to `ws="websockets-sansio"` and delete this module and its guard test; the
behaviour stays the same, each idle socket costs ~8 KiB more.
"""

from __future__ import annotations

import asyncio
import sys
from collections import OrderedDict, deque
from typing import Any

from uvicorn._types import ASGIReceiveEvent, ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import Protocol, State

# The upstream versions this module was written for (pinned in pyproject.toml).
WRITTEN_FOR = {"uvicorn": "0.54.0", "websockets": "17.4"}


class _Inbox:
    """The subset of `asyncio.Queue` uvicorn uses (put_nowait, get, empty), unbounded like the
    queue it replaces, allocating only while messages or readers wait."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: deque[ASGIReceiveEvent] | None = None
        self._waiters: list[asyncio.Future[None]] | None = None

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: ASGIReceiveEvent) -> None:
        items = self._items
        if items is None:
            items = self._items = deque()
        items.append(item)
        self._wake_one()

    async def get(self) -> ASGIReceiveEvent:
        while not self._items:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            waiters = self._waiters
            if waiters is None:
                waiters = self._waiters = []
            waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                # As asyncio.Queue does: a reader cancelled after its wake-up passes it on.
                if self._items and not waiter.cancelled():
                    self._wake_one()
                raise
            finally:
                waiters.remove(waiter)
                if not waiters and self._waiters is waiters:
                    self._waiters = None
        items = self._items
        item = items.popleft()
        if not items:
            self._items = None
        return item

    def _wake_one(self) -> None:
        for waiter in self._waiters or ():
            if not waiter.done():
                waiter.set_result(None)
                return


class _Flag:
    """The subset of `asyncio.Event` uvicorn uses (set, clear, wait), without a deque per
    socket: waiters are kept only while the transport is paused."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> None:
        if self._set:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)


# Frames of recently sent texts: a live event fanned out to many sockets is one text (the same
# operation id, the same encoded data), framed once.
_FRAMES: OrderedDict[str, bytes] = OrderedDict()
FRAMES_KEPT = 64


def _text_frame(text: str) -> bytes:
    frame = _FRAMES.get(text)
    if frame is None:
        frame = _FRAMES[text] = Frame(Opcode.TEXT, text.encode()).serialize(
            mask=False, extensions=[]
        )
        if len(_FRAMES) > FRAMES_KEPT:
            _FRAMES.popitem(last=False)
    return frame


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol with a lighter footprint per idle connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _Inbox()  # type: ignore[assignment]
        writable = _Flag()
        writable.set()
        self.writable = writable  # type: ignore[assignment]

    async def send(self, message: ASGISendEvent) -> None:
        if message["type"] == "websocket.send" and self._write_text(message):
            return
        await super().send(message)
        if self.handshake_complete and "response" in self.__dict__:
            # Read only while the handshake is answered (uvicorn 0.54); the scope has the headers.
            del self.__dict__["response"]
            self.__dict__.pop("request", None)
            self._restart_frame_parser()
            self._compact_attributes()

    def _write_text(self, message: ASGISendEvent) -> bool:
        """A text message on an open, idle connection, written as upstream would write it (one
        unmasked final frame, no extension: per-message deflate is off) but with the frame of a
        text many sockets send (a shared live event) built once; False: let upstream send."""
        text = message.get("text")
        conn = self.conn
        if (
            not isinstance(text, str)
            or message.get("bytes") is not None
            or not self.handshake_complete
            or self.close_sent
            or self.disconnected
            or self.initial_response is not None
            or not self.writable.is_set()
            or conn.state is not State.OPEN
            or conn.expect_continuation_frame
            or conn.extensions
            or conn.debug
            or conn.writes
        ):
            return False
        self.transport.write(_text_frame(text))
        return True

    def _restart_frame_parser(self) -> None:
        """websockets' server parser keeps the handshake request (all its headers, ~3 KiB) as a
        local for the connection's whole life, then hands over to the frame parser. Right after
        the handshake nothing is buffered (a client waits for the 101 before sending frames),
        so starting the frame parser afresh drops the request and changes nothing else."""
        conn = self.conn
        if conn.reader.buffer or conn.parser_exc is not None or conn.events:
            return  # something is under way: keep the parser as it is
        conn.parser = Protocol.parse(conn)
        next(conn.parser)

    def _compact_attributes(self) -> None:
        """The protocol's ~35 attributes in a dictionary sized for them: past the 30 an instance
        can share with its class they move to one sized for three times as many (~1.6 KiB per
        socket; sized for them, ~0.8 KiB). Only when that is smaller."""
        attributes = self.__dict__
        compact = dict(attributes.items())
        if sys.getsizeof(compact) < sys.getsizeof(attributes):
            self.__dict__ = compact
