"""Websocket connections: bound to the token they were opened with, and served past the HTTP
layer.

A subscription lives no longer than its token: every `interval` seconds one query asks which of
the tokens behind this worker's open sockets were revoked (logout, in any worker) or have
expired, and those sockets are closed with 4401. Expiry is also checked against `clock.now()`
without asking the database, so the check costs one statement per interval, not one per socket.

`SocketsFirst` hands the websockets of /graphql straight to the GraphQL app: every HTTP
middleware passes a websocket through untouched, but each one's frame (and a send wrapper or
two) would be held for the socket's whole life and stepped through for every message sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from asgi_correlation_id import correlation_id
from sqlmodel import col
from starlette.routing import Match, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketState

from coach_graph import clock
from coach_graph.accounts.models import AuthToken
from coach_graph.background import Background
from coach_graph.db import Database
from coach_graph.logs import new_request_id
from coach_graph.web.middleware import is_sane_request_id

log = logging.getLogger("coach_graph.sockets")

TOKEN_ENDED_CLOSE_CODE = 4401
CHUNK = 500


@dataclass(eq=False, slots=True)
class _Bound:
    websocket: WebSocket
    token_id: int
    expires_at: datetime


async def close_socket(websocket: WebSocket, code: int, reason: str) -> None:
    """Close a websocket unless it is closed already (a close racing another is harmless)."""
    if websocket.application_state == WebSocketState.DISCONNECTED:
        return
    with contextlib.suppress(Exception):
        await websocket.close(code=code, reason=reason)


class TokenBoundSockets:
    """Closes the websockets whose token expired or was revoked, within `interval` seconds."""

    def __init__(self, db: Database, interval: float = 1.0) -> None:
        self.db = db
        self.interval = interval
        # Keyed by the connection's ASGI scope, which the app sees again when it ends.
        self._sockets: dict[int, _Bound] = {}
        self._watching = Background("token-bound-sockets")

    def __len__(self) -> int:
        return len(self._sockets)

    def bind(self, websocket: WebSocket, token_id: int, expires_at: datetime) -> None:
        """Watch `websocket` until `release`: it closes when the token ends."""
        self._sockets[id(websocket.scope)] = _Bound(websocket, token_id, expires_at)

    def release(self, scope: Scope) -> None:
        """Stop watching the connection of `scope` (it has ended)."""
        self._sockets.pop(id(scope), None)

    def start(self) -> None:
        self._watching.start(self._watch())

    async def stop(self) -> None:
        await self._watching.stop()

    async def sweep(self) -> int:
        """Close every socket whose token has ended; returns how many were closed."""
        if not self._sockets:
            return 0
        now = clock.now()
        bound = list(self._sockets.values())
        ended = {b.token_id for b in bound if b.expires_at <= now}
        live_ids = sorted({b.token_id for b in bound} - ended)
        async with self.db.read() as session:
            for i in range(0, len(live_ids), CHUNK):
                chunk = live_ids[i : i + CHUNK]
                rows = await session.scalars(
                    sa.select(col(AuthToken.id)).where(
                        col(AuthToken.id).in_(chunk),
                        sa.or_(
                            col(AuthToken.revoked_at).is_not(None),
                            col(AuthToken.expires_at) <= now,
                        ),
                    )
                )
                ended.update(i for i in rows.all() if i is not None)
        closing = [b for b in bound if b.token_id in ended]
        for b in closing:
            self.release(b.websocket.scope)
        await asyncio.gather(
            *(
                close_socket(b.websocket, TOKEN_ENDED_CLOSE_CODE, "Token expired or revoked.")
                for b in closing
            )
        )
        return len(closing)

    async def _watch(self) -> None:
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("checking websocket tokens failed; trying again")
            await asyncio.sleep(self.interval)


class SocketsFirst:
    """ASGI middleware, added outside the HTTP layer (coach_graph/web): a websocket that
    `route` matches goes straight to its app, with the request id the HTTP layer would have
    given it (a sane `X-Request-ID`, else a new one); anything else goes on through `app`.

    What it skips does nothing to a websocket: CORS, security headers, the access log, the
    body limit and the request metrics pass websockets through, and the request id is set here
    as the request-id middleware sets it."""

    def __init__(self, app: ASGIApp, route: WebSocketRoute) -> None:
        self.app = app
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            match, child_scope = self.route.matches(scope)
            if match is Match.FULL:
                scope.update(child_scope)
                correlation_id.set(_request_id(scope))
                await self.route.app(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            given = value.decode("latin-1")
            return given if is_sane_request_id(given) else new_request_id()
    return new_request_id()
