"""How sessions react to other domains' events (subscribed by coach_graph/reactions.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock, events
from coach_graph.accounts.events import UserAdded
from coach_graph.accounts.models import Role, User
from coach_graph.clients.events import ClientRemoved
from coach_graph.notifications.service import notify
from coach_graph.outbox.models import MessageKind, OutboxMessage
from coach_graph.outbox.service import addressed_to
from coach_graph.sessions.changes import CLIENT_DELETED, session_message
from coach_graph.sessions.events import SessionCancelled
from coach_graph.sessions.models import (
    CoachingSession,
    RescheduleRequest,
    RescheduleRequestStatus,
    SessionStatus,
)
from coach_graph.sessions.setup import setup_new_coach
from coach_graph.sessions.status import LIVE


async def user_added(session: AsyncSession, event: UserAdded) -> None:
    """A new coach starts with the default services, calendar and weekly hours."""
    if event.role == Role.COACH.value:
        coach = await session.get(User, event.user_id)
        assert coach is not None  # added in this transaction
        await setup_new_coach(session, coach, event.settings)


async def client_removed(session: AsyncSession, event: ClientRemoved) -> None:
    """A coach removed a client (deleteClient, in its transaction): the client's upcoming
    PENDING and CONFIRMED sessions with this coach are cancelled ("Client deleted") and each is
    mailed to the client as a cancellation (their address kept with the message, as the link to them
    goes); all their sessions stay (notes too) but link to no one ("Deleted Client"); their
    pending reschedule requests expire, and other unsent messages about them (reminders among
    them) are dropped."""
    coach_id, client_id = event.coach_id, event.client_id
    theirs = sa.and_(
        col(CoachingSession.coach_id) == coach_id, col(CoachingSession.client_id) == client_id
    )
    session_ids = sa.select(col(CoachingSession.id)).where(theirs)
    upcoming = await session.scalars(
        sa.select(CoachingSession)
        .where(
            theirs,
            col(CoachingSession.status).in_([s.value for s in LIVE]),
            col(CoachingSession.starts_at) > clock.now(),
        )
        .order_by(col(CoachingSession.starts_at))
        .with_for_update()
    )
    cancelled = list(upcoming.all())
    for s in cancelled:
        s.status = SessionStatus.CANCELLED.value
        s.cancellation_reason = CLIENT_DELETED
        s.invite_sequence += 1
        assert s.id is not None
        events.record(
            session, SessionCancelled(s.id, s.coach_id, client_id, s.starts_at, s.ends_at)
        )
    await session.execute(
        sa.delete(OutboxMessage).where(
            col(OutboxMessage.session_id).in_(session_ids),
            col(OutboxMessage.sent_at).is_(None),
        )
    )
    client = await session.get(User, client_id)
    to = addressed_to(client.name, client.email, client.time_zone) if client else {}
    for s in cancelled:
        await notify(
            session,
            client_id,
            MessageKind.SESSION_CANCELLED,
            session_message(s, reason=CLIENT_DELETED, **to),
            session_id=s.id,
        )
    await session.execute(
        sa.update(RescheduleRequest)
        .where(
            col(RescheduleRequest.coach_id) == coach_id,
            col(RescheduleRequest.client_id) == client_id,
        )
        .values(
            client_id=None,
            status=sa.case(
                (
                    col(RescheduleRequest.status) == RescheduleRequestStatus.PENDING.value,
                    RescheduleRequestStatus.EXPIRED.value,
                ),
                else_=col(RescheduleRequest.status),
            ),
        )
    )
    await session.execute(sa.update(CoachingSession).where(theirs).values(client_id=None))
