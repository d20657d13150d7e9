"""The activity timeline: journal entries, lesson completions, lesson assignments and survey
submissions of a client, merged into one reverse-chronological list with keyset cursors.

The four sources are one `UNION ALL` ranked per client with `ROW_NUMBER()`, so any number of
clients' pages come from one statement (SQLite and PostgreSQL alike). Journal entries are read
straight from their table. A coach sees only the homework they assigned; journal entries and
survey submissions belong to the client and every coach with consent sees them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.clock import as_utc
from coach_graph.db import Database
from coach_graph.errors import BadUserInput
from coach_graph.fields import UtcDateTime
from coach_graph.homework.models import Homework, Lesson, Module
from coach_graph.journals.models import JournalEntry
from coach_graph.loaders import Loaders
from coach_graph.pagination import Cursors, Keyset, Page, SortKey, page_size
from coach_graph.prepared import Read, Row, rows
from coach_graph.surveys.models import Survey, SurveySubmission

DEFAULT_PAGE = 50
SNIPPET = 80  # characters of a journal entry shown when it has no analysis summary yet


class TimelineKind(StrEnum):
    JOURNAL_ENTRY = "JOURNAL_ENTRY"
    LESSON_COMPLETED = "LESSON_COMPLETED"
    LESSON_ASSIGNED = "LESSON_ASSIGNED"
    SURVEY_SUBMITTED = "SURVEY_SUBMITTED"


# Ties on the same instant sort by kind (a completion above the assignment it completes), then
# by the subject's id, newest first: the order is total, so cursors never skip or repeat.
_RANK = {
    TimelineKind.JOURNAL_ENTRY: 4,
    TimelineKind.SURVEY_SUBMITTED: 3,
    TimelineKind.LESSON_COMPLETED: 2,
    TimelineKind.LESSON_ASSIGNED: 1,
}
_KIND_BY_RANK = {rank: kind for kind, rank in _RANK.items()}
# The order of the merged rows (columns of the `timeline` subquery) and of their cursors.
TIMELINE_ORDER = Keyset(
    SortKey(sa.column("occurred_at", UtcDateTime), ascending=False, kind=datetime),
    SortKey(sa.column("rank", sa.Integer), ascending=False, kind=int),
    SortKey(sa.column("subject_id", sa.Integer), ascending=False, kind=int),
)
_ID_PREFIX = {
    TimelineKind.JOURNAL_ENTRY: "journal",
    TimelineKind.SURVEY_SUBMITTED: "survey",
    TimelineKind.LESSON_COMPLETED: "completed",
    TimelineKind.LESSON_ASSIGNED: "assigned",
}


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One thing that happened, and the object it stands for."""

    kind: TimelineKind
    title: str
    description: str | None
    occurred_at: datetime
    subject_id: int

    @property
    def id(self) -> str:
        """Unique across kinds (an assignment and its completion share their subject)."""
        return f"{_ID_PREFIX[self.kind]}-{self.subject_id}"

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        return (self.occurred_at, _RANK[self.kind], self.subject_id)


@dataclass(frozen=True, slots=True)
class TimelineRequest:
    """One page asked for: whose timeline (viewing coach or None, client), size, and the sort
    key of the last item already seen."""

    coach_id: int | None
    client_id: int
    size: int
    after: tuple[Any, ...] | None


def timeline_request(
    coach_id: int | None, client_id: int, first: int | None, after: str | None, cursors: Cursors
) -> TimelineRequest:
    """Check `first` (1 to 100) and the cursor; BAD_USER_INPUT when either is wrong."""
    size = page_size(first, DEFAULT_PAGE)
    key = TIMELINE_ORDER.decode(after, cursors=cursors)
    if key is None:
        return TimelineRequest(coach_id, client_id, size, None)
    at, rank, subject = key
    if rank not in _KIND_BY_RANK:
        raise BadUserInput("That `after` cursor is not valid here.")
    return TimelineRequest(coach_id, client_id, size, (as_utc(at), rank, subject))


async def timeline_page(
    loaders: Loaders, coach_id: int | None, client_id: int, first: int | None, after: str | None
) -> Page[TimelineItem]:
    """A page of the client's timeline as the viewing coach (or the client, None) sees it,
    newest first, read through the request's loaders (one statement for a page of clients)."""
    cursors = loaders.db.cursors
    request = timeline_request(coach_id, client_id, first, after, cursors)
    rows = await loaders(timeline_pages).load(request)

    async def count() -> int:
        return await loaders(timeline_counts).load((coach_id, client_id))

    return Keyset.page(rows, request.size, key=lambda i: i.sort_key, count=count, cursors=cursors)


