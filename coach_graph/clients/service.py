"""Who may see which client, and the My Clients list.

A coach sees a client only while linked to them with consent GRANTED; a client sees only
themselves. Anything else answers exactly like a client that does not exist (NOT_FOUND).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.accounts.models import Role, User
from coach_graph.auth import Viewer, require_coach, require_viewer
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.db import Database
from coach_graph.errors import NotFound
from coach_graph.pagination import Page, decode_cursor, page_size


@dataclass(frozen=True, slots=True)
class ClientView:
    """A client as one viewer may see them. `coach_id` is the coach whose view this is (None when
    the client looks at their own record); `time_zone` is the viewer's, for "today"."""

    client: User
    coach_id: int | None
    time_zone: str

    @property
    def id(self) -> int:
        assert self.client.id is not None
        return self.client.id


def granted_clients(coach_id: int) -> sa.Select[int]:
    """The ids of a coach's clients with consent GRANTED (a subquery for other domains)."""
    return sa.select(col(CoachClient.client_id)).where(
        col(CoachClient.coach_id) == coach_id,
        col(CoachClient.consent) == ConsentStatus.GRANTED,
    )


async def visible_client(db: Database, viewer: Viewer | None, client_id: int) -> ClientView:
    """The client if the viewer may see them, else NOT_FOUND (also for a client's own id)."""
    viewer = require_viewer(viewer)
    async with db.session() as session:
        if viewer.is_coach:
            client = await session.scalar(
                sa.select(User).where(
                    col(User.id) == client_id,
                    col(User.id).in_(granted_clients(viewer.id)),
                )
            )
        elif client_id == viewer.id:
            client = await session.get(User, client_id)
        else:
            client = None
    if client is None:
        raise NotFound.of("client", client_id)
    return ClientView(client, viewer.id if viewer.is_coach else None, viewer.time_zone)


async def find_visible_client(
    db: Database, viewer: Viewer | None, client_id: int
) -> ClientView | None:
    """Like `visible_client`, but None instead of NOT_FOUND (for nullable fields)."""
    try:
        return await visible_client(db, viewer, client_id)
    except NotFound:
        return None


def _search_condition(search: str | None) -> sa.ColumnElement[bool]:
    if not search or not search.strip():
        return sa.true()
    pattern = (
        "%"
        + search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        + "%"
    )
    return sa.or_(
        sa.func.lower(User.name).like(pattern, escape="\\"),
        sa.func.lower(User.email).like(pattern, escape="\\"),
    )


def _sort_name() -> sa.ColumnElement[str]:
    return sa.func.lower(sa.func.coalesce(User.name, User.email))


async def list_clients(
    db: Database, viewer: Viewer | None, search: str | None, first: int | None, after: str | None
) -> Page[ClientView]:
    """The coach's GRANTED clients by name, filtered by a case-insensitive substring of name or
    e-mail, one page at a time."""
    coach = require_coach(viewer)
    size = page_size(first, 50)
    key = decode_cursor(after, 2)
    base = sa.select(User).where(
        col(User.role) == Role.CLIENT,
        col(User.id).in_(granted_clients(coach.id)),
        _search_condition(search),
    )
    query = base.order_by(_sort_name(), col(User.id)).limit(size + 1)
    if key is not None:
        query = query.where(
            sa.tuple_(_sort_name(), col(User.id)) > sa.tuple_(str(key[0]), int(key[1]))
        )
    async with db.session() as session:
        clients = list((await session.scalars(query)).all())

    async def count() -> int:
        async with db.session() as session:
            total = await session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
        return int(total or 0)

    views = [ClientView(c, coach.id, coach.time_zone) for c in clients]
    return Page.from_rows(
        views, size, key=lambda v: ((v.client.name or v.client.email).lower(), v.id), count=count
    )
