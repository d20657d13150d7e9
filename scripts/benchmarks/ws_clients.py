"""A lean graphql-transport-ws client for fan-out benchmarks: many sockets, little work each.

A fan-out measurement must not be bounded by its own client: a full websocket library costs
tens of microseconds per message in Python, which at 10,000 sockets is most of the figure. This
client speaks RFC 6455 over plain asyncio protocols (handshake, masked client frames, unmasked
server frames, pongs to the server's pings), stamps each arrival with `time.monotonic()` (the
same clock in every process on Linux) and does nothing else.

Run as a process, it serves one benchmark (bench_alerts.py) over its stdin and stdout, one JSON
object a line:

    python ws_clients.py URL TOKEN QUERY COUNT [OPENED_AT_ONCE]
    -> {"opened": COUNT}                 once every socket is subscribed
    <- {"ping": true}  -> {"started": t, "arrivals": [...]}   a pong round over every socket
    <- {"expect": "next"} -> {"armed": true}, later {"arrivals": [...], "failed": n}
    <- {"repair": true} -> {"repaired": n}   subscribes again where a busy server refused
    <- {"close": true}  closes the sockets and exits
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlparse

OPEN_AT_ONCE = 100
OPEN_TIMEOUT = 600.0
RETRIES = 5


def frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One masked, final client frame (RFC 6455 5.2)."""
    n = len(payload)
    if n < 126:
        header = bytes((0x80 | opcode, 0x80 | n))
    elif n < 1 << 16:
        header = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    mask = os.urandom(4)
    if not n:
        return header + mask
    key = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")
    return header + mask + masked


class Round:
    """Arrivals of one kind of message across a set of sockets."""

    def __init__(self, kind: str, expected: int) -> None:
        self.kind = kind
        self.marker = f'"type":"{kind}"'.encode()
        self.expected = expected
        self.arrivals: list[float] = []
        self.failed = 0
        self.done = asyncio.get_running_loop().create_future()

    def arrived(self, at: float, payload: bytes) -> None:
        if self.kind == "next" and (b'"errors"' in payload or b'"data":null' in payload):
            self.failed += 1
        self.arrivals.append(at)
        if len(self.arrivals) >= self.expected and not self.done.done():
            self.done.set_result(None)


