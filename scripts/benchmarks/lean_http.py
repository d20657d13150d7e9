"""A lean HTTP/1.1 keep-alive client for the load benchmark: one asyncio stream connection per
virtual user, request bytes built once per page (method line, headers with the bearer token and
the JSON body), responses read by Content-Length (or chunked, or until the server closes).

httpx's pooled AsyncClient costs ~6.5 ms of client CPU a request; on a 2-core machine that CPU
is taken from the server the benchmark measures. This client keeps the same closed loop (one
request in flight per connection, the next sent after the answer is read) at a fraction of it.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import orjson

HEAD_LIMIT = 64 * 1024  # a response head larger than this is a broken server


class ProtocolError(Exception):
    """The server's answer is not HTTP/1.1 as this client reads it."""


def graphql_request(host: str, token: str, document: str, variables: dict[str, Any]) -> bytes:
    """The bytes of one `POST /graphql` with the bearer `token` and the JSON body."""
    body = orjson.dumps({"query": document, "variables": variables})
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nAccept: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class Connection:
    """One keep-alive connection to `base_url` (http only), opened on first use and again after
    the server closes it or a request on it failed."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"an http:// URL with a host is needed, not {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.netloc = parts.netloc
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.close()
        self._reader, self._writer = await asyncio.open_connection(
            self.host, self.port, limit=HEAD_LIMIT
        )

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Send one whole request and read its answer: (status, body). Any failure closes the
        connection (its state is unknown) and raises."""
        try:
            return await self._exchange(request)
        except BaseException:
            self.close()
            raise

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        if self._reader is None or self._reader.at_eof():
            await self.open()
        reader, writer = self._reader, self._writer
        assert reader is not None and writer is not None
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 "):
            raise ProtocolError(f"not an HTTP/1.1 answer: {head[:40]!r}")
        status = int(head[9:12])
        headers = head.lower()
        length = _header(headers, b"content-length")
        keep = _header(headers, b"connection") != b"close"
        if b"chunked" in (_header(headers, b"transfer-encoding") or b""):
            body = await _read_chunked(reader)
        elif length is not None:
            body = await reader.readexactly(int(length))
        else:
            body, keep = await reader.read(), False
        if not keep:
            self.close()
        return status, body


def _header(lowered_head: bytes, name: bytes) -> bytes | None:
    """The value of header `name` in a lower-cased response head, or None."""
    at = lowered_head.find(b"\r\n" + name + b":")
    if at < 0:
        return None
    start = at + len(name) + 3
    return lowered_head[start : lowered_head.index(b"\r\n", start)].strip()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise ProtocolError("a chunk not followed by CRLF")


def error_kinds(status: int, body: bytes) -> list[str]:
    """Why an answer is a failure: its HTTP status unless 200, and its GraphQL error codes."""
    kinds = [] if status == 200 else [f"HTTP {status}"]
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return kinds or ["not JSON"]
    errors = parsed.get("errors") if isinstance(parsed, dict) else None
    for error in errors or []:
        code = (error.get("extensions") or {}).get("code", "no code")
        if f"GraphQL {code}" not in kinds:
            kinds.append(f"GraphQL {code}")
    return kinds
