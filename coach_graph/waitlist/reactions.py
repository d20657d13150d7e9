"""How the waitlist reacts to other domains' events (subscribed by coach_graph/reactions.py),
inside the transaction of the change: a cancelled or moved session frees its time, removed time
off or added extra hours open their range (the waiting clients are told); a booking or move
into a client's range ends their entry; a removed client leaves the coach's waitlist."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from coach_graph.clients.events import ClientRemoved
from coach_graph.sessions.events import (
    ExtraHoursAdded,
    SessionBooked,
    SessionCancelled,
    SessionRescheduled,
    TimeOffRemoved,
)
from coach_graph.waitlist import service


async def session_booked(session: AsyncSession, event: SessionBooked) -> None:
    """A booking inside a client's range ends their entry with that coach."""
    await service.end_entries_booked(session, event.coach_id, event.client_id, event.starts_at)


async def session_cancelled(session: AsyncSession, event: SessionCancelled) -> None:
    """A cancelled session's time is free: the waiting clients it fits are told."""
    await service.slot_opened(session, event.coach_id, event.starts_at, freed_by=event.client_id)


async def session_rescheduled(session: AsyncSession, event: SessionRescheduled) -> None:
    """A moved session: its new time counts as the client's booking, its old time is free."""
    await service.end_entries_booked(session, event.coach_id, event.client_id, event.starts_at)
    await service.slot_opened(
        session, event.coach_id, event.previous_starts_at, freed_by=event.client_id
    )


async def time_off_removed(session: AsyncSession, event: TimeOffRemoved) -> None:
    """Removed time off opens its range: the waiting clients are told of a slot inside it."""
    await service.time_opened(session, event.coach_id, event.starts_at, event.ends_at)


async def extra_hours_added(session: AsyncSession, event: ExtraHoursAdded) -> None:
    """New extra hours open time: the waiting clients are told of a slot bookable only now."""
    await service.time_opened(
        session,
        event.coach_id,
        event.starts_at,
        event.ends_at,
        added_exception=event.exception_id,
    )


async def client_removed(session: AsyncSession, event: ClientRemoved) -> None:
    """A client the coach removed is off the coach's waitlist."""
    await service.end_entries_removed(session, event.coach_id, event.client_id)
