"""The way out for webhooks: HTTPS through httpx, whose connections go only to addresses that
pass the SSRF rule. The name is resolved here, at connect time, every resolved address is
checked, and the connection goes to a checked address (never resolved a second time), while TLS
still verifies the certificate for the URL's host. The trust store is the system's, or the
bundle named by SSL_CERT_FILE."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from coach_graph.webhooks.addresses import AddressRefused, Resolver, guarded_addresses

# Of an endpoint's answer only this much is read (its body is not ours to keep).
ANSWER_LIMIT = 4096


def trust_store() -> ssl.SSLContext:
    """Certificates verified against SSL_CERT_FILE when set, else the system's trust store."""
    return ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE") or None)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting to checked addresses only."""

    def __init__(self, resolver: Resolver, *, allow_private: bool) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._resolver = resolver
        self._allow_private = allow_private

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await guarded_addresses(host, self._resolver, allow_private=self._allow_private)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("webhooks never go to a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over a connection pool that uses `GuardedBackend`; it keeps at most
    ANSWER_LIMIT bytes of an answer."""

    def __init__(
        self,
        ssl_context: ssl.SSLContext,
        resolver: Resolver,
        *,
        allow_private: bool,
        max_connections: int = 50,
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(resolver, allow_private=allow_private),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        answer = await self._pool.handle_async_request(core)
        kept = bytearray()
        try:
            async for chunk in answer.aiter_stream():
                kept += chunk
                if len(kept) >= ANSWER_LIMIT:
                    break
        finally:
            await answer.aclose()
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            content=bytes(kept[:ANSWER_LIMIT]),
            extensions=answer.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()
