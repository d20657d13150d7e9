"""Set-based reads of journals for many clients at once: the DataLoader batch functions.

Each function answers a whole batch of keys with one statement (or one per distinct argument
set, e.g. one per `(first, after)` pair), so a page of clients costs the same number of
statements whether it holds 10 clients or 100.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.clients.access import clients_in
from coach_graph.clock import as_utc
from coach_graph.db import Database
from coach_graph.journals.insight.protocol import EntryAnalysis
from coach_graph.journals.models import (
    EMOTIONS,
    AnalysisStatus,
    JournalEntry,
    JournalSummary,
    Sentiment,
)
from coach_graph.loaders import by_key
from coach_graph.pagination import Keyset, SortKey
from coach_graph.prepared import Read, Row, entities, rows, table


@dataclass(frozen=True, slots=True)
class EntryPageKey:
    """One client's page of entries: newest first, `size + 1` rows after the cursor."""

    client_id: int
    size: int
    after: tuple[Any, ...] | None  # ENTRY_ORDER's key of the last entry seen


@dataclass(frozen=True, slots=True)
class EmotionRow:
    """An analysed entry's scores, without its text."""

    client_id: int
    created_at: datetime
    sentiment_score: float
    scores: dict[str, float]


@dataclass(frozen=True, slots=True)
class RecentKey:
    client_id: int
    last: int


@dataclass(frozen=True, slots=True)
class SinceKey:
    client_id: int
    since: datetime


def analysis_of(entry: JournalEntry) -> EntryAnalysis | None:
    """The stored analysis of an entry, or None until it is ANALYSED."""
    if entry.analysis_status != AnalysisStatus.ANALYSED or entry.sentiment is None:
        return None
    return EntryAnalysis(
        sentiment=Sentiment(entry.sentiment),
        sentiment_score=float(entry.sentiment_score or 0.0),
        summary=entry.summary or "",
        themes=tuple(entry.themes or ()) or ("reflection",),
        emotions={e: float(getattr(entry, e) or 0.0) for e in EMOTIONS},
    )


# A client's entries newest first: the order of their pages and of their cursors.
ENTRY_ORDER = Keyset(
    SortKey(col(JournalEntry.created_at), ascending=False, kind=datetime),
    SortKey(col(JournalEntry.id), ascending=False, kind=int),
)

# The statements below are prepared once (prepared.py); `client_ids` is an IN list.
_entries = table(JournalEntry)
_ORDER = Keyset(
    SortKey(_entries.c.created_at, ascending=False, kind=datetime),
    SortKey(_entries.c.id, ascending=False, kind=int),
)
_OF_CLIENTS = _entries.c.client_id.in_(sa.bindparam("client_ids", expanding=True))
_ANALYSED = _entries.c.analysis_status == AnalysisStatus.ANALYSED.value


def _entry_page(many: bool, after: bool) -> Read[JournalEntry]:
    """A page of entries: one client's walks its (client, created) index and stops; several
    clients' are ranked per client in one statement."""
    where = [_OF_CLIENTS, *((_ORDER.after_bound(),) if after else ())]
    if not many:
        query = sa.select(*_entries.c).where(*where).order_by(*_ORDER.order_by())
        return entities(JournalEntry, query.limit(sa.bindparam("rows")))
    rank = sa.func.row_number().over(partition_by=_entries.c.client_id, order_by=_ORDER.order_by())
    ranked = sa.select(_entries.c.id, rank.label("rank")).where(*where).subquery()
    query = (
        sa.select(*_entries.c)
        .join(ranked, ranked.c.id == _entries.c.id)
        .where(ranked.c.rank <= sa.bindparam("rows"))
        .order_by(*_ORDER.order_by())
    )
    return entities(JournalEntry, query)


_ENTRY_PAGES = {(m, a): _entry_page(m, a) for m in (False, True) for a in (False, True)}


async def entry_pages(db: Database, keys: list[EntryPageKey]) -> list[list[JournalEntry]]:
    """Each key's page of entries (up to size + 1 rows, newest first)."""
    groups: dict[tuple[int, tuple[Any, ...] | None], list[int]] = defaultdict(list)
    for k in keys:
        groups[(k.size, k.after)].append(k.client_id)
    found: dict[EntryPageKey, list[JournalEntry]] = {}
    for (size, after), client_ids in groups.items():
        read = _ENTRY_PAGES[(len(client_ids) > 1, after is not None)]
        resume = {} if after is None else Keyset.bound(after)
        by_client: dict[int, list[JournalEntry]] = defaultdict(list)
        for entry in await read.all(db, client_ids=client_ids, rows=size + 1, **resume):
            by_client[entry.client_id].append(entry)
        for cid in client_ids:
            found[EntryPageKey(cid, size, after)] = by_client.get(cid, [])
    return by_key(keys, found, [])


def _per_client(*where: sa.ColumnElement[bool]) -> Read[Row]:
    """(client id, entries) per client of `client_ids` that has any."""
    query = sa.select(_entries.c.client_id, sa.func.count()).where(_OF_CLIENTS, *where)
    return rows(query.group_by(_entries.c.client_id))


