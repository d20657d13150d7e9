"""Demo data for homework: the modules and lessons of a coaching curriculum, and homework with
every status, so the My Clients table shows every homework badge."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from coach_graph import clock
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.practice import DemoClient, DemoPractice, insert_returning_ids
from coach_graph.homework.models import Homework, Lesson, Module

CURRICULUM: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Foundations of Self-Awareness",
        ("Naming your emotions", "The stress bucket", "Your values inventory", "Daily check-ins"),
    ),
    (
        "Sleep and Recovery",
        ("How sleep works", "A wind-down routine", "Caffeine, screens and light", "Rest days"),
    ),
    (
        "Managing Anxiety",
        (
            "Box breathing",
            "Catching anxious thoughts",
            "Worry time",
            "Facing avoided situations step by step",
        ),
    ),
    (
        "Building Healthy Habits",
        ("Tiny habits", "Habit stacking", "Tracking without judgement", "Recovering from a lapse"),
    ),
    (
        "Relationships and Communication",
        ("Active listening", "Asking for what you need", "Repairing after conflict"),
    ),
    (
        "Work, Focus and Boundaries",
        ("Saying no kindly", "Deep work blocks", "Ending the workday", "Talking to your manager"),
    ),
    (
        "Self-Compassion",
        ("The inner critic", "A letter to yourself", "Self-care that restores"),
    ),
    (
        "Movement and Energy",
        ("Finding movement you enjoy", "Walking meetings", "Energy mapping"),
    ),
)


def _end_of_local_day(moment: datetime, time_zone: str, days_ahead: int = 0) -> datetime:
    """The last instant of the local day `days_ahead` after `moment`'s day, as UTC."""
    zone = ZoneInfo(time_zone)
    local_day: date = moment.astimezone(zone).date() + timedelta(days=days_ahead)
    midnight = datetime.combine(local_day + timedelta(days=1), time(0), tzinfo=zone)
    return clock.as_utc(midnight - timedelta(seconds=1))


# The status of each client's most recent assignment, cycled by client index, so the My Clients
# table shows every homework badge.
LATEST_HOMEWORK = (
    "due_tomorrow",
    "completed",
    "overdue",
    "assigned",
    "due_today",
    "none",
    "overdue",
    "no_expiry",
    "completed",
)


async def seed_curriculum_and_homework(
    db: Database, settings: Settings, practice: DemoPractice
) -> None:
    """Modules and lessons of a coaching curriculum, and homework with every status: older
    assignments mostly completed (some overdue), the latest one cycling through the badges."""
    rng, now = practice.rng, practice.now
    modules = Module.__table__  # type: ignore[attr-defined]
    lessons = Lesson.__table__  # type: ignore[attr-defined]
    homework = Homework.__table__  # type: ignore[attr-defined]
    async with db.transaction() as session:
        module_ids = await insert_returning_ids(
            session, modules, [{"title": t, "position": i} for i, (t, _) in enumerate(CURRICULUM)]
        )
        lesson_rows = [
            {"module_id": module_id, "title": title, "position": i}
            for module_id, (_, titles) in zip(module_ids, CURRICULUM, strict=True)
            for i, title in enumerate(titles)
        ]
        lesson_ids = await insert_returning_ids(session, lessons, lesson_rows)

        rows: list[dict[str, Any]] = []
        for client in practice.clients:
            tz = practice.coach_time_zones[client.coach_id]
            kind = LATEST_HOMEWORK[client.index % len(LATEST_HOMEWORK)]
            if kind == "none":
                continue
            lessons_for_client = rng.sample(lesson_ids, k=min(len(lesson_ids), 6))
            # Earlier assignments, every few weeks since the link.
            history = rng.randint(1, 4)
            for k in range(history):
                assigned = client.linked_at + timedelta(days=7 + 18 * k + rng.uniform(0, 5))
                expires = assigned + timedelta(days=rng.choice((7, 10, 14)))
                if expires > now - timedelta(days=3):
                    break
                done = _can_complete(client, assigned) and rng.random() < 0.75
                rows.append(
                    _homework_row(
                        client,
                        lessons_for_client[k],
                        assigned,
                        expires,
                        _completion(rng, client, assigned, expires) if done else None,
                    )
                )
            rows.append(_latest_homework(rng, client, lessons_for_client[-1], kind, now, tz))
        await session.execute(sa.insert(homework), rows)


def _can_complete(client: DemoClient, assigned: datetime) -> bool:
    """Only a client active after the assignment can have completed it."""
    return client.last_active_at is not None and client.last_active_at > assigned


def _completion(
    rng: random.Random, client: DemoClient, assigned: datetime, expires: datetime | None
) -> datetime:
    """A completion time after the assignment and no later than the client's last activity."""
    assert client.last_active_at is not None
    latest = min(client.last_active_at, expires or client.last_active_at)
    return assigned + (latest - assigned) * rng.uniform(0.2, 1.0)


def _homework_row(
    client: DemoClient,
    lesson_id: int,
    assigned: datetime,
    expires: datetime | None,
    completed: datetime | None,
) -> dict[str, Any]:
    return {
        "coach_id": client.coach_id,
        "client_id": client.id,
        "lesson_id": lesson_id,
        "assigned_at": assigned,
        "expires_at": expires,
        "completed_at": completed,
    }


def _latest_homework(
    rng: random.Random, client: DemoClient, lesson_id: int, kind: str, now: datetime, tz: str
) -> dict[str, Any]:
    """The most recent assignment, shaped so that its badge is `kind`."""
    if kind == "due_today":
        # Halfway between now and the coach's local midnight: later today, not yet passed.
        expires: datetime | None = now + (_end_of_local_day(now, tz) - now) / 2
    elif kind == "due_tomorrow":
        expires = _end_of_local_day(now, tz, 1) - timedelta(hours=6)
    elif kind == "overdue":
        expires = now - timedelta(days=rng.uniform(3, 12))
    elif kind == "assigned":
        expires = now + timedelta(days=rng.uniform(4, 10))
    elif kind == "no_expiry":
        expires = None
    else:  # completed
        expires = now + timedelta(days=rng.uniform(2, 6))
    assigned = (expires or now) - timedelta(days=rng.uniform(8, 12))
    assigned = min(assigned, now - timedelta(hours=2))
    completed = None
    if kind == "completed" and _can_complete(client, assigned):
        completed = _completion(rng, client, assigned, expires)
    return _homework_row(client, lesson_id, assigned, expires, completed)
