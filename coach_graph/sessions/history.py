"""Session histories: the filters and sorts of a history list, its keyset pages, and the
per-client pages a list of clients batches into one statement."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import col

from coach_graph import clock
from coach_graph.auth import Viewer, require_viewer
from coach_graph.db import Database
from coach_graph.pagination import Cursors, Keyset, Page, SortKey, page_size
from coach_graph.sessions.access import viewer_scope
from coach_graph.sessions.models import CoachingSession, SessionStatus
from coach_graph.sessions.status import STATUS_ORDER


class When(enum.StrEnum):
    ALL = "ALL"
    UPCOMING = "UPCOMING"
    PAST = "PAST"


class Sort(enum.StrEnum):
    NEWEST_FIRST = "NEWEST_FIRST"
    OLDEST_FIRST = "OLDEST_FIRST"
    STATUS = "STATUS"


@dataclass(frozen=True)
class SessionQuery:
    """The filters of a history list."""

    when: When = When.ALL
    statuses: tuple[SessionStatus, ...] | None = None
    service_ids: tuple[int, ...] | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    client_id: int | None = None


def _conditions(q: SessionQuery, now: datetime) -> list[sa.ColumnElement[bool]]:
    conds: list[sa.ColumnElement[bool]] = []
    if q.when == When.UPCOMING:
        conds.append(col(CoachingSession.starts_at) >= now)
    elif q.when == When.PAST:
        conds.append(col(CoachingSession.starts_at) < now)
    if q.statuses is not None:
        conds.append(col(CoachingSession.status).in_([s.value for s in q.statuses]))
    if q.service_ids is not None:
        conds.append(col(CoachingSession.service_id).in_(q.service_ids))
    if q.starts_from is not None:
        conds.append(col(CoachingSession.starts_at) >= q.starts_from)
    if q.starts_to is not None:
        conds.append(col(CoachingSession.starts_at) < q.starts_to)
    if q.client_id is not None:
        conds.append(col(CoachingSession.client_id) == q.client_id)
    return conds


def _status_rank() -> sa.ColumnElement[int]:
    return sa.case(
        *((col(CoachingSession.status) == s.value, i) for s, i in STATUS_ORDER.items()),
        else_=len(STATUS_ORDER),
    )


def keyset(sort: Sort) -> Keyset:
    """The order of a history: by start (newest or oldest first) or by status, the id last."""
    starts, ident = col(CoachingSession.starts_at), col(CoachingSession.id)
    if sort == Sort.OLDEST_FIRST:
        return Keyset(SortKey(starts, True, datetime), SortKey(ident, True, int))
    if sort == Sort.STATUS:
        return Keyset(
            SortKey(_status_rank(), True, int),
            SortKey(starts, False, datetime),
            SortKey(ident, False, int),
        )
    return Keyset(SortKey(starts, False, datetime), SortKey(ident, False, int))


def _key(sort: Sort, s: CoachingSession) -> tuple[Any, ...]:
    if sort == Sort.STATUS:
        return (STATUS_ORDER[SessionStatus(s.status)], s.starts_at, s.id)
    return (s.starts_at, s.id)


def cursor_key(sort: Sort, after: str | None, cursors: Cursors) -> tuple[Any, ...] | None:
    """The sort key inside an `after` cursor (BAD_USER_INPUT when it is not one of ours)."""
    return keyset(sort).decode(after, cursors=cursors)


async def list_sessions(
    db: Database,
    viewer: Viewer | None,
    q: SessionQuery,
    sort: Sort,
    first: int | None,
    after: str | None,
) -> Page[CoachingSession]:
    """One page of the viewer's sessions, filtered and sorted, with a keyset cursor: one
    statement for the page, one for the total."""
    viewer = require_viewer(viewer)
    size = page_size(first, 50)
    conds = _conditions(q, clock.now())
    conds.append(viewer_scope(viewer))
    page_query = keyset(sort).select(
        sa.select(CoachingSession).where(*conds), after, size, cursors=db.cursors
    )
    async with db.session() as session:
        rows = list((await session.scalars(page_query)).all())

    async def count() -> int:
        async with db.session() as session:
            total = await session.scalar(
                sa.select(sa.func.count()).select_from(CoachingSession).where(*conds)
            )
        return int(total or 0)

    return Keyset.page(rows, size, key=lambda s: _key(sort, s), count=count, cursors=db.cursors)


@dataclass(frozen=True, slots=True)
class ClientSessions:
    """One client's history page as a DataLoader key. Clients asked with the same filters, sort,
    size and cursor share one statement (ranked per client), so a list of clients with their
    sessions does not run a query per client. `coach_id` is the viewing coach (their sessions
    with the client only); None when the client looks at their own."""

    client_id: int
    coach_id: int | None
    query: SessionQuery
    sort: Sort
    size: int
    after: tuple[Any, ...] | None

    @property
    def count_key(self) -> tuple[int, int | None, SessionQuery]:
        return (self.client_id, self.coach_id, self.query)

    def page(
        self, rows: list[CoachingSession], count: Callable[[], Awaitable[int]], cursors: Cursors
    ) -> Page[CoachingSession]:
        return Keyset.page(
            rows, self.size, key=lambda s: _key(self.sort, s), count=count, cursors=cursors
        )


def _client_conditions(
    coach_id: int | None, query: SessionQuery, client_ids: list[int]
) -> list[sa.ColumnElement[bool]]:
    # The clients were checked visible already: the coach's own sessions with them suffice,
    # without the consent subquery of the general scope.
    conds = _conditions(query, clock.now())
    conds.append(col(CoachingSession.client_id).in_(client_ids))
    if coach_id is not None:
        conds.append(col(CoachingSession.coach_id) == coach_id)
    return conds


async def client_session_pages(
    db: Database, keys: list[ClientSessions]
) -> list[list[CoachingSession]]:
    """Batch: each key's page rows (one more than its size, to tell whether more follow)."""
    groups: dict[tuple[Any, ...], list[ClientSessions]] = defaultdict(list)
    for k in keys:
        groups[(k.coach_id, k.query, k.sort, k.size, k.after)].append(k)
    found: dict[ClientSessions, list[CoachingSession]] = {}
    async with db.session() as session:
        for (coach_id, query, sort, size, after), members in groups.items():
            order = keyset(sort)
            conds = _client_conditions(coach_id, query, [k.client_id for k in members])
            if after is not None:
                conds.append(order.after(after))
            ordering = order.order_by()
            if len(members) == 1:  # one client: an ordered LIMIT walks the index and stops
                result = await session.scalars(
                    sa.select(CoachingSession).where(*conds).order_by(*ordering).limit(size + 1)
                )
            else:
                rank = sa.func.row_number().over(
                    partition_by=col(CoachingSession.client_id), order_by=ordering
                )
                ranked = sa.select(CoachingSession, rank.label("rank")).where(*conds).subquery()
                row = aliased(CoachingSession, ranked)
                result = await session.scalars(
                    sa.select(row)
                    .where(ranked.c.rank <= size + 1)
                    .order_by(ranked.c.client_id, ranked.c.rank)
                )
            by_client: dict[int | None, list[CoachingSession]] = defaultdict(list)
            for s in result:
                by_client[s.client_id].append(s)
            for k in members:
                found[k] = by_client.get(k.client_id, [])
    return [found[k] for k in keys]