class Socket(asyncio.Protocol):
    """One websocket: the handshake, then frames; a message of the current round is stamped,
    any other is kept for whoever waits on `next_message`."""

    current: Round | None = None

    def __init__(self, host: str, path: str) -> None:
        self.host = host
        self.path = path
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = asyncio.get_running_loop().create_future()
        self.inbox: list[dict[str, Any]] = []
        self.waiter: asyncio.Future[None] | None = None
        self.closed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.query = ""
        self.refused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n".encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(ConnectionError(f"closed before the upgrade: {exc!r}"))
        if not self.closed.done():
            self.closed.set_result(1006)
        self._wake()

    def data_received(self, data: bytes) -> None:
        at = time.monotonic()
        buffer = self.buffer + data if self.buffer else data
        if not self.upgraded.done():
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            status = buffer[: buffer.find(b"\r\n")]
            if b" 101 " not in status + b" ":
                self.upgraded.set_exception(ConnectionError(status.decode(errors="replace")))
                return
            self.upgraded.set_result(None)
            buffer = buffer[end + 4 :]
        pos, size = 0, len(buffer)
        while size - pos >= 2:
            first, length = buffer[pos], buffer[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length, start = int.from_bytes(buffer[pos + 2 : pos + 4], "big"), pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, start = int.from_bytes(buffer[pos + 2 : pos + 10], "big"), pos + 10
            if size - start < length:
                break
            payload = buffer[start : start + length]
            pos = start + length
            self._frame(first & 0x0F, payload, at)
        self.buffer = buffer[pos:]

    def _frame(self, opcode: int, payload: bytes, at: float) -> None:
        if opcode == 0x1:
            current = Socket.current
            if current is not None and current.marker in payload:
                current.arrived(at, payload)
            elif b'"type":"error"' in payload or b'"type":"complete"' in payload:
                self.refused = True  # the subscription ended (a busy server): subscribe again
            else:
                self.inbox.append(json.loads(payload))
                self._wake()
        elif opcode == 0x9:  # the server's keep-alive ping
            self.send(payload, 0xA)
        elif opcode == 0x8:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            if not self.closed.done():
                self.closed.set_result(code)
            self._wake()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def send(self, payload: bytes, opcode: int = 0x1) -> None:
        assert self.transport is not None
        self.transport.write(frame(payload, opcode))

    def send_json(self, message: dict[str, Any]) -> None:
        self.send(json.dumps(message, separators=(",", ":")).encode())

    async def next_message(self, kind: str, within: float = 60.0) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while True:
                while self.inbox:
                    message = self.inbox.pop(0)
                    if message.get("type") == kind:
                        return message
                if self.closed.done():
                    raise ConnectionError(f"closed with {self.closed.result()}")
                self.waiter = asyncio.get_running_loop().create_future()
                await self.waiter

    def resubscribe(self) -> None:
        self.refused = False
        self.send_json({"id": "1", "type": "subscribe", "payload": {"query": self.query}})

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.send(b"\x03\xe8", 0x8)
            self.transport.close()


async def subscribe(url: str, token: str, query: str) -> Socket:
    """A socket with `query` subscribed (connection_init acknowledged, subscribe sent)."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    loop = asyncio.get_running_loop()
    _, sock = await loop.create_connection(
        lambda: Socket(f"{host}:{port}", parsed.path), host, port
    )
    await sock.upgraded
    sock.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    await sock.next_message("connection_ack")
    sock.query = query
    sock.resubscribe()
    return sock


async def subscribe_many(
    url: str, token: str, query: str, count: int, at_once: int = OPEN_AT_ONCE
) -> list[Socket]:
    limit = asyncio.Semaphore(at_once)

    async def one() -> Socket:
        async with limit:
            for attempt in range(RETRIES):
                try:
                    return await subscribe(url, token, query)
                except ConnectionError:
                    # A busy server refuses a handshake now and then (503 at connection_init
                    # while its pool is exhausted): try again shortly, as a dashboard would.
                    if attempt == RETRIES - 1:
                        raise
                    await asyncio.sleep(0.5)
            raise AssertionError("unreachable")

    async with asyncio.timeout(OPEN_TIMEOUT):
        return list(await asyncio.gather(*(one() for _ in range(count))))


async def collect(kind: str, sockets: list[Socket], start: Callable[[], None] | None) -> Round:
    """Stamp every socket's next message of `kind`; `start` (if any) runs once armed."""
    current = Socket.current = Round(kind, len(sockets))
    if start is not None:
        start()
    return current


async def serve(url: str, token: str, query: str, count: int, at_once: int) -> None:
    """The child process: commands on stdin, answers on stdout (see the module docstring)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def answer(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    sockets = await subscribe_many(url, token, query, count, at_once)
    answer({"opened": len(sockets)})
    ping = frame(b'{"type":"ping"}')
    while line := await reader.readline():
        command = json.loads(line)
        if command.get("close"):
            break
        if command.get("repair"):
            refused = [sock for sock in sockets if sock.refused]
            for sock in refused:
                sock.resubscribe()
            answer({"repaired": len(refused)})
        if command.get("ping"):
            current = await collect("pong", sockets, None)
            started = time.monotonic()
            for sock in sockets:
                assert sock.transport is not None
                sock.transport.write(ping)
            async with asyncio.timeout(120):
                await current.done
            Socket.current = None
            answer({"started": started, "arrivals": current.arrivals})
        elif kind := command.get("expect"):
            current = await collect(kind, sockets, None)
            answer({"armed": True})
            async with asyncio.timeout(120):
                await current.done
            Socket.current = None
            answer({"arrivals": current.arrivals, "failed": current.failed})
    for sock in sockets:
        sock.close()


def main() -> None:
    url, token, query, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    at_once = int(sys.argv[5]) if len(sys.argv) > 5 else OPEN_AT_ONCE
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        asyncio.run(serve(url, token, query, count, at_once))
    else:
        uvloop.run(serve(url, token, query, count, at_once))


if __name__ == "__main__":
    main()