def _sources(coach_id: Any, client_ids: Any) -> sa.Subquery:
    """Every timeline row of these clients (a list, or an expanding parameter): client, time,
    rank, subject, label, detail; only the homework `coach_id` assigned unless it is None."""

    def columns(
        client: Any, at: Any, kind: TimelineKind, subject: Any, label: Any, detail: Any
    ) -> list[Any]:
        # type_coerce, not CAST: SQLite would give a CAST to DATETIME numeric affinity.
        # Constants are inlined so PostgreSQL never has to guess a parameter's type in a UNION.
        return [
            client.label("client_id"),
            sa.type_coerce(at, UtcDateTime).label("occurred_at"),
            sa.literal_column(str(_RANK[kind]), sa.Integer).label("rank"),
            subject.label("subject_id"),
            sa.cast(label, sa.Text).label("label"),
            sa.cast(detail, sa.Text).label("detail"),
        ]

    scope = sa.true() if coach_id is None else col(Homework.coach_id) == coach_id
    journal = sa.select(
        *columns(
            col(JournalEntry.client_id),
            col(JournalEntry.created_at),
            TimelineKind.JOURNAL_ENTRY,
            col(JournalEntry.id),
            sa.null(),
            sa.func.coalesce(
                col(JournalEntry.summary), sa.func.substr(col(JournalEntry.content), 1, SNIPPET)
            ),
        )
    ).where(col(JournalEntry.client_id).in_(client_ids))

    def homework(kind: TimelineKind, at: Any) -> sa.Select[Any]:
        return (
            sa.select(
                *columns(
                    col(Homework.client_id),
                    at,
                    kind,
                    col(Homework.id),
                    col(Lesson.title),
                    col(Module.title),
                )
            )
            .join(Lesson, col(Lesson.id) == col(Homework.lesson_id))
            .join(Module, col(Module.id) == col(Lesson.module_id))
            .where(col(Homework.client_id).in_(client_ids), scope, at.is_not(None))
        )

    surveys = (
        sa.select(
            *columns(
                col(SurveySubmission.client_id),
                col(SurveySubmission.submitted_at),
                TimelineKind.SURVEY_SUBMITTED,
                col(SurveySubmission.id),
                col(Survey.name),
                sa.null(),
            )
        )
        .join(Survey, col(Survey.id) == col(SurveySubmission.survey_id))
        .where(col(SurveySubmission.client_id).in_(client_ids))
    )
    return sa.union_all(
        journal,
        homework(TimelineKind.LESSON_COMPLETED, col(Homework.completed_at)),
        homework(TimelineKind.LESSON_ASSIGNED, col(Homework.assigned_at)),
        surveys,
    ).subquery("timeline")


def _item(
    rank: int, at: datetime, subject: int, label: str | None, detail: str | None
) -> TimelineItem:
    kind = _KIND_BY_RANK[rank]
    if kind is TimelineKind.JOURNAL_ENTRY:
        title, description = "Journal entry", detail
    elif kind is TimelineKind.SURVEY_SUBMITTED:
        title, description = f"Survey submitted: {label}", None
    elif kind is TimelineKind.LESSON_COMPLETED:
        title, description = f"Lesson completed: {label}", f"Module: {detail}"
    else:
        title, description = f"Lesson assigned: {label}", f"Module: {detail}"
    return TimelineItem(kind, title, description or None, as_utc(at), subject)


def _rounds(requests: Sequence[TimelineRequest]) -> list[list[TimelineRequest]]:
    """Split requests so no statement holds the same (scope, client) twice (two aliases of one
    client's timeline with different cursors), since rows are ranked per client."""
    rounds: list[list[TimelineRequest]] = []
    for request in requests:
        for batch in rounds:
            if all(
                (r.coach_id, r.client_id) != (request.coach_id, request.client_id)
                and r.coach_id == request.coach_id
                for r in batch
            ):
                batch.append(request)
                break
        else:
            rounds.append([request])
    return rounds


