"""Homework rules: assigning a lesson, completing it, the lesson search, and the batch reads
behind a client's Homework tab and My Clients badge.

A coach sees (and badges) only the homework they assigned; a client looking at themself sees
all of theirs. Per-client reads are keyed `(coach_id or None, client_id)` for DataLoaders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.alerts.models import AlertCategory
from coach_graph.alerts.store import resolve_for_subject
from coach_graph.auth import Viewer, require_client, require_coach
from coach_graph.clients.access import visible_client
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, NotFound
from coach_graph.homework.models import Homework, Lesson, Module
from coach_graph.loaders import by_key
from coach_graph.pagination import page_size
from coach_graph.search import contains, escape_like, normalise_search

# A key of a per-client read: the viewing coach (None: the client themself) and the client.
ClientKey = tuple[int | None, int]

MIN_EXPIRY_AHEAD = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class LessonItem:
    """A lesson with its module."""

    lesson: Lesson
    module: Module


@dataclass(frozen=True, slots=True)
class HomeworkItem:
    """An assignment with the lesson and module it stands for."""

    homework: Homework
    lesson: Lesson
    module: Module


def _scope(coach_id: int | None) -> sa.ColumnElement[bool]:
    """Only this coach's assignments; everything for a client looking at themself."""
    return sa.true() if coach_id is None else col(Homework.coach_id) == coach_id


def _by_scope(keys: Sequence[ClientKey]) -> dict[int | None, list[int]]:
    groups: dict[int | None, list[int]] = defaultdict(list)
    for coach_id, client_id in keys:
        groups[coach_id].append(client_id)
    return groups


def _with_lesson() -> sa.Select[Homework, Lesson, Module]:
    return (
        sa.select(Homework, Lesson, Module)
        .join(Lesson, col(Lesson.id) == col(Homework.lesson_id))
        .join(Module, col(Module.id) == col(Lesson.module_id))
    )


async def client_homework(db: Database, keys: list[ClientKey]) -> list[list[HomeworkItem]]:
    """Batch: every assignment of each client in scope, newest first."""
    found: dict[ClientKey, list[HomeworkItem]] = defaultdict(list)
    async with db.session() as session:
        for coach_id, client_ids in _by_scope(keys).items():
            rows = await session.execute(
                _with_lesson()
                .where(col(Homework.client_id).in_(client_ids), _scope(coach_id))
                .order_by(col(Homework.assigned_at).desc(), col(Homework.id).desc())
            )
            for homework, lesson, module in rows:
                found[(coach_id, homework.client_id)].append(HomeworkItem(homework, lesson, module))
    return [found.get(k, []) for k in keys]


async def latest_homework(db: Database, keys: list[ClientKey]) -> list[Homework | None]:
    """Batch: each client's most recent assignment in scope (None when there is none)."""
    found: dict[ClientKey, Homework | None] = {}
    async with db.session() as session:
        for coach_id, client_ids in _by_scope(keys).items():
            newest = sa.func.row_number().over(
                partition_by=col(Homework.client_id),
                order_by=(col(Homework.assigned_at).desc(), col(Homework.id).desc()),
            )
            ranked = (
                sa.select(col(Homework.id).label("id"), newest.label("rn"))
                .where(col(Homework.client_id).in_(client_ids), _scope(coach_id))
                .subquery()
            )
            rows = await session.scalars(
                sa.select(Homework)
                .join(ranked, ranked.c.id == col(Homework.id))
                .where(ranked.c.rn == 1)
            )
            for homework in rows:
                found[(coach_id, homework.client_id)] = homework
    return by_key(keys, found, None)


