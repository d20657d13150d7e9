"""Self-booking (SPEC.md "Sessions", Self-booking): a coach's public booking page (name, time
zone, bookable services) and a client booking a session for themselves, which the coach then
confirms or cancels."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import text
from coach_graph.accounts.models import Role, User
from coach_graph.auth import Viewer, require_client
from coach_graph.clients.service import link_client
from coach_graph.db import Database
from coach_graph.errors import Conflict, NotFound
from coach_graph.notifications.service import local_time_of, notify
from coach_graph.outbox.models import MessageKind
from coach_graph.sessions.changes import place_session
from coach_graph.sessions.models import CoachingService, CoachingSession, SessionStatus
from coach_graph.sessions.setup import lock_schedule

# PENDING self-booked sessions a client may hold with one coach at a time.
MAX_PENDING_SELF_BOOKED = 3


async def coach_profile(db: Database, coach_id: int) -> User | None:
    """The coach whose booking page this is, for anyone; None for any id that is not a
    coach's. The page shows only their name, time zone and bookable services."""
    async with db.read() as session:
        coach: User | None = await session.scalar(
            sa.select(User).where(col(User.id) == coach_id, col(User.role) == Role.COACH)
        )
    return coach


async def book_my_session(
    db: Database,
    viewer: Viewer | None,
    service_id: int,
    starts_at: datetime,
    customer_notes: str | None,
) -> CoachingSession:
    """A client books a coach's service for themselves: PENDING until the coach confirms or
    cancels it, placed like every booking (as a client's: the coach's minimum notice and
    booking window apply). The first booking links the
    client to the coach (consent PENDING); one free intro call per coach ever, at most 3 PENDING
    self-booked sessions per coach. The coach is told."""
    client = require_client(viewer)
    text.checked_text(customer_notes, "customerNotes", text.NOTES)
    async with db.transaction() as session:
        service = await session.scalar(
            sa.select(CoachingService).where(col(CoachingService.id) == service_id)
        )
        if service is None:
            raise NotFound.of("service", service_id)
        coach_id = service.coach_id
        # Every check below runs in the coach's schedule turn, so racing bookings queue up.
        await lock_schedule(session, coach_id)
        mine = sa.and_(
            col(CoachingSession.coach_id) == coach_id, col(CoachingSession.client_id) == client.id
        )
        if service.price_minor == 0 and await session.scalar(
            sa.select(col(CoachingSession.id))
            .where(mine, col(CoachingSession.price_minor) == 0)
            .limit(1)
        ):
            raise Conflict("You have had a free intro call with this coach already.")
        pending = await session.scalar(
            sa.select(sa.func.count()).where(
                mine,
                col(CoachingSession.self_booked),
                col(CoachingSession.status) == SessionStatus.PENDING,
            )
        )
        if (pending or 0) >= MAX_PENDING_SELF_BOOKED:
            raise Conflict(
                f"You have {MAX_PENDING_SELF_BOOKED} bookings with this coach waiting for "
                "confirmation already; wait for an answer first."
            )
        booked = await place_session(
            session,
            service,
            client.id,
            starts_at,
            status=SessionStatus.PENDING,
            customer_notes=customer_notes,
            self_booked=True,
            by_client=True,
        )
        await link_client(session, coach_id, client.id)
        who = client.name or client.email
        await notify(
            session,
            coach_id,
            MessageKind.SESSION_BOOKED,
            {"session_id": booked.id, "starts_at": booked.starts_at.isoformat()},
            session_id=booked.id,
            title="New booking to confirm",
            body=f"{who} booked {service.name} on "
            f"{await local_time_of(session, coach_id, booked.starts_at)}; "
            "confirm or cancel it.",
        )
    return booked
