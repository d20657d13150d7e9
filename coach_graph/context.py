"""What every resolver can reach: the app's resources, the viewer, and per-request loaders; and
the one way a request (GraphQL over HTTP, a websocket's connection_init, an export download)
finds its viewer: `viewer_from_bearer`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from coach_graph import logs
from coach_graph.accounts.activity import ActivityRecorder
from coach_graph.auditing import AuditAction, AuditRecorder
from coach_graph.auth import Passwords, Tokens, Viewer, parse_bearer
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.loaders import Loaders
from coach_graph.web.request_note import note_viewer

if TYPE_CHECKING:
    from coach_graph.realtime import Realtime


@dataclass
class Resources:
    """Opened by the app's lifespan, shared by every request."""

    settings: Settings
    db: Database
    passwords: Passwords
    realtime: Realtime
    activity: ActivityRecorder
    tokens: Tokens
    audit: AuditRecorder


@dataclass(slots=True)
class Context:
    """The GraphQL context of one HTTP request or one websocket connection (slotted: a worker
    holds one per open websocket)."""

    resources: Resources
    request: Request | WebSocket
    response: Response | None
    viewer: Viewer | None
    request_id: str = field(default_factory=logs.request_id)
    connection_params: dict[str, Any] | None = None
    _loaders: Loaders | None = None
    # What this request (or this live event) noted on audit trails already: a page of 50 rows
    # notes its client once. Made at the first note: an idle websocket holds none.
    _audited: set[tuple[int, AuditAction]] | None = None
    # Whether the field being resolved asks for private notes (sessions/types/session.py).
    notes_asked_at: object = None
    notes_asked: bool = False

    @property
    def db(self) -> Database:
        return self.resources.db

    @property
    def settings(self) -> Settings:
        return self.resources.settings

    @property
    def loaders(self) -> Loaders:
        """Loaders for this request. A websocket connection lives long: its subscriptions call
        `fresh_loaders()` per event so cached rows never go stale."""
        if self._loaders is None:
            self._loaders = Loaders(self.resources.db)
        return self._loaders

    def audit_read(self, client_id: int, action: AuditAction) -> None:
        """Note on the client's audit trail that the viewer read their private data (written in
        the background, coalesced per hour; nothing for the client themselves)."""
        if self.viewer is None:
            return
        audited = self._audited
        if audited is None:
            audited = self._audited = set()
        elif (client_id, action) in audited:
            return
        audited.add((client_id, action))
        self.resources.audit.read(self.viewer.id, client_id, action)

    def fresh_loaders(self) -> None:
        """Forget the loaders and what they cached: the next use makes new ones. (Made only
        when used: an idle subscriber keeps none between events, and a subscriber whose event
        was completed by another, patches/graphql_core_events.py, never makes any.)"""
        self._loaders = None
        self._audited = None


async def viewer_from_bearer(resources: Resources, authorization: object) -> Viewer | None:
    """The viewer an `Authorization: Bearer <token>` value stands for (an HTTP header, or the
    `authorization` of a websocket's connection_init), or None when it is missing, malformed,
    unknown, expired or revoked (through the process's token cache, `auth.Tokens`). The viewer is
    noted on the request's log line."""
    token = parse_bearer(authorization) if isinstance(authorization, str) else None
    viewer = await resources.tokens.viewer(token)
    if viewer is not None:
        note_viewer(viewer.id)
    return viewer
