"""Who may see which client: the one place every domain and every subscription asks.

Two rules, side by side (SPEC "Actors and access"):
- DATA: a coach sees a client's shared data (the `Client` object and everything under it) only
  while linked to them with consent GRANTED (`granted_clients`, `visible_client`).
- SCHEDULING: a coach books, lists, moves, cancels and exports sessions and exchanges messages
  with every LINKED client whatever the consent (`linked_clients`, `schedulable_client`).
A client sees only themselves. Anything else answers exactly like a client that does not exist
(NOT_FOUND), so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.auth import Viewer, require_viewer
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.db import Database
from coach_graph.errors import NotFound, require_row
from coach_graph.prepared import entities, table


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


def linked_clients(coach_id: int) -> sa.Select[int]:
    """The ids of every client linked to a coach, whatever the consent (the scheduling rule)."""
    return sa.select(col(CoachClient.client_id)).where(col(CoachClient.coach_id) == coach_id)


def linked(coach_id: int, client_id: int) -> sa.Select[CoachClient]:
    """The link between a coach and a client, whatever the consent (scheduling and messages
    work with every linked client)."""
    return sa.select(CoachClient).where(
        col(CoachClient.coach_id) == coach_id, col(CoachClient.client_id) == client_id
    )


_users, _links = table(User), table(CoachClient)
# A coach's client with consent GRANTED: one probe of the (coach, client) link (an `IN` over
# every client of a big practice would read them all).
_GRANTED_CLIENT = entities(
    User,
    sa.select(*_users.c)
    .join(_links, _links.c.client_id == _users.c.id)
    .where(
        _users.c.id == sa.bindparam("client_id"),
        _links.c.coach_id == sa.bindparam("coach_id"),
        _links.c.consent == ConsentStatus.GRANTED.value,
    ),
)
_USER = entities(User, sa.select(*_users.c).where(_users.c.id == sa.bindparam("client_id")))


def clients_in(ids: sa.BindParameter[Any]) -> sa.Subquery:
    """The accounts of an `IN` list parameter as rows (column `id`): the FROM of a read asking
    one indexed question per client (a correlated subquery), where grouping a table by client
    would read every row of every client."""
    return sa.select(_users.c.id).where(_users.c.id.in_(ids)).subquery("clients")


async def visible_client(db: Database, viewer: Viewer | None, client_id: int) -> ClientView:
    """The client if the viewer may see them, else NOT_FOUND (also for a client's own id)."""
    viewer = require_viewer(viewer)
    client: User | None = None
    if viewer.is_coach:
        client = await _GRANTED_CLIENT.first(db, client_id=client_id, coach_id=viewer.id)
    elif client_id == viewer.id:
        client = await _USER.first(db, client_id=client_id)
    if client is None:
        raise NotFound.of("client", client_id)
    return ClientView(client, viewer.id if viewer.is_coach else None, viewer.time_zone)


async def schedulable_client(db: Database, viewer: Viewer | None, client_id: int) -> User:
    """The client the viewer may schedule with: for a coach any linked client whatever the
    consent, for a client themselves; else NOT_FOUND. Gives the account, not its shared data."""
    viewer = require_viewer(viewer)
    query = sa.select(User).where(col(User.id) == client_id)
    if viewer.is_coach:
        query = query.where(col(User.id).in_(linked_clients(viewer.id)))
    elif client_id != viewer.id:
        raise NotFound.of("client", client_id)
    async with db.read() as session:
        client = await session.scalar(query)
    if client is None:
        raise NotFound.of("client", client_id)
    return client


async def lock_scheduled_link(session: AsyncSession, coach_id: int, client_id: int) -> CoachClient:
    """Inside a write that schedules with a client: the coach's link to them (any consent),
    locked until the transaction ends, else NOT_FOUND. A removal that came first is seen; one
    that comes after waits for the write and then treats its sessions as its own."""
    return await require_row(
        session, linked(coach_id, client_id).with_for_update(), "client", client_id
    )


async def lock_granted_link(session: AsyncSession, coach_id: int, client_id: int) -> CoachClient:
    """Inside a write that needs the client's shared data (homework): the coach's link to them
    with consent GRANTED, locked until the transaction ends, else NOT_FOUND (as
    `lock_scheduled_link`: a removal or a withdrawal either came first or waits for the write)."""
    granted = linked(coach_id, client_id).where(
        col(CoachClient.consent) == ConsentStatus.GRANTED.value
    )
    return await require_row(session, granted.with_for_update(), "client", client_id)


async def load_consents(db: Database, pairs: list[tuple[int, int]]) -> list[ConsentStatus | None]:
    """DataLoader batch: the consent of each (coach id, client id) pair, None when unlinked."""
    coaches = {coach for coach, _ in pairs}
    async with db.read() as session:
        rows = await session.execute(
            sa.select(
                col(CoachClient.coach_id), col(CoachClient.client_id), col(CoachClient.consent)
            ).where(
                col(CoachClient.coach_id).in_(coaches),
                col(CoachClient.client_id).in_({client for _, client in pairs}),
            )
        )
        found = {(coach, client): ConsentStatus(consent) for coach, client, consent in rows}
    return [found.get(pair) for pair in pairs]


def shares_data(viewer: Viewer, client_id: int, consent: ConsentStatus | None) -> bool:
    """Whether the viewer sees the client's data, given the (viewer, client) consent when the
    viewer is a coach: GRANTED for a coach, themselves for a client."""
    if viewer.is_coach:
        return consent is ConsentStatus.GRANTED
    return viewer.id == client_id


async def find_visible_client(
    db: Database, viewer: Viewer | None, client_id: int
) -> ClientView | None:
    """Like `visible_client`, but None instead of NOT_FOUND (for nullable fields)."""
    try:
        return await visible_client(db, viewer, client_id)
    except NotFound:
        return None
