"""The waitlist (SPEC.md "Sessions", Waitlist): a client (or a signed-up prospect) joins a
coach's waitlist for a service and a range of at most 14 days; when a time inside it becomes
free, every waiting client whose range and service fit is told at once (WAITLIST_SLOT_OPENED:
the inbox, live, mailed). Telling is not reserving: the first to book the time wins, the others
get the usual CONFLICT from the booking paths. An entry ends when its client books with the
coach inside the range, leaves, or the range passes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import Role, User
from coach_graph.auth import Viewer, require_client, require_viewer
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, Conflict, NotFound
from coach_graph.notifications.service import local_time_of, notify
from coach_graph.outbox.models import MessageKind
from coach_graph.sessions.models import CoachingService
from coach_graph.sessions.placement import load_schedule
from coach_graph.sessions.setup import lock_schedule
from coach_graph.waitlist.models import WaitlistEnd, WaitlistEntry

MAX_RANGE = timedelta(days=14)


@dataclass(frozen=True)
class Waiting:
    """An open entry as its lists show it, with its client's name."""

    entry: WaitlistEntry
    client_name: str


def _open(now: datetime) -> sa.ColumnElement[bool]:
    """Entries still waiting: not ended, range not passed."""
    return sa.and_(col(WaitlistEntry.ended_at).is_(None), col(WaitlistEntry.ends_at) > now)


def _name(user: User) -> str:
    return user.name or user.email.split("@")[0]


