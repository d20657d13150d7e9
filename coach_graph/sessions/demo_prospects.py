"""Demo prospects of the demo coach, all with consent PENDING: three who found the booking
page, signed up and booked the free intro call themselves, and one who phoned in, whom the coach
added and booked. Placed by the booking rules themselves, in the first free slots two days
ahead and later."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.accounts.models import Role, User
from coach_graph.clients.models import CoachClient
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.practice import DemoPractice, acting_as
from coach_graph.sessions.catalog import available_slots
from coach_graph.sessions.changes import book_session, place_session
from coach_graph.sessions.models import CoachingService, SessionStatus
from coach_graph.sessions.setup import lock_schedule

# Prospects who found the demo coach's booking page, signed up and booked the free intro call:
# (e-mail, name, time zone, status of the intro call, customer notes).
PROSPECTS = (
    ("prospect1@demo.example", "Nadia Okafor", "Europe/London", SessionStatus.CONFIRMED,
     "Looking for help with a career change."),
    ("prospect2@demo.example", "Tomás Ruiz", "Europe/Madrid", SessionStatus.PENDING,
     "I'd like to work on stress at work."),
    ("prospect3@demo.example", "Mei Tanaka", "Asia/Tokyo", SessionStatus.PENDING, None),
)  # fmt: skip
# A prospect who phoned the demo coach instead: the coach added them (consent PENDING, not
# answered yet) and booked the free intro call for them. (e-mail, name, time zone, notes)
PHONED_IN = ("prospect4@demo.example", "Jonas Weber", "Europe/Berlin", "Referred by a colleague.")


async def _intro_call(db: Database, coach_id: int) -> tuple[CoachingService, str] | None:
    """The coach's free intro call and the demo password hash prospects share."""
    async with db.read() as session:
        password_hash = await session.scalar(
            sa.select(col(User.password_hash)).where(col(User.id) == coach_id)
        )
        intro = await session.scalar(
            sa.select(CoachingService)
            .where(
                col(CoachingService.coach_id) == coach_id,
                col(CoachingService.price_minor) == 0,
                col(CoachingService.archived_at).is_(None),
            )
            .order_by(col(CoachingService.id))
            .limit(1)
        )
    if intro is None or intro.id is None or password_hash is None:
        return None
    return intro, password_hash


async def _add_prospect(
    session: Any, coach_id: int, password_hash: str, person: tuple[str, str, str], at: datetime
) -> int:
    """A new client account (e-mail, name, time zone) linked to the coach, consent PENDING."""
    email, name, time_zone = person
    prospect = User(
        role=Role.CLIENT.value, email=email, name=name, password_hash=password_hash,
        time_zone=time_zone, created_at=at,
    )  # fmt: skip
    session.add(prospect)
    await session.flush()
    assert prospect.id is not None
    session.add(
        CoachClient(coach_id=coach_id, client_id=prospect.id, linked_at=at, consent_updated_at=at)
    )
    return prospect.id


async def seed_prospects(db: Database, settings: Settings, practice: DemoPractice) -> None:
    """Demo step: prospects of the demo coach who signed up and booked the free intro call for
    themselves (consent PENDING), in the first free slots two days ahead and later: one the
    coach confirmed, the others waiting for an answer. Placed by the booking rule itself."""
    coach_id = practice.demo_coach_id
    found = await _intro_call(db, coach_id)
    if found is None:
        return
    intro, password_hash = found
    assert intro.id is not None
    start = practice.now + timedelta(days=2)
    for n, (email, name, time_zone, status, notes) in enumerate(PROSPECTS):
        slots = await available_slots(db, None, intro.id, start, start + timedelta(days=14))
        if not slots:
            return
        async with db.transaction() as session:
            at = practice.now - timedelta(days=3 - n)
            prospect_id = await _add_prospect(
                session, coach_id, password_hash, (email, name, time_zone), at
            )
            await lock_schedule(session, coach_id)
            await place_session(
                session, intro, prospect_id, slots[0], status=status, customer_notes=notes,
                self_booked=True,
            )  # fmt: skip
        start = slots[0] + timedelta(hours=3)


async def seed_coach_booked_prospect(
    db: Database, settings: Settings, practice: DemoPractice
) -> None:
    """Demo step: the prospect who phoned in, added by the demo coach yesterday, consent still
    PENDING; the coach booked their free intro call (`book_session`, as the `bookSession`
    mutation does: scheduling works whatever the consent) in the first free slot two days ahead,
    and the prospect was told."""
    coach_id = practice.demo_coach_id
    found = await _intro_call(db, coach_id)
    if found is None:
        return
    intro, password_hash = found
    assert intro.id is not None
    email, name, time_zone, notes = PHONED_IN
    async with db.transaction() as session:
        at = practice.now - timedelta(days=1)
        prospect_id = await _add_prospect(
            session, coach_id, password_hash, (email, name, time_zone), at
        )
    coach = await acting_as(db, coach_id)
    start = practice.now + timedelta(days=2)
    slots = await available_slots(db, coach, intro.id, start, start + timedelta(days=14))
    if slots:
        await book_session(
            db, coach, client_id=prospect_id, service_id=intro.id, starts_at=slots[0],
            customer_notes=notes,
        )  # fmt: skip