def _match_rank(search: str) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[int]]:
    """Which lessons match `search` (folded, search.py), and how well: exact title, prefix, word
    prefix, substring; at each level a lesson title beats a module title."""
    lesson_title = col(Lesson.title_key)
    module_title = col(Module.title_key)
    text = escape_like(search)
    levels = (
        ("eq", search),
        ("like", f"{text}%"),
        ("like", f"% {text}%"),
        ("like", f"%{text}%"),
    )
    whens: list[tuple[sa.ColumnElement[bool], int]] = []
    for level, (op, value) in enumerate(levels):
        for offset, title in enumerate((lesson_title, module_title)):
            test = title == value if op == "eq" else title.like(value, escape="\\")
            whens.append((test, level * 2 + offset))
    matches = sa.or_(contains(lesson_title, search), contains(module_title, search))
    return matches, sa.case(*whens, else_=len(whens))


async def search_lessons(
    db: Database, viewer: Viewer | None, search: str | None, first: int | None
) -> list[LessonItem]:
    """Lessons for the assign dialog: matching the lesson or module title, best matches first;
    without a search, the catalogue in module and lesson order."""
    require_coach(viewer)
    size = page_size(first, 20)
    text = normalise_search(search)
    query = (
        sa.select(Lesson, Module).join(Module, col(Module.id) == col(Lesson.module_id)).limit(size)
    )
    order: list[Any] = []
    if text is not None:
        matches, rank = _match_rank(text)
        query = query.where(matches)
        order.append(rank)
    order += [col(Module.position), col(Module.id), col(Lesson.position), col(Lesson.id)]
    async with db.session() as session:
        rows = await session.execute(query.order_by(*order))
        return [LessonItem(lesson, module) for lesson, module in rows]


def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is None:
        return
    if expires_at.tzinfo is None:
        raise BadUserInput("`expiresAt` needs a UTC offset, e.g. 2026-05-01T09:00:00+02:00.")
    if expires_at - now < MIN_EXPIRY_AHEAD:
        raise BadUserInput("The expiry must be at least one day in the future.")


async def assign_homework(
    db: Database,
    viewer: Viewer | None,
    client_id: int,
    lesson_id: int,
    expires_at: datetime | None,
) -> HomeworkItem:
    """A coach assigns a lesson to one of their (GRANTED) clients, optionally with an expiry at
    least one day ahead."""
    coach = require_coach(viewer)
    now = clock.now()
    _check_expiry(expires_at, now)
    await visible_client(db, coach, client_id)
    async with db.transaction() as session:
        row = (
            await session.execute(
                sa.select(Lesson, Module)
                .join(Module, col(Module.id) == col(Lesson.module_id))
                .where(col(Lesson.id) == lesson_id)
            )
        ).first()
        if row is None:
            raise NotFound.of("lesson", lesson_id)
        lesson, module = row
        # The new assignment replaces the client's latest one: its overdue alert ends here.
        replaced = await session.scalar(
            sa.select(col(Homework.id))
            .where(col(Homework.coach_id) == coach.id, col(Homework.client_id) == client_id)
            .order_by(col(Homework.assigned_at).desc(), col(Homework.id).desc())
            .limit(1)
        )
        if replaced is not None:
            await resolve_for_subject(session, AlertCategory.HOMEWORK, replaced)
        homework = Homework(
            coach_id=coach.id,
            client_id=client_id,
            lesson_id=lesson_id,
            assigned_at=now,
            expires_at=expires_at,
        )
        session.add(homework)
        await session.flush()
    return HomeworkItem(homework, lesson, module)


async def complete_homework(db: Database, viewer: Viewer | None, homework_id: int) -> HomeworkItem:
    """The client who was given the homework marks it done. Completing it again is idempotent:
    nothing changes and the first completion time stays (a retried request must not fail)."""
    client = require_client(viewer)
    async with db.transaction() as session:
        row = (
            await session.execute(
                _with_lesson().where(
                    col(Homework.id) == homework_id, col(Homework.client_id) == client.id
                )
            )
        ).first()
        if row is None:
            raise NotFound.of("homework", homework_id)
        homework, lesson, module = row
        if homework.completed_at is None:
            homework.completed_at = clock.now()
            session.add(homework)
            await resolve_for_subject(session, AlertCategory.HOMEWORK, homework_id)
    return HomeworkItem(homework, lesson, module)
