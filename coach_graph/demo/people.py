"""The demo's people, seeded first: the demo coach `coach@demo.example` with
`client1@demo.example`, `client2@demo.example`, ... and a second coach with a few clients, all
with password `demo-password`, their links and consent; and the logins `seed` and `serve --demo`
print.

One argon2 hash, computed once, is shared by every demo account (argon2 is deliberately slow and
the password is public), so thousands of clients seed in seconds.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import Role, User
from coach_graph.auth import Passwords
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.practice import DemoClient, DemoPractice, DemoSize, insert_returning_ids
from coach_graph.errors import Conflict

DEMO_PASSWORD = "demo-password"
DEMO_COACH_EMAIL = "coach@demo.example"
SECOND_COACH_EMAIL = "coach2@demo.example"
DEMO_CLIENT_EMAILS = ("client1@demo.example", "client2@demo.example")
SEED = 20260302


class DemoExists(Conflict):
    """The database holds users already; the demo fills only an empty one."""


FIRST_NAMES = (
    "Alex", "Jordan", "Priya", "Mateo", "Hannah", "Kwame", "Sofia", "Liam", "Aiko", "Noah",
    "Fatima", "Lucas", "Maya", "Oliver", "Zara", "Ethan", "Ingrid", "Samuel", "Leila", "Tomás",
    "Chloe", "Ravi", "Grace", "Elias", "Nadia", "Owen", "Yuki", "Isabel", "Daniel", "Amara",
)  # fmt: skip
LAST_NAMES = (
    "Morgan", "Bennett", "Sharma", "García", "Keller", "Mensah", "Rossi", "O'Brien", "Tanaka",
    "Fischer", "Haddad", "Silva", "Patel", "Nguyen", "Kowalski", "Andersen", "Dubois", "Okafor",
    "Lindqvist", "Moreau", "Costa", "Iyer", "Walsh", "Novak", "Ahmed", "Brooks", "Sato",
)  # fmt: skip
TIME_ZONES = (
    "Europe/London", "Europe/Paris", "America/New_York", "America/Los_Angeles", "Europe/Berlin",
    "Asia/Tokyo", "Australia/Sydney", "America/Toronto", "UTC", "Asia/Kolkata",
)  # fmt: skip

# Activity profiles, cycled by client index so every practice holds each kind: (name, days since
# last activity as a range, or None for never active).
ACTIVITY_PROFILES: tuple[tuple[str, tuple[float, float] | None], ...] = (
    ("today", (0.02, 0.3)),
    ("yesterday", (1.05, 1.6)),
    ("weeks", (21.0, 45.0)),
    ("recent", (2.2, 4.8)),
    ("today", (0.05, 0.4)),
    ("never", None),
    ("lapsing", (8.0, 13.0)),
    ("recent", (2.5, 5.0)),
    ("weeks", (15.0, 30.0)),
    ("today", (0.1, 0.5)),
)


def _consent_for(index: int) -> ConsentStatus:
    """Mostly GRANTED; the first ten clients (client1 to client10) all are, so every activity
    and homework profile is visible to the demo coach; later some are PENDING or DECLINED."""
    if index < 10:
        return ConsentStatus.GRANTED
    if index % 9 == 1:
        return ConsentStatus.PENDING
    if index % 13 == 11:
        return ConsentStatus.DECLINED
    return ConsentStatus.GRANTED


def _name(rng: random.Random, n: int) -> str:
    return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {rng.choice(LAST_NAMES)}"


async def seed_people(db: Database, settings: Settings, size: DemoSize) -> DemoPractice:
    """Both coaches and their clients, with links, consent and activity. Refuses (DemoExists)
    when any user exists, inside the same transaction, so nothing changes."""
    rng = random.Random(SEED)
    now = clock.now()
    # One hash for every demo account (argon2 is deliberately slow; the password is public).
    password_hash = await Passwords(settings.password_time_cost, settings.password_memory_kib).hash(
        DEMO_PASSWORD
    )
    users = User.__table__  # type: ignore[attr-defined]
    links = CoachClient.__table__  # type: ignore[attr-defined]
    async with db.transaction() as session:
        if await session.scalar(sa.select(col(User.id)).limit(1)) is not None:
            raise DemoExists(
                "The database already holds users; the demo practice fills only an empty "
                "database. Nothing was changed."
            )
        coach_rows = [
            _user_row(
                Role.COACH,
                DEMO_COACH_EMAIL,
                "Dana Whitfield",
                "Europe/London",
                password_hash,
                now - timedelta(days=400),
            ),
            _user_row(
                Role.COACH,
                SECOND_COACH_EMAIL,
                "Marcus Lindgren",
                "America/New_York",
                password_hash,
                now - timedelta(days=300),
            ),
        ]
        demo_coach_id, second_coach_id = await insert_returning_ids(session, users, coach_rows)
        practice = DemoPractice(
            size=size,
            rng=rng,
            now=now,
            demo_coach_id=demo_coach_id,
            coach_ids=[demo_coach_id, second_coach_id],
            coach_time_zones={demo_coach_id: "Europe/London", second_coach_id: "America/New_York"},
        )
        plans: list[tuple[int, int, str, dict[str, Any]]] = []  # (coach, index, email, row)
        for index in range(size.clients):
            email = f"client{index + 1}@demo.example"
            plans.append((demo_coach_id, index, email, {}))
        for index in range(size.second_coach_clients):
            email = f"coach2.client{index + 1}@demo.example"
            plans.append((second_coach_id, index, email, {}))

        client_rows: list[dict[str, Any]] = []
        details: list[tuple[int, int, str, datetime, datetime | None, datetime | None]] = []
        for n, (coach_id, index, email, _) in enumerate(plans):
            linked_at = now - timedelta(days=rng.uniform(120, 240))
            _profile, span = ACTIVITY_PROFILES[index % len(ACTIVITY_PROFILES)]
            last_active = None if span is None else now - timedelta(days=rng.uniform(*span))
            # Some active clients stopped journaling a while before their last visit.
            journal_until = last_active
            if last_active is not None and index % 4 == 2:
                journal_until = last_active - timedelta(days=rng.uniform(9, 20))
            client_rows.append(
                _user_row(
                    Role.CLIENT,
                    email,
                    _name(rng, n),
                    rng.choice(TIME_ZONES),
                    password_hash,
                    linked_at - timedelta(days=rng.uniform(0, 3)),
                    avatar_url=None
                    if index % 3 == 2
                    else f"https://avatars.demo.example/{email.split('@')[0]}.png",
                    is_premium=index == 0 or rng.random() < 0.3,
                    last_active_at=last_active,
                )
            )
            details.append((coach_id, index, email, linked_at, last_active, journal_until))
        client_ids = await insert_returning_ids(session, users, client_rows)

        link_rows: list[dict[str, Any]] = []
        for client_id, (coach_id, index, email, linked_at, last_active, journal_until) in zip(
            client_ids, details, strict=True
        ):
            consent = _consent_for(index)
            decided_at = linked_at + timedelta(days=rng.uniform(0.1, 10))
            link_rows.append(
                {
                    "coach_id": coach_id,
                    "client_id": client_id,
                    "consent": consent.value,
                    "consent_updated_at": linked_at
                    if consent == ConsentStatus.PENDING
                    else decided_at,
                    "linked_at": linked_at,
                }
            )
            practice.clients.append(
                DemoClient(
                    id=client_id,
                    email=email,
                    coach_id=coach_id,
                    consent=consent,
                    linked_at=linked_at,
                    last_active_at=last_active,
                    journal_until=journal_until,
                    index=index,
                )
            )
        # client2 also once contacted the second coach and has not answered yet.
        if size.clients >= 2:
            link_rows.append(
                {
                    "coach_id": second_coach_id,
                    "client_id": client_ids[1],
                    "consent": ConsentStatus.PENDING.value,
                    "consent_updated_at": now - timedelta(days=6),
                    "linked_at": now - timedelta(days=6),
                }
            )
        await session.execute(sa.insert(links), link_rows)
    return practice


def _user_row(
    role: Role,
    email: str,
    name: str,
    time_zone: str,
    password_hash: str,
    created_at: datetime,
    *,
    avatar_url: str | None = None,
    is_premium: bool = False,
    last_active_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "role": role.value,
        "email": email,
        "name": name,
        "password_hash": password_hash,
        "time_zone": time_zone,
        "avatar_url": avatar_url,
        "is_premium": is_premium,
        "created_at": created_at,
        "last_active_at": last_active_at,
    }


async def demo_accounts(db: Database) -> list[User]:
    """The demo coach and the two documented demo clients, when the demo exists."""
    emails = (DEMO_COACH_EMAIL, *DEMO_CLIENT_EMAILS)
    async with db.read() as session:
        users = (await session.scalars(sa.select(User).where(col(User.email).in_(emails)))).all()
    order = {email: i for i, email in enumerate(emails)}
    return sorted(users, key=lambda u: order[u.email])


async def demo_logins(db: Database, settings: Settings) -> list[tuple[User, str]]:
    """A fresh bearer token for each documented demo account (empty when there is no demo)."""
    from coach_graph.auth import issue_token

    logins: list[tuple[User, str]] = []
    for user in await demo_accounts(db):
        assert user.id is not None
        token, _ = await issue_token(db, user.id, settings.token_ttl)
        logins.append((user, token))
    return logins


def describe_logins(logins: Sequence[tuple[User, str]], graphiql_url: str) -> str:
    """What `seed` and `serve --demo` print: where GraphiQL is and how to log in there."""
    lines = [
        f"GraphiQL: {graphiql_url}",
        f"Demo accounts (password for all: {DEMO_PASSWORD}); paste a header into GraphiQL's "
        "Headers pane:",
    ]
    for user, token in logins:
        lines.append(f"  {user.role.lower():<6} {user.email}  ({user.name})")
        lines.append(f'         {{"Authorization": "Bearer {token}"}}')
    return "\n".join(lines)
