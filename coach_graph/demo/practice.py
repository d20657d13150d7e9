"""What every demo seeding step receives, and how a step writes rows in bulk.

A step is `async def step(db: Database, settings: Settings, practice: DemoPractice) -> None`
living in its domain's `demo.py`; it uses `practice.rng` for any randomness (one generator for the
whole demo, so the order of the steps in `registry.DEMO_STEPS` is part of the data) and
`practice.now` for time, and inserts in bulk with `insert_returning_ids` or
`session.execute(sa.insert(table), rows)`. A step that acts as a coach or client would (book,
cancel, set a policy) calls the product's own service with `acting_as(db, user_id)`.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from coach_graph.accounts.models import Role, User
from coach_graph.auth import Viewer
from coach_graph.clients.models import ConsentStatus
from coach_graph.config import Settings
from coach_graph.db import Database


@dataclass(frozen=True)
class DemoSize:
    """How big the demo practice is: the demo coach's clients, journal entries per client that
    has ever been active, and the second coach's clients."""

    clients: int = 30
    entries: int = 60
    second_coach_clients: int = 4
    sessions: int = 12  # coaching sessions per client, past and upcoming

    def __post_init__(self) -> None:
        if self.clients < 2:
            raise ValueError("the demo needs at least 2 clients (client1 and client2)")
        if self.entries < 0 or self.second_coach_clients < 0 or self.sessions < 0:
            raise ValueError("demo sizes cannot be negative")


@dataclass(frozen=True)
class DemoClient:
    """One demo client as the steps need them: who, linked to which coach, and how active."""

    id: int
    email: str
    coach_id: int
    consent: ConsentStatus
    linked_at: datetime
    last_active_at: datetime | None
    # When the client stopped writing (None: writes up to their last activity).
    journal_until: datetime | None
    # Index among the coach's clients; profiles cycle through it so every size has each kind.
    index: int


@dataclass
class DemoPractice:
    """What the people step created, handed to every step of DEMO_STEPS."""

    size: DemoSize
    rng: random.Random
    now: datetime
    demo_coach_id: int
    coach_ids: list[int]
    clients: list[DemoClient] = field(default_factory=list)
    # The coach's time zone decides "today" for homework due dates.
    coach_time_zones: dict[int, str] = field(default_factory=dict)

    @property
    def client_ids(self) -> list[int]:
        return [c.id for c in self.clients]

    def clients_of(self, coach_id: int) -> list[DemoClient]:
        return [c for c in self.clients if c.coach_id == coach_id]


DemoStep = Callable[[Database, Settings, DemoPractice], Awaitable[None]]


async def insert_returning_ids(
    session: Any, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Bulk insert, returning the new ids in the order of `rows` (SQLite and PostgreSQL)."""
    if not rows:
        return []
    result = await session.execute(
        sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return [int(r[0]) for r in result.all()]


async def acting_as(db: Database, user_id: int) -> Viewer:
    """The viewer a demo step passes to a service to act as that user (no token is issued)."""
    async with db.read() as session:
        user = await session.get(User, user_id)
    assert user is not None and user.id is not None
    return Viewer(
        id=user.id, role=Role(user.role), email=user.email, name=user.name,
        time_zone=user.time_zone, token_id=0, token_expires_at=datetime.max.replace(tzinfo=UTC),
    )  # fmt: skip