_CLIENTS: sa.BindParameter[Any] = sa.bindparam("client_ids", expanding=True)
_COACH: sa.BindParameter[Any] = sa.bindparam("coach_id")


def _page_statement(coach_id: Any, client_ids: Any, after: Any, within: Any) -> sa.Select[Any]:
    """The merged rows of these clients after `after`, numbered per client, kept `within`."""
    t = _sources(coach_id, client_ids)
    position = sa.func.row_number().over(
        partition_by=t.c.client_id, order_by=TIMELINE_ORDER.order_by()
    )
    ranked = sa.select(t, position.label("position")).where(after).subquery()
    return sa.select(ranked).where(within(ranked)).order_by(ranked.c.client_id, ranked.c.position)


def _prepared_page(by_coach: bool, after: bool) -> Read[Row]:
    """Pages of one size for clients without a cursor, or one client's page after a cursor."""
    return rows(
        _page_statement(
            _COACH if by_coach else None,
            _CLIENTS,
            TIMELINE_ORDER.after_bound() if after else sa.true(),
            lambda ranked: ranked.c.position <= sa.bindparam("rows"),
        )
    )


_PAGES = {(c, a): _prepared_page(c, a) for c in (False, True) for a in (False, True)}


def _mixed_page(batch: list[TimelineRequest]) -> sa.Select[Any]:
    """Clients with cursors or sizes of their own, in one statement built for them."""
    after = [
        sa.and_(
            sa.column("client_id") == r.client_id,
            sa.true() if r.after is None else TIMELINE_ORDER.after(r.after),
        )
        for r in batch
    ]
    return _page_statement(
        batch[0].coach_id,
        [r.client_id for r in batch],
        sa.or_(*after),
        lambda ranked: sa.or_(
            *(
                sa.and_(ranked.c.client_id == r.client_id, ranked.c.position <= r.size + 1)
                for r in batch
            )
        ),
    )


async def _batch_rows(db: Database, batch: list[TimelineRequest]) -> Sequence[Row]:
    first = batch[0]
    by_coach = first.coach_id is not None
    params: dict[str, Any] = {"coach_id": first.coach_id} if by_coach else {}
    if all(r.after is None and r.size == first.size for r in batch):
        ids = [r.client_id for r in batch]
        return await _PAGES[(by_coach, False)].all(
            db, client_ids=ids, rows=first.size + 1, **params
        )
    if len(batch) == 1 and first.after is not None:
        return await _PAGES[(by_coach, True)].all(
            db,
            client_ids=[first.client_id],
            rows=first.size + 1,
            **params,
            **Keyset.bound(first.after),
        )
    async with db.connection() as conn:
        return list((await conn.execute(_mixed_page(batch))).all())


async def timeline_pages(db: Database, requests: list[TimelineRequest]) -> list[list[TimelineItem]]:
    """Batch: each requested timeline's items after its cursor, newest first, one more than its
    page (the extra one says a next page exists)."""
    found: dict[TimelineRequest, list[TimelineItem]] = {}
    for batch in _rounds(requests):
        items: dict[int, list[TimelineItem]] = defaultdict(list)
        for client_id, at, rank, subject_id, label, detail, _ in await _batch_rows(db, batch):
            items[client_id].append(_item(rank, at, subject_id, label, detail))
        for request in batch:
            found[request] = items.get(request.client_id, [])
    return [found[r] for r in requests]


def _counts(by_coach: bool) -> Read[Row]:
    t = _sources(_COACH if by_coach else None, _CLIENTS)
    return rows(sa.select(t.c.client_id, sa.func.count()).group_by(t.c.client_id))


_COUNTS = {c: _counts(c) for c in (False, True)}


async def timeline_counts(db: Database, keys: list[tuple[int | None, int]]) -> list[int]:
    """Batch: how many items each client's whole timeline holds."""
    counts: dict[tuple[int | None, int], int] = {}
    scopes: dict[int | None, list[int]] = defaultdict(list)
    for coach_id, client_id in keys:
        scopes[coach_id].append(client_id)
    for coach_id, client_ids in scopes.items():
        params: dict[str, Any] = {} if coach_id is None else {"coach_id": coach_id}
        for client_id, n in await _COUNTS[coach_id is not None].all(
            db, client_ids=client_ids, **params
        ):
            counts[(coach_id, client_id)] = int(n)
    return [counts.get(k, 0) for k in keys]
