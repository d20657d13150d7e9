"""The My Clients list, attention cards, consents and deleting a client (who may see whom is
in `clients.access`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock, events
from coach_graph.accounts.models import Role, User
from coach_graph.auth import Viewer, require_client, require_coach
from coach_graph.clients.access import ClientView, linked, lock_scheduled_link
from coach_graph.clients.activity import days_between, days_inactive
from coach_graph.clients.events import ClientRemoved, ConsentChanged
from coach_graph.clients.inactivity import activity_since, inactive, rule_of
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.db import Database
from coach_graph.errors import NotFound
from coach_graph.pagination import Keyset, Page, SortKey, page_size
from coach_graph.prepared import Read, Row, entities, rows, table
from coach_graph.search import contains, normalise_search, substring_pattern


def _search_condition(search: str | None) -> sa.ColumnElement[bool]:
    text = normalise_search(search)
    if text is None:
        return sa.true()
    return contains(col(User.search_key), text)


# My Clients, prepared once per shape (with or without a search, first page or after a cursor):
# the coach's GRANTED clients through their (coach, client) links.
_users, _links = table(User), table(CoachClient)
# By name (else e-mail), case- and accent-insensitively, then id: the stored, folded sort key
# compared in code-point order on both engines (search.sort_key), the key a cursor holds.
BY_NAME = Keyset(SortKey(_users.c.sort_key, True, str), SortKey(_users.c.id, True, int))
_LINKED = _users.join(_links, _links.c.client_id == _users.c.id)
_GRANTED = (
    _links.c.coach_id == sa.bindparam("coach_id"),
    _links.c.consent == ConsentStatus.GRANTED.value,
    _users.c.role == Role.CLIENT.value,
)
_SEARCHED = (_users.c.search_key.like(sa.bindparam("pattern"), escape="\\"),)


def _my_clients_page(search: bool, after: bool) -> Read[User]:
    where = (
        *_GRANTED,
        *(_SEARCHED if search else ()),
        *((BY_NAME.after_bound(),) if after else ()),
    )
    query = sa.select(*_users.c).select_from(_LINKED).where(*where)
    return entities(User, query.order_by(*BY_NAME.order_by()).limit(sa.bindparam("rows")))


def _my_clients_count(search: bool) -> Read[Row]:
    where = (*_GRANTED, *(_SEARCHED if search else ()))
    return rows(sa.select(sa.func.count()).select_from(_LINKED).where(*where))


_PAGES = {(s, a): _my_clients_page(s, a) for s in (False, True) for a in (False, True)}
_COUNTS = {s: _my_clients_count(s) for s in (False, True)}


async def list_clients(
    db: Database, viewer: Viewer | None, search: str | None, first: int | None, after: str | None
) -> Page[ClientView]:
    """The coach's GRANTED clients by name, filtered by a case-insensitive substring of name or
    e-mail, one page at a time."""
    coach = require_coach(viewer)
    size = page_size(first, 50)
    cursor = BY_NAME.decode(after, cursors=db.cursors)
    text = normalise_search(search)
    params: dict[str, Any] = {"coach_id": coach.id}
    if text is not None:
        params["pattern"] = substring_pattern(text)
    clients = await _PAGES[(text is not None, cursor is not None)].all(
        db, rows=size + 1, **params, **(Keyset.bound(cursor) if cursor else {})
    )

    async def count() -> int:
        found = await _COUNTS[text is not None].first(db, **params)
        return int(found[0] or 0) if found else 0

    views = [ClientView(c, coach.id, coach.time_zone) for c in clients]
    return BY_NAME.page(
        views, size, key=lambda v: (v.client.sort_key, v.id), count=count, cursors=db.cursors
    )


@dataclass(frozen=True, slots=True)
class AttentionItem:
    """A client inactive longer than the coach's threshold."""

    view: ClientView
    days_inactive: int | None  # None: never active
    days_counted: int  # since the last activity, or since the link when never active


async def needs_attention(db: Database, viewer: Viewer | None) -> list[AttentionItem]:
    """GRANTED clients inactive for more than the coach's inactivity threshold (in the coach's
    calendar days), longest inactive first; a never-active client counts from the day they were
    linked. Empty while the rule is disabled."""
    coach = require_coach(viewer)
    now = clock.now()
    since = activity_since()
    async with db.read() as session:
        rule = await rule_of(session, coach.id)
        if not rule.enabled:
            return []
        rows = await session.execute(
            sa.select(User, col(CoachClient.linked_at))
            .join(CoachClient, col(CoachClient.client_id) == col(User.id))
            .where(
                col(CoachClient.coach_id) == coach.id,
                col(CoachClient.consent) == ConsentStatus.GRANTED,
                inactive(rule, now, coach.time_zone),
            )
            .order_by(since, col(User.id))
        )
        items = []
        for client, linked_at in rows:
            counted = days_between(client.last_active_at or linked_at, now, coach.time_zone)
            items.append(
                AttentionItem(
                    ClientView(client, coach.id, coach.time_zone),
                    days_inactive(client.last_active_at, now, coach.time_zone),
                    counted,
                )
            )
    return items