_ENTRY_COUNTS = _per_client()
# Each client's newest entry: one backward probe of the (client, created) index per client.
_clients = clients_in(sa.bindparam("client_ids", expanding=True))
_LAST_WRITTEN = rows(
    sa.select(
        _clients.c.id,
        sa.select(sa.func.max(_entries.c.created_at))
        .where(_entries.c.client_id == _clients.c.id)
        .scalar_subquery(),
    )
)
_UNCOVERED_COUNTS = _per_client(_ANALYSED, _entries.c.summary_id.is_(None))


async def entry_counts(db: Database, client_ids: list[int]) -> list[int]:
    """How many entries each client has written."""
    found = {cid: int(n) for cid, n in await _ENTRY_COUNTS.all(db, client_ids=client_ids)}
    return by_key(client_ids, found, 0)


async def last_journal_at(db: Database, client_ids: list[int]) -> list[datetime | None]:
    """When each client last wrote an entry (None: never)."""
    found: dict[int, datetime | None] = {
        cid: _aware(at)
        for cid, at in await _LAST_WRITTEN.all(db, client_ids=client_ids)
        if at is not None
    }
    return by_key(client_ids, found, None)


def _aware(value: datetime | str) -> datetime:
    """MAX() over a SQLite column may come back as a string; normalise it to aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value)


_summaries = table(JournalSummary)
_SUMMARIES = entities(
    JournalSummary,
    sa.select(*_summaries.c)
    .where(_summaries.c.client_id.in_(sa.bindparam("client_ids", expanding=True)))
    .order_by(_summaries.c.period_end.desc(), _summaries.c.id.desc()),
)


async def summaries_of(db: Database, client_ids: list[int]) -> list[list[JournalSummary]]:
    """Each client's summaries, newest first."""
    found: dict[int, list[JournalSummary]] = defaultdict(list)
    for summary in await _SUMMARIES.all(db, client_ids=client_ids):
        found[summary.client_id].append(summary)
    return by_key(client_ids, found, [])


def uncovered_condition() -> sa.ColumnElement[bool]:
    """Analysed entries that no summary covers yet."""
    return sa.and_(
        col(JournalEntry.analysis_status) == AnalysisStatus.ANALYSED,
        col(JournalEntry.summary_id).is_(None),
    )


async def uncovered_counts(db: Database, client_ids: list[int]) -> list[int]:
    """How many analysed entries of each client no summary covers yet."""
    found = {cid: int(n) for cid, n in await _UNCOVERED_COUNTS.all(db, client_ids=client_ids)}
    return by_key(client_ids, found, 0)


_SCORE_COLUMNS = (
    _entries.c.client_id,
    _entries.c.created_at,
    _entries.c.sentiment_score,
    *(_entries.c[e] for e in EMOTIONS),
)


def _emotion_row(values: Row) -> EmotionRow:
    client_id, created_at, sentiment_score = values[:3]
    return EmotionRow(
        client_id=int(client_id),
        created_at=created_at,
        sentiment_score=float(sentiment_score or 0.0),
        scores={e: float(s or 0.0) for e, s in zip(EMOTIONS, values[3:], strict=True)},
    )


_OLDEST_FIRST = (_entries.c.created_at, _entries.c.id)
_latest = sa.func.row_number().over(partition_by=_entries.c.client_id, order_by=_ORDER.order_by())
_ranked = sa.select(_entries.c.id, _latest.label("rank")).where(_OF_CLIENTS, _ANALYSED).subquery()
# Each client's last `last` analysed entries, oldest first.
_RECENT = Read(
    sa.select(*_SCORE_COLUMNS)
    .join(_ranked, _ranked.c.id == _entries.c.id)
    .where(_ranked.c.rank <= sa.bindparam("last"))
    .order_by(*_OLDEST_FIRST),
    _emotion_row,
)
# Each client's analysed entries written since a moment, oldest first.
_SINCE = Read(
    sa.select(*_SCORE_COLUMNS)
    .where(_OF_CLIENTS, _ANALYSED, _entries.c.created_at >= sa.bindparam("since"))
    .order_by(*_OLDEST_FIRST),
    _emotion_row,
)


async def recent_emotions(db: Database, keys: list[RecentKey]) -> list[list[EmotionRow]]:
    """Each client's last `last` analysed entries' scores, oldest first."""
    groups: dict[int, list[int]] = defaultdict(list)
    for k in keys:
        groups[k.last].append(k.client_id)
    found: dict[RecentKey, list[EmotionRow]] = {}
    for last, client_ids in groups.items():
        by_client: dict[int, list[EmotionRow]] = defaultdict(list)
        for point in await _RECENT.all(db, client_ids=client_ids, last=last):
            by_client[point.client_id].append(point)
        for cid in client_ids:
            found[RecentKey(cid, last)] = by_client.get(cid, [])
    return by_key(keys, found, [])


async def emotions_since(db: Database, keys: list[SinceKey]) -> list[list[EmotionRow]]:
    """Each client's analysed entries written since a moment, oldest first."""
    groups: dict[datetime, list[int]] = defaultdict(list)
    for k in keys:
        groups[k.since].append(k.client_id)
    found: dict[SinceKey, list[EmotionRow]] = {}
    for since, client_ids in groups.items():
        by_client: dict[int, list[EmotionRow]] = defaultdict(list)
        for point in await _SINCE.all(db, client_ids=client_ids, since=since):
            by_client[point.client_id].append(point)
        for cid in client_ids:
            found[SinceKey(cid, since)] = by_client.get(cid, [])
    return by_key(keys, found, [])
