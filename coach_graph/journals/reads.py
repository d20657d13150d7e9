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


async def entry_pages(db: Database, keys: list[EntryPageKey]) -> list[list[JournalEntry]]:
    """Each key's page of entries (up to size + 1 rows, newest first)."""
    groups: dict[tuple[int, tuple[Any, ...] | None], list[int]] = defaultdict(list)
    for k in keys:
        groups[(k.size, k.after)].append(k.client_id)
    found: dict[EntryPageKey, list[JournalEntry]] = {}
    async with db.session() as session:
        for (size, after), client_ids in groups.items():
            where: list[sa.ColumnElement[bool]] = [col(JournalEntry.client_id).in_(client_ids)]
            if after is not None:
                where.append(ENTRY_ORDER.after(after))
            rank = (
                sa.func.row_number()
                .over(partition_by=col(JournalEntry.client_id), order_by=ENTRY_ORDER.order_by())
                .label("rank")
            )
            ranked = sa.select(col(JournalEntry.id), rank).where(*where).subquery()
            rows = await session.scalars(
                sa.select(JournalEntry)
                .join(ranked, ranked.c.id == col(JournalEntry.id))
                .where(ranked.c.rank <= size + 1)
                .order_by(*ENTRY_ORDER.order_by())
            )
            by_client: dict[int, list[JournalEntry]] = defaultdict(list)
            for entry in rows:
                by_client[entry.client_id].append(entry)
            for cid in client_ids:
                found[EntryPageKey(cid, size, after)] = by_client.get(cid, [])
    return by_key(keys, found, [])


async def entry_counts(db: Database, client_ids: list[int]) -> list[int]:
    """How many entries each client has written."""
    async with db.session() as session:
        rows = await session.execute(
            sa.select(col(JournalEntry.client_id), sa.func.count())
            .where(col(JournalEntry.client_id).in_(client_ids))
            .group_by(col(JournalEntry.client_id))
        )
        found = {cid: int(n) for cid, n in rows.all()}
    return by_key(client_ids, found, 0)


async def last_journal_at(db: Database, client_ids: list[int]) -> list[datetime | None]:
    """When each client last wrote an entry (None: never)."""
    async with db.session() as session:
        rows = await session.execute(
            sa.select(col(JournalEntry.client_id), sa.func.max(col(JournalEntry.created_at)))
            .where(col(JournalEntry.client_id).in_(client_ids))
            .group_by(col(JournalEntry.client_id))
        )
        found: dict[int, datetime | None] = {
            cid: _aware(at) for cid, at in rows.all() if at is not None
        }
    return by_key(client_ids, found, None)


def _aware(value: datetime | str) -> datetime:
    """MAX() over a SQLite column may come back as a string; normalise it to aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value)


async def summaries_of(db: Database, client_ids: list[int]) -> list[list[JournalSummary]]:
    """Each client's summaries, newest first."""
    async with db.session() as session:
        rows = await session.scalars(
            sa.select(JournalSummary)
            .where(col(JournalSummary.client_id).in_(client_ids))
            .order_by(col(JournalSummary.period_end).desc(), col(JournalSummary.id).desc())
        )
        found: dict[int, list[JournalSummary]] = defaultdict(list)
        for summary in rows:
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
    async with db.session() as session:
        rows = await session.execute(
            sa.select(col(JournalEntry.client_id), sa.func.count())
            .where(col(JournalEntry.client_id).in_(client_ids), uncovered_condition())
            .group_by(col(JournalEntry.client_id))
        )
        found = {cid: int(n) for cid, n in rows.all()}
    return by_key(client_ids, found, 0)


_SCORE_COLUMNS = (
    col(JournalEntry.client_id),
    col(JournalEntry.created_at),
    col(JournalEntry.sentiment_score),
    *(getattr(JournalEntry, e) for e in EMOTIONS),
)


def _emotion_row(row: sa.Row[Any]) -> EmotionRow:
    values = tuple(row)
    client_id, created_at, sentiment_score = values[:3]
    return EmotionRow(
        client_id=int(client_id),
        created_at=created_at,
        sentiment_score=float(sentiment_score or 0.0),
        scores={e: float(s or 0.0) for e, s in zip(EMOTIONS, values[3:], strict=True)},
    )


async def recent_emotions(db: Database, keys: list[RecentKey]) -> list[list[EmotionRow]]:
    """Each client's last `last` analysed entries' scores, oldest first."""
    groups: dict[int, list[int]] = defaultdict(list)
    for k in keys:
        groups[k.last].append(k.client_id)
    found: dict[RecentKey, list[EmotionRow]] = {}
    async with db.session() as session:
        for last, client_ids in groups.items():
            rank = (
                sa.func.row_number()
                .over(partition_by=col(JournalEntry.client_id), order_by=ENTRY_ORDER.order_by())
                .label("rank")
            )
            ranked = (
                sa.select(col(JournalEntry.id), rank)
                .where(
                    col(JournalEntry.client_id).in_(client_ids),
                    col(JournalEntry.analysis_status) == AnalysisStatus.ANALYSED,
                )
                .subquery()
            )
            rows = await session.execute(
                sa.select(*_SCORE_COLUMNS)
                .join(ranked, ranked.c.id == col(JournalEntry.id))
                .where(ranked.c.rank <= last)
                .order_by(col(JournalEntry.created_at), col(JournalEntry.id))
            )
            by_client: dict[int, list[EmotionRow]] = defaultdict(list)
            for row in rows.all():
                point = _emotion_row(row)
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
    async with db.session() as session:
        for since, client_ids in groups.items():
            rows = await session.execute(
                sa.select(*_SCORE_COLUMNS)
                .where(
                    col(JournalEntry.client_id).in_(client_ids),
                    col(JournalEntry.analysis_status) == AnalysisStatus.ANALYSED,
                    col(JournalEntry.created_at) >= since,
                )
                .order_by(col(JournalEntry.created_at), col(JournalEntry.id))
            )
            by_client: dict[int, list[EmotionRow]] = defaultdict(list)
            for row in rows.all():
                point = _emotion_row(row)
                by_client[point.client_id].append(point)
            for cid in client_ids:
                found[SinceKey(cid, since)] = by_client.get(cid, [])
    return by_key(keys, found, [])