@dataclass(frozen=True, slots=True)
class ConsentItem:
    """A coach-client link with the client's consent."""

    link: CoachClient
    client: User


@dataclass(frozen=True, slots=True)
class CoachLink:
    """A client's link to one coach, with the consent they gave."""

    link: CoachClient
    coach: User


async def list_consents(
    db: Database, viewer: Viewer | None, status: ConsentStatus | None, search: str | None
) -> list[ConsentItem]:
    """Every client linked to the coach, whatever their consent, by name (as My Clients);
    filtered by status and by a case-insensitive substring of name or e-mail."""
    coach = require_coach(viewer)
    query = (
        sa.select(CoachClient, User)
        .join(User, col(User.id) == col(CoachClient.client_id))
        .where(col(CoachClient.coach_id) == coach.id, _search_condition(search))
        .order_by(*BY_NAME.order_by())
    )
    if status is not None:
        query = query.where(col(CoachClient.consent) == status.value)
    async with db.read() as session:
        rows = await session.execute(query)
        return [ConsentItem(link, client) for link, client in rows]


async def my_coaches(db: Database, viewer: Viewer | None) -> list[CoachLink]:
    """The client's coaches, whatever the consent, by name: where the client's app finds the
    `coachId` that `setConsent` needs."""
    client = require_client(viewer)
    async with db.read() as session:
        rows = await session.execute(
            sa.select(CoachClient, User)
            .join(User, col(User.id) == col(CoachClient.coach_id))
            .where(col(CoachClient.client_id) == client.id)
            .order_by(*BY_NAME.order_by())
        )
        return [CoachLink(link, coach) for link, coach in rows]


async def set_consent(
    db: Database, viewer: Viewer | None, coach_id: int, status: ConsentStatus
) -> ConsentItem:
    """A client grants, declines or resets their consent for one linked coach. The time of the
    change moves only when the status does (setting the same status again changes nothing).
    Withdrawing it resolves the coach's alerts about the client at once."""
    client = require_client(viewer)
    async with db.transaction() as session:
        link = await session.scalar(
            sa.select(CoachClient).where(
                col(CoachClient.coach_id) == coach_id, col(CoachClient.client_id) == client.id
            )
        )
        if link is None:
            raise NotFound.of("coach", coach_id)
        if link.consent != status.value:
            previous = link.consent
            link.consent = status.value
            link.consent_updated_at = clock.now()
            session.add(link)
            # Alerts react in this transaction (withdrawn: the coach's alerts about them end).
            events.record(session, ConsentChanged(coach_id, client.id, previous, status.value))
        user = await session.get(User, client.id)
        assert user is not None
    return ConsentItem(link, user)


async def link_client(session: AsyncSession, coach_id: int, client_id: int) -> None:
    """Inside a write: the client becomes the coach's (consent PENDING) unless linked already
    (a client booking a coach's page, a client added with their coach's e-mail)."""
    if await session.scalar(linked(coach_id, client_id)) is None:
        session.add(
            CoachClient(coach_id=coach_id, client_id=client_id, consent=ConsentStatus.PENDING)
        )


async def delete_client(db: Database, viewer: Viewer | None, client_id: int) -> bool:
    """A coach removes a client from their practice: the link and the homework this coach
    assigned go; the client's account and what they share with other coaches stay.

    Any linked client may be removed, whatever their consent (the coach sees them all on the
    Consent Status page); a client not linked to this coach is NOT_FOUND.
    """
    coach = require_coach(viewer)
    async with db.transaction() as session:
        # Locked: a booking with this client in flight finishes first (its session is then
        # cancelled below like the others), or sees the client gone (NOT_FOUND).
        link = await lock_scheduled_link(session, coach.id, client_id)
        # Homework, sessions and alerts react in this transaction (the homework this coach
        # assigned goes; upcoming sessions are cancelled, past ones keep their notes, linked to
        # no one; the coach's alerts about them end).
        events.record(session, ClientRemoved(coach.id, client_id))
        await session.delete(link)
    return True
