"""The sessions domain's field of a Notification: the session it is about."""

from __future__ import annotations

import strawberry

from coach_graph.gql import Info
from coach_graph.sessions.loaders import load_sessions
from coach_graph.sessions.types.session import Session, session_of


@strawberry.type
class SessionNotificationFields:
    """The sessions domain's fields of Notification (graph.Notification)."""

    session_id: strawberry.Private[int | None]

    @strawberry.field(description="The session it is about, if any (and still visible).")
    async def session(self, info: Info) -> Session | None:
        if self.session_id is None:
            return None
        row = await info.context.loaders(load_sessions).load(self.session_id)
        return session_of(info, row) if row else None
