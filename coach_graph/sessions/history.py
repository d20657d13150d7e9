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
from sqlmodel import col

from coach_graph import clock
from coach_graph.auth import Viewer, require_viewer
from coach_graph.db import Database
from coach_graph.pagination import Cursors, Keyset, Page, SortKey, page_size
from coach_graph.prepared import Read, Row, records, rows, table
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


_sessions = table(CoachingSession)


def _status_rank() -> sa.ColumnElement[int]:
    return sa.case(
        *((_sessions.c.status == s.value, i) for s, i in STATUS_ORDER.items()),
        else_=len(STATUS_ORDER),
    )


def _keyset(sort: Sort) -> Keyset:
    starts, ident = _sessions.c.starts_at, _sessions.c.id
    if sort == Sort.OLDEST_FIRST:
        return Keyset(SortKey(starts, True, datetime), SortKey(ident, True, int))
    if sort == Sort.STATUS:
        return Keyset(
            SortKey(_status_rank(), True, int),
            SortKey(starts, False, datetime),
            SortKey(ident, False, int),
        )
    return Keyset(SortKey(starts, False, datetime), SortKey(ident, False, int))


_KEYSETS = {sort: _keyset(sort) for sort in Sort}


def keyset(sort: Sort) -> Keyset:
    """The order of a history: by start (newest or oldest first) or by status, the id last."""
    return _KEYSETS[sort]


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
    async with db.read() as session:
        rows = list((await session.scalars(page_query)).all())

    async def count() -> int:
        async with db.read() as session:
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


# The per-client reads are prepared once per shape: which filters are set, the order, whether
# after a cursor, one client or several. The filters' values are bound parameters.
_Shape = tuple[bool, When, bool, bool, bool, bool]


def _shape(coach_id: int | None, q: SessionQuery) -> _Shape:
    return (
        coach_id is not None,
        q.when,
        q.statuses is not None,
        q.service_ids is not None,
        q.starts_from is not None,
        q.starts_to is not None,
    )


def _bound_conditions(shape: _Shape) -> list[sa.ColumnElement[bool]]:
    """`_conditions` of one shape with bound parameters, for the clients `client_ids` (checked
    visible already: the coach's own sessions with them suffice, without the consent subquery
    of the general scope)."""
    by_coach, when, statuses, services, starts_from, starts_to = shape
    c = _sessions.c
    conds: list[sa.ColumnElement[bool]] = [
        c.client_id.in_(sa.bindparam("client_ids", expanding=True))
    ]
    if by_coach:
        conds.append(c.coach_id == sa.bindparam("coach_id"))
    if when == When.UPCOMING:
        conds.append(c.starts_at >= sa.bindparam("now", type_=c.starts_at.type))
    elif when == When.PAST:
        conds.append(c.starts_at < sa.bindparam("now", type_=c.starts_at.type))
    if statuses:
        # `status || ''` keeps the (coach, status, start) index out of these client-scoped reads.
        # Without statistics SQLite weighs it against (client, coach, start) as an equal and
        # picks by the order the indexes were created in, which batch migrations leave random:
        # one database in eight counted a client's history over every session of the coach.
        unindexed = c.status.op("||")(sa.literal_column("''"))
        conds.append(unindexed.in_(sa.bindparam("statuses", expanding=True)))
    if services:
        conds.append(c.service_id.in_(sa.bindparam("service_ids", expanding=True)))
    if starts_from:
        conds.append(c.starts_at >= sa.bindparam("starts_from", type_=c.starts_at.type))
    if starts_to:
        conds.append(c.starts_at < sa.bindparam("starts_to", type_=c.starts_at.type))
    return conds


def _bound_values(coach_id: int | None, q: SessionQuery, client_ids: list[int]) -> dict[str, Any]:
    values: dict[str, Any] = {"client_ids": client_ids, "coach_id": coach_id, "now": clock.now()}
    if q.statuses is not None:
        values["statuses"] = [s.value for s in q.statuses]
    if q.service_ids is not None:
        values["service_ids"] = list(q.service_ids)
    values["starts_from"], values["starts_to"] = q.starts_from, q.starts_to
    return values


_PAGE_READS: dict[tuple[_Shape, Sort, bool, bool], Read[CoachingSession]] = {}
_COUNT_READS: dict[tuple[_Shape, bool], Read[Row]] = {}


def _page_read(shape: _Shape, sort: Sort, after: bool, many: bool) -> Read[CoachingSession]:
    read = _PAGE_READS.get((shape, sort, after, many))
    if read is not None:
        return read
    order = keyset(sort)
    conds = _bound_conditions(shape) + ([order.after_bound()] if after else [])
    rows_wanted: sa.BindParameter[int] = sa.bindparam("rows")
    if not many:  # one client: an ordered LIMIT walks the index and stops
        query = sa.select(*_sessions.c).where(*conds).order_by(*order.order_by()).limit(rows_wanted)
    else:
        rank = sa.func.row_number().over(
            partition_by=_sessions.c.client_id, order_by=order.order_by()
        )
        ranked = sa.select(*_sessions.c, rank.label("rank")).where(*conds).subquery()
        query = (
            sa.select(*(ranked.c[c.key] for c in _sessions.c))
            .where(ranked.c.rank <= rows_wanted)
            .order_by(ranked.c.client_id, ranked.c.rank)
        )
    read = _PAGE_READS[(shape, sort, after, many)] = records(CoachingSession, query)
    return read


def _count_read(shape: _Shape, many: bool) -> Read[Row]:
    """(client id, count) per client; for one client, (count,) alone."""
    read = _COUNT_READS.get((shape, many))
    if read is None:
        c, conds = _sessions.c, _bound_conditions(shape)
        if many:
            query: sa.Select[Any] = sa.select(c.client_id, sa.func.count()).where(*conds)
            query = query.group_by(c.client_id)
        else:
            # One client: a plain count, no grouping to do.
            query = sa.select(sa.func.count()).where(*conds)
        read = _COUNT_READS[(shape, many)] = rows(query)
    return read


async def client_session_pages(
    db: Database, keys: list[ClientSessions]
) -> list[list[CoachingSession]]:
    """Batch: each key's page rows (one more than its size, to tell whether more follow)."""
    groups: dict[tuple[Any, ...], list[ClientSessions]] = defaultdict(list)
    for k in keys:
        groups[(k.coach_id, k.query, k.sort, k.size, k.after)].append(k)
    found: dict[ClientSessions, list[CoachingSession]] = {}
    for (coach_id, query, sort, size, after), members in groups.items():
        read = _page_read(_shape(coach_id, query), sort, after is not None, len(members) > 1)
        values = _bound_values(coach_id, query, [k.client_id for k in members])
        if after is not None:
            values.update(Keyset.bound(after))
        by_client: dict[int | None, list[CoachingSession]] = defaultdict(list)
        for s in await read.all(db, rows=size + 1, **values):
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
    for (coach_id, query), client_ids in groups.items():
        read = _count_read(_shape(coach_id, query), len(client_ids) > 1)
        found_rows = await read.all(db, **_bound_values(coach_id, query, client_ids))
        counts: dict[int | None, int] = (
            {client_id: int(n) for client_id, n in found_rows}
            if len(client_ids) > 1
            else {client_ids[0]: int(found_rows[0][0] or 0)}
        )
        for client_id in client_ids:
            found[(client_id, coach_id, query)] = counts.get(client_id, 0)
    return [found[k] for k in keys]
