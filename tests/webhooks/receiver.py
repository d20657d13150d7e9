"""A real HTTPS webhook receiver on 127.0.0.1 for the tests: a small HTTP/1.1 server (keep-alive)
whose certificate comes from a throwaway CA made at test time (trustme). Each request takes
the next scripted behaviour (answer 200, answer 500, redirect to the metadata address, hang,
close the connection), then the default one; every request read whole is recorded."""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from dataclasses import dataclass

import trustme

OK, ERROR, REDIRECT, HANG, CLOSE = "ok", "500", "redirect", "hang", "close"


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: str
    behaviour: str

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    def __init__(self, ca: trustme.CA) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost", "hooks.test").configure_cert(self.context)
        self.script: deque[str] = deque()
        self.default = OK
        self.received: list[Received] = []
        self._release = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._arrived = asyncio.Condition()
        self.port = 0

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/hook"

    @property
    def delivered(self) -> list[Received]:
        """Requests it answered with 200."""
        return [r for r in self.received if r.behaviour == OK]

    async def wait_for(self, count: int) -> None:
        """Until `count` requests have arrived."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)

    async def start(self) -> None:
        self._release = asyncio.Event()
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, ssl=self.context
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listener and every connection (hanging answers end)."""
        self._release.set()
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        if not await reader.readline():
            return False
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        behaviour = self.script.popleft() if self.script else self.default
        self.received.append(Received(headers, body.decode(), behaviour))
        async with self._arrived:
            self._arrived.notify_all()
        if behaviour == HANG:
            await self._release.wait()
            return False
        if behaviour == CLOSE:
            return False
        status = {OK: "200 OK", ERROR: "500 Internal Server Error", REDIRECT: "302 Found"}
        extra = (
            "location: https://169.254.169.254/latest/meta-data/\r\n"
            if behaviour == REDIRECT
            else ""
        )
        writer.write(f"HTTP/1.1 {status[behaviour]}\r\ncontent-length: 0\r\n{extra}\r\n".encode())
        await writer.drain()
        return True
