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

from coach_graph import clock, events
from coach_graph.auth import Viewer, require_client, require_coach
from coach_graph.clients.access import clients_in, lock_granted_link
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, NotFound
from coach_graph.homework.events import HomeworkAssigned, HomeworkCompleted
from coach_graph.homework.models import Homework, Lesson, Module
from coach_graph.loaders import by_key
from coach_graph.pagination import page_size
from coach_graph.prepared import Entity, Read, Row, columns, entities, table
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


_homework, _lessons, _modules = table(Homework), table(Lesson), table(Module)
_HOMEWORK, _LESSON = Entity(Homework), Entity(Lesson, len(_homework.c))
_MODULE = Entity(Module, len(_homework.c) + len(_lessons.c))
_OF_CLIENTS = _homework.c.client_id.in_(sa.bindparam("client_ids", expanding=True))
_BY_COACH = _homework.c.coach_id == sa.bindparam("coach_id")
_NEWEST_FIRST = (_homework.c.assigned_at.desc(), _homework.c.id.desc())


def _item(row: Row) -> HomeworkItem:
    return HomeworkItem(_HOMEWORK(row), _LESSON(row), _MODULE(row))


def _client_homework(by_coach: bool) -> Read[HomeworkItem]:
    query = (
        sa.select(*columns(Homework, Lesson, Module))
        .join(_lessons, _lessons.c.id == _homework.c.lesson_id)
        .join(_modules, _modules.c.id == _lessons.c.module_id)
        .where(_OF_CLIENTS, *((_BY_COACH,) if by_coach else ()))
        .order_by(*_NEWEST_FIRST)
    )
    return Read(query, _item)


def _latest_homework(by_coach: bool) -> Read[Homework]:
    """Each client's newest assignment: one probe of the (coach, client, assigned) index per
    client of `client_ids`."""
    clients = clients_in(sa.bindparam("client_ids", expanding=True))
    h = _homework.alias("newest")
    mine = (h.c.coach_id == sa.bindparam("coach_id"),) if by_coach else ()
    newest = (
        sa.select(h.c.id)
        .where(h.c.client_id == clients.c.id, *mine)
        .order_by(h.c.assigned_at.desc(), h.c.id.desc())
        .limit(1)
        .correlate(clients)
        .scalar_subquery()
    )
    query = sa.select(*_homework.c).select_from(clients).join(_homework, _homework.c.id == newest)
    return entities(Homework, query)


# Keyed by whether a coach looks (their assignments only), else the client themself (all).
_CLIENT_HOMEWORK = {c: _client_homework(c) for c in (False, True)}
_LATEST_HOMEWORK = {c: _latest_homework(c) for c in (False, True)}


def _scope_params(coach_id: int | None, client_ids: list[int]) -> dict[str, Any]:
    params: dict[str, Any] = {"client_ids": client_ids}
    if coach_id is not None:
        params["coach_id"] = coach_id
    return params


async def client_homework(db: Database, keys: list[ClientKey]) -> list[list[HomeworkItem]]:
    """Batch: every assignment of each client in scope, newest first."""
    found: dict[ClientKey, list[HomeworkItem]] = defaultdict(list)
    for coach_id, client_ids in _by_scope(keys).items():
        read = _CLIENT_HOMEWORK[coach_id is not None]
        for item in await read.all(db, **_scope_params(coach_id, client_ids)):
            found[(coach_id, item.homework.client_id)].append(item)
    return [found.get(k, []) for k in keys]


async def latest_homework(db: Database, keys: list[ClientKey]) -> list[Homework | None]:
    """Batch: each client's most recent assignment in scope (None when there is none)."""
    found: dict[ClientKey, Homework | None] = {}
    for coach_id, client_ids in _by_scope(keys).items():
        read = _LATEST_HOMEWORK[coach_id is not None]
        for homework in await read.all(db, **_scope_params(coach_id, client_ids)):
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
    async with db.read() as session:
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
    async with db.transaction() as session:
        await lock_granted_link(session, coach.id, client_id)  # a removal waits, or came first
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
        # The new assignment replaces the client's latest one (its overdue alert ends).
        replaced = await session.scalar(
            sa.select(col(Homework.id))
            .where(col(Homework.coach_id) == coach.id, col(Homework.client_id) == client_id)
            .order_by(col(Homework.assigned_at).desc(), col(Homework.id).desc())
            .limit(1)
        )
        homework = Homework(
            coach_id=coach.id,
            client_id=client_id,
            lesson_id=lesson_id,
            assigned_at=now,
            expires_at=expires_at,
        )
        session.add(homework)
        await session.flush()
        assert homework.id is not None
        events.record(session, HomeworkAssigned(homework.id, coach.id, client_id, replaced))
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
            events.record(
                session, HomeworkCompleted(homework_id, homework.coach_id, homework.client_id)
            )
    return HomeworkItem(homework, lesson, module)