async def client_session_counts(
    db: Database, keys: list[tuple[int, int | None, SessionQuery]]
) -> list[int]:
    """Batch: how many sessions each (client, viewing coach, filters) holds in all."""
    groups: dict[tuple[int | None, SessionQuery], list[int]] = defaultdict(list)
    for client_id, coach_id, query in keys:
        groups[(coach_id, query)].append(client_id)
    found: dict[tuple[int, int | None, SessionQuery], int] = {}
    async with db.session() as session:
        for (coach_id, query), client_ids in groups.items():
            conds = _client_conditions(coach_id, query, client_ids)
            if len(client_ids) == 1:
                # One client: a plain count walks the (client, coach, start) index; grouped,
                # SQLite picks the (coach, status, start) index and reads all the coach's rows.
                n = await session.scalar(sa.select(sa.func.count()).where(*conds))
                counts: dict[int | None, int] = {client_ids[0]: int(n or 0)}
            else:
                rows = await session.execute(
                    sa.select(col(CoachingSession.client_id), sa.func.count())
                    .where(*conds)
                    .group_by(col(CoachingSession.client_id))
                )
                counts = {client_id: int(n) for client_id, n in rows.all()}
            for client_id in client_ids:
                found[(client_id, coach_id, query)] = counts.get(client_id, 0)
    return [found[k] for k in keys]
