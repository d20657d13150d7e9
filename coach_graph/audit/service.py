"""Reading the audit trail (SPEC "Integrations"): a client sees every event about their own
data; a coach sees their own reads. Newest first, in signed keyset pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import col

from coach_graph.accounts.models import Role, User
from coach_graph.audit.models import AuditEvent
from coach_graph.auditing import AuditAction
from coach_graph.auth import Viewer, require_viewer
from coach_graph.db import Database
from coach_graph.errors import NotFound
from coach_graph.pagination import Keyset, Page, SortKey, page_size

NEWEST_FIRST = Keyset(
    SortKey(col(AuditEvent.at), False, datetime),
    SortKey(col(AuditEvent.id), False, int),
)
DEFAULT_PAGE = 50


@dataclass(frozen=True, slots=True)
class TrailEntry:
    """An event with the names it is shown with (a person without a name: their e-mail)."""

    id: int
    at: datetime
    action: AuditAction
    actor_name: str
    actor_role: Role
    client_name: str


def _whose(viewer: Viewer, client_id: int | None) -> sa.ColumnElement[bool]:
    """The events the viewer may read: a client's about themselves (another client's id is
    NOT_FOUND, as for any client they may not see), a coach's own reads (of one client when
    `client_id` is given)."""
    if viewer.is_client:
        if client_id is not None and client_id != viewer.id:
            raise NotFound.of("client", client_id)
        return col(AuditEvent.client_id) == viewer.id
    own = col(AuditEvent.actor_id) == viewer.id
    return own if client_id is None else sa.and_(own, col(AuditEvent.client_id) == client_id)


async def audit_trail(
    db: Database, viewer: Viewer | None, client_id: int | None, first: int | None, after: str | None
) -> Page[TrailEntry]:
    """One page of the viewer's audit trail, newest first."""
    viewer = require_viewer(viewer)
    size = page_size(first, DEFAULT_PAGE)
    condition = _whose(viewer, client_id)
    actor, client = aliased(User), aliased(User)
    query = NEWEST_FIRST.select(
        sa.select(
            AuditEvent,
            sa.func.coalesce(col(actor.name), col(actor.email)),
            col(actor.role),
            sa.func.coalesce(col(client.name), col(client.email)),
        )
        .join(actor, col(actor.id) == col(AuditEvent.actor_id))
        .join(client, col(client.id) == col(AuditEvent.client_id))
        .where(condition),
        after,
        size,
        cursors=db.cursors,
    )
    async with db.read() as session:
        rows = [
            TrailEntry(
                id=event.id,
                at=event.at,
                action=AuditAction(event.action),
                actor_name=actor_name,
                actor_role=Role(role),
                client_name=client_name,
            )
            for event, actor_name, role, client_name in (await session.execute(query)).all()
        ]

    async def count() -> int:
        async with db.read() as session:
            total = await session.scalar(
                sa.select(sa.func.count()).select_from(AuditEvent).where(condition)
            )
        return int(total or 0)

    return Keyset.page(rows, size, key=lambda e: (e.at, e.id), count=count, cursors=db.cursors)