async def join_waitlist(
    db: Database,
    viewer: Viewer | None,
    coach_id: int,
    service_id: int,
    starts_at: datetime,
    ends_at: datetime,
) -> Waiting:
    """The client waits for a time of the coach's service in [starts_at, ends_at): a range
    that ends in the future, at most 14 days long, on a service the coach offers; one open
    entry per coach, service and overlapping range (CONFLICT)."""
    client = require_client(viewer)
    if ends_at <= starts_at:
        raise BadUserInput("`to` must come after `from`.")
    if ends_at - starts_at > MAX_RANGE:
        raise BadUserInput(f"A waitlist range is at most {MAX_RANGE.days} days long.")
    now = clock.now()
    if ends_at <= now:
        raise BadUserInput(f"The range ending {ends_at.isoformat()} has passed.")
    async with db.transaction() as session:
        coach = await session.scalar(
            sa.select(User).where(col(User.id) == coach_id, col(User.role) == Role.COACH)
        )
        if coach is None:
            raise NotFound.of("coach", coach_id)
        service = await session.scalar(
            sa.select(CoachingService).where(
                col(CoachingService.id) == service_id, col(CoachingService.coach_id) == coach_id
            )
        )
        if service is None:
            raise NotFound.of("service", service_id)
        if service.archived_at is not None:
            raise BadUserInput(f"The service {service.name!r} is archived and takes no bookings.")
        # Joins of one coach's waitlist take turns with its bookings, so two racing joins of
        # one client cannot both find no overlapping entry.
        await lock_schedule(session, coach_id)
        overlapping = await session.scalar(
            sa.select(WaitlistEntry)
            .where(
                col(WaitlistEntry.coach_id) == coach_id,
                col(WaitlistEntry.client_id) == client.id,
                col(WaitlistEntry.service_id) == service_id,
                _open(now),
                col(WaitlistEntry.starts_at) < ends_at,
                col(WaitlistEntry.ends_at) > starts_at,
            )
            .limit(1)
        )
        if overlapping is not None:
            raise Conflict(
                f"You are on this coach's waitlist for {service.name} from "
                f"{overlapping.starts_at.isoformat()} to {overlapping.ends_at.isoformat()} "
                "already."
            )
        entry = WaitlistEntry(
            coach_id=coach_id,
            client_id=client.id,
            service_id=service_id,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        session.add(entry)
        await session.flush()
    return Waiting(entry, client.name or client.email.split("@")[0])


async def leave_waitlist(db: Database, viewer: Viewer | None, entry_id: int) -> bool:
    """The client leaves one of their open entries (NOT_FOUND for any other id)."""
    client = require_client(viewer)
    async with db.transaction() as session:
        entry = await session.scalar(
            sa.select(WaitlistEntry).where(
                col(WaitlistEntry.id) == entry_id,
                col(WaitlistEntry.client_id) == client.id,
                _open(clock.now()),
            )
        )
        if entry is None:
            raise NotFound.of("waitlist entry", entry_id)
        entry.ended_at, entry.end_reason = clock.now(), WaitlistEnd.LEFT.value
    return True


async def waitlist(db: Database, viewer: Viewer | None) -> list[Waiting]:
    """The open entries the viewer may see, earliest range first: a coach those for them, a
    client their own."""
    viewer = require_viewer(viewer)
    whose = (
        col(WaitlistEntry.coach_id) == viewer.id
        if viewer.is_coach
        else col(WaitlistEntry.client_id) == viewer.id
    )
    async with db.read() as session:
        rows = await session.execute(
            sa.select(WaitlistEntry, User)
            .join(User, col(User.id) == col(WaitlistEntry.client_id))
            .where(whose, _open(clock.now()))
            .order_by(col(WaitlistEntry.starts_at), col(WaitlistEntry.id))
        )
        return [Waiting(entry, _name(user)) for entry, user in rows.all()]


# ---------- reactions' rules (waitlist/reactions.py calls them inside the change's transaction)


async def end_entries_booked(
    session: AsyncSession, coach_id: int, client_id: int | None, starts_at: datetime
) -> None:
    """The client now has a session with the coach at `starts_at`: their open entries with the
    coach whose range holds it end (BOOKED)."""
    if client_id is None:
        return
    now = clock.now()
    await session.execute(
        sa.update(WaitlistEntry)
        .where(
            col(WaitlistEntry.coach_id) == coach_id,
            col(WaitlistEntry.client_id) == client_id,
            _open(now),
            col(WaitlistEntry.starts_at) <= starts_at,
            col(WaitlistEntry.ends_at) > starts_at,
        )
        .values(ended_at=now, end_reason=WaitlistEnd.BOOKED.value)
    )


async def end_entries_removed(session: AsyncSession, coach_id: int, client_id: int) -> None:
    """The coach removed the client: their open entries with the coach end (REMOVED)."""
    now = clock.now()
    await session.execute(
        sa.update(WaitlistEntry)
        .where(
            col(WaitlistEntry.coach_id) == coach_id,
            col(WaitlistEntry.client_id) == client_id,
            _open(now),
        )
        .values(ended_at=now, end_reason=WaitlistEnd.REMOVED.value)
    )


async def _waiting(
    session: AsyncSession, coach_id: int, now: datetime, *where: sa.ColumnElement[bool]
) -> list[tuple[WaitlistEntry, CoachingService]]:
    """The coach's open entries matching `where`, for services still offered, oldest first."""
    rows = await session.execute(
        sa.select(WaitlistEntry, CoachingService)
        .join(CoachingService, col(CoachingService.id) == col(WaitlistEntry.service_id))
        .where(
            col(WaitlistEntry.coach_id) == coach_id,
            _open(now),
            col(CoachingService.archived_at).is_(None),
            *where,
        )
        .order_by(col(WaitlistEntry.id))
    )
    return [(entry, service) for entry, service in rows.all()]


async def slot_opened(
    session: AsyncSession,
    coach_id: int,
    starts_at: datetime,
    *,
    freed_by: int | None,
) -> Sequence[int]:
    """A time of the coach starting at `starts_at` became free (a cancellation, a move away):
    every open entry whose range holds it, for a service its client could book there now (the
    placement rule of a client's own booking: notice and booking window apply), is told at
    once (its client, except `freed_by`, the client who freed it). Runs in the transaction that
    freed it (a rolled-back change tells no one); each client once. Returns the entries told."""
    now = clock.now()
    if starts_at <= now:
        return []
    rows = await _waiting(
        session,
        coach_id,
        now,
        col(WaitlistEntry.starts_at) <= starts_at,
        col(WaitlistEntry.ends_at) > starts_at,
        col(WaitlistEntry.client_id) != (freed_by or 0),
    )
    if not rows:
        return []
    longest = max(service.duration_minutes for _, service in rows)
    schedule = await load_schedule(
        session, coach_id, starts_at, starts_at + timedelta(minutes=longest)
    )
    offers = [
        (entry, service, starts_at)
        for entry, service in rows
        if schedule.refusal(starts_at, service.duration_minutes, by_client=True) is None
    ]
    return await _tell(session, coach_id, offers)


async def time_opened(
    session: AsyncSession,
    coach_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    added_exception: int | None = None,
) -> Sequence[int]:
    """The coach's time in [starts_at, ends_at) opened (time off removed, or the extra hours
    `added_exception` added): every open entry whose range overlaps it is told of the first
    slot inside both ranges where its client could book its service now (the slots of
    `availableSlots` as a client sees them) and, for extra hours, could not before them; if
    there is one. Each client once, by their oldest such entry. Returns the entries told."""
    now = clock.now()
    starts_at = max(starts_at, now)
    if ends_at <= starts_at:
        return []
    rows = await _waiting(
        session,
        coach_id,
        now,
        col(WaitlistEntry.starts_at) < ends_at,
        col(WaitlistEntry.ends_at) > starts_at,
    )
    if not rows:
        return []
    span_start = max(starts_at, min(entry.starts_at for entry, _ in rows))
    span_end = min(ends_at, max(entry.ends_at for entry, _ in rows))
    schedule = await load_schedule(session, coach_id, span_start, span_end)
    before = None
    if added_exception is not None:
        before = await load_schedule(
            session, coach_id, span_start, span_end, without_exception=added_exception
        )
    first: dict[tuple[datetime, datetime, int], datetime | None] = {}
    offers: list[tuple[WaitlistEntry, CoachingService, datetime]] = []
    for entry, service in rows:
        span = (max(starts_at, entry.starts_at), min(ends_at, entry.ends_at))
        key = (*span, service.duration_minutes)
        if key not in first:
            slots = schedule.free_starts(*span, service.duration_minutes, by_client=True)
            length = timedelta(minutes=service.duration_minutes)
            if before is not None:  # extra hours: only starts that were outside open hours
                slots = (s for s in slots if not before.is_open(s, s + length))
            first[key] = next(slots, None)
        if (slot := first[key]) is not None:
            offers.append((entry, service, slot))
    return await _tell(session, coach_id, offers)


async def _tell(
    session: AsyncSession,
    coach_id: int,
    offers: Sequence[tuple[WaitlistEntry, CoachingService, datetime]],
) -> list[int]:
    """Tell each offer's client of its free start (WAITLIST_SLOT_OPENED: inbox, live, mail),
    in their own zone; a client with several offers once, by the first. Returns the entries."""
    if not offers:
        return []
    coach = await session.get(User, coach_id)
    coach_name = _name(coach) if coach else "your coach"
    told: list[int] = []
    clients: set[int] = set()
    for entry, service, starts_at in offers:
        if entry.client_id in clients:
            continue
        clients.add(entry.client_id)
        assert entry.id is not None
        when = await local_time_of(session, entry.client_id, starts_at)
        await notify(
            session,
            entry.client_id,
            MessageKind.WAITLIST_SLOT_OPENED,
            {
                "entry_id": entry.id,
                "coach_id": coach_id,
                "service_id": service.id,
                "starts_at": starts_at.isoformat(),
            },
            title=f"A time opened with {coach_name}",
            body=f"{service.name} with {coach_name} is free on {when}. "
            "Book it soon: the first booking takes it.",
        )
        told.append(entry.id)
    return told
