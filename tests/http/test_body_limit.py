"""A body over MAX_BODY_BYTES gets 413 before it is read whole, declared or streamed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx

from coach_graph.config import Settings
from tests.http.conftest import BODY_LIMIT, Server

QUERY = json.dumps({"query": "{ __typename }"}).encode()


async def _raw_exchange(server: Server, head: bytes, body_parts: list[bytes]) -> tuple[int, bytes]:
    """Send `head` and the parts of a body that is never finished, then read the answer: the
    server must answer without waiting for the rest. Returns the status and the body."""
    url = urlsplit(server.base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        writer.write(head)
        for part in body_parts:
            writer.write(part)
            await writer.drain()
        head_bytes = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        lines = head_bytes.decode().split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
        body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), 10)
    finally:
        writer.close()
    return int(lines[0].split()[1]), body


async def test_a_declared_body_over_the_limit_gets_413_before_the_body_is_sent(
    server: Server,
) -> None:
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Content-Length: 50000000\r\n\r\n"
    )
    # 50 MB announced, 1 KB sent, the connection held open: the answer comes anyway.
    status, rest = await _raw_exchange(server, head, [b"{" + b" " * 1023])
    assert status == 413
    body = json.loads(rest)
    assert body["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "maxBodyBytes": BODY_LIMIT,
    }


async def test_a_chunked_body_is_refused_once_its_chunks_pass_the_limit(server: Server) -> None:
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * 8192
    # Just over the limit in chunks, and no final chunk: the server stops reading and answers.
    parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (BODY_LIMIT // len(chunk) + 1)
    status, rest = await _raw_exchange(server, head, parts)
    assert status == 413
    assert b'"BAD_USER_INPUT"' in rest


async def test_a_streamed_body_over_the_limit_gets_413_with_a_graphql_error(
    server: Server,
) -> None:
    async def stream() -> AsyncIterator[bytes]:
        for _ in range(BODY_LIMIT // 4096 + 2):
            yield b" " * 4096

    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.post(
            "/graphql", content=stream(), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert response.headers["x-request-id"]


async def test_a_body_under_the_limit_is_served(server: Server) -> None:
    padded = json.dumps({"query": "{ __typename }" + " " * (BODY_LIMIT - 100)})
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.post(
            "/graphql", content=padded, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_50_mb_body_is_refused_and_the_server_serves_on(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        response = await http.post(
            "/graphql", content=b"[" * 50_000_000, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert (
            await http.post("/graphql", content=QUERY, headers={"Content-Type": "application/json"})
        ).status_code == 200


def test_the_body_limit_defaults_to_one_mib_and_reads_max_body_bytes() -> None:
    assert Settings.from_env({}).max_body_bytes == 1024 * 1024
    assert Settings.from_env({"MAX_BODY_BYTES": "2048"}).max_body_bytes == 2048
