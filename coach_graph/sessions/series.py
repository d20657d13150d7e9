"""Recurring series (SPEC.md "Sessions", Recurring series): a coach books weekly (every 1-4
weeks) or monthly (the same weekday of the month) occurrences, each an ordinary session placed
by the one placement rule; and moves or cancels an occurrence with every later one.

Occurrences are computed by python-dateutil's rrule on the coach's wall-clock time in their
zone (zoneinfo), so 10:00 stays 10:00 across daylight-saving changes and the UTC time moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from itertools import islice
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from dateutil import rrule
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock, text
from coach_graph.accounts.models import User
from coach_graph.auth import Viewer, require_coach
from coach_graph.clients.access import schedulable_client
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, Conflict
from coach_graph.notifications.service import notify
from coach_graph.outbox.models import MessageKind
from coach_graph.sessions.access import own_session
from coach_graph.sessions.catalog import coach_service
from coach_graph.sessions.changes import (
    cancel_occurrence,
    move_occurrence,
    place_session,
    reschedule_session,
    session_message,
    update_status,
)
from coach_graph.sessions.models import (
    CoachingSession,
    RecurrenceFrequency,
    SeriesSkip,
    SessionSeries,
    SessionStatus,
)
from coach_graph.sessions.placement import load_schedule
from coach_graph.sessions.setup import lock_schedule
from coach_graph.sessions.status import LIVE, transition_refusal

MAX_OCCURRENCES = 52
MAX_INTERVAL = {RecurrenceFrequency.WEEKLY: 4, RecurrenceFrequency.MONTHLY: 12}


class SeriesScope(StrEnum):
    THIS = "THIS"
    THIS_AND_FOLLOWING = "THIS_AND_FOLLOWING"


@dataclass(frozen=True)
class Recurrence:
    """How a series repeats: every `interval` weeks or months, `count` times or until `until`."""

    frequency: RecurrenceFrequency
    interval: int = 1
    count: int | None = None
    until: datetime | None = None

    def check(self) -> None:
        """Refuse what SPEC.md does not allow (BAD_USER_INPUT), before anything is read."""
        most = MAX_INTERVAL[self.frequency]
        if not 1 <= self.interval <= most:
            unit = "weeks" if self.frequency == RecurrenceFrequency.WEEKLY else "months"
            raise BadUserInput(
                f"A {self.frequency.value.lower()} series repeats every 1 to {most} {unit}; "
                f"got {self.interval}.",
                field="interval",
            )
        if (self.count is None) == (self.until is None):
            raise BadUserInput("Give a series either a `count` or an `until`, not both or none.")
        if self.count is not None and not 1 <= self.count <= MAX_OCCURRENCES:
            raise BadUserInput(
                f"A series has 1 to {MAX_OCCURRENCES} occurrences; got {self.count}.",
                field="count",
            )


@dataclass(frozen=True)
class Occurrence:
    """One start of a series: `exists` is False for a wall time the clock skips that day."""

    starts_at: datetime
    exists: bool = True


def wall_time(local: datetime, tz: ZoneInfo) -> Occurrence:
    """The UTC instant of a naive wall time in `tz` (the earlier one when the clock repeats
    it); not existing when the clock skips it (spring forward)."""
    aware = local.replace(tzinfo=tz)
    instant = aware.astimezone(UTC)
    exists = instant.astimezone(tz).replace(tzinfo=None) == local
    return Occurrence(instant, exists)


def occurrences(first: datetime, tz: ZoneInfo, recurrence: Recurrence) -> list[Occurrence]:
    """Every start of the series from `first`, on the wall clock of `tz`. MONTHLY repeats the
    weekday of the month of `first` (the 2nd Tuesday; a 5th one becomes the last one, which
    every month has). More than 52 is BAD_USER_INPUT."""
    recurrence.check()
    local = first.astimezone(tz).replace(tzinfo=None)
    until = recurrence.until.astimezone(tz).replace(tzinfo=None) if recurrence.until else None
    if until is not None and until < local:
        raise BadUserInput("`until` must not come before the first start.", field="until")
    if recurrence.frequency == RecurrenceFrequency.WEEKLY:
        rule = rrule.rrule(
            rrule.WEEKLY,
            interval=recurrence.interval,
            dtstart=local,
            count=recurrence.count,
            until=until,
        )
    else:
        nth = (local.day - 1) // 7 + 1
        weekday = rrule.weekday(local.weekday())(-1 if nth == 5 else nth)
        rule = rrule.rrule(
            rrule.MONTHLY,
            interval=recurrence.interval,
            dtstart=local,
            byweekday=weekday,
            count=recurrence.count,
            until=until,
        )
    starts = list(islice(rule, MAX_OCCURRENCES + 1))
    if len(starts) > MAX_OCCURRENCES:
        raise BadUserInput(
            f"A series has at most {MAX_OCCURRENCES} occurrences; end it sooner.", field="until"
        )
    return [wall_time(s, tz) for s in starts]


@dataclass
class SeriesView:
    """A series as booked: its row, the sessions booked and the starts skipped."""

    row: SessionSeries
    sessions: list[CoachingSession] = field(default_factory=list)
    skipped: list[datetime] = field(default_factory=list)


async def _zone(session: AsyncSession, coach_id: int) -> ZoneInfo:
    name = await session.scalar(sa.select(col(User.time_zone)).where(col(User.id) == coach_id))
    return clock.zone(name or "UTC")


async def book_series(
    db: Database,
    viewer: Viewer | None,
    *,
    client_id: int,
    service_id: int,
    starts_at: datetime,
    recurrence: Recurrence,
    customer_notes: str | None = None,
    private_notes: str | None = None,
) -> SeriesView:
    """Book a series with one of the coach's clients, in one transaction: every occurrence the
    placement rule allows is booked (CONFIRMED, the client told of each, with its invitation);
    the others are listed as skipped. None fitting at all is CONFLICT, writing nothing."""
    coach = require_coach(viewer)
    recurrence.check()
    text.checked_text(customer_notes, "customerNotes", text.NOTES)
    text.checked_text(private_notes, "privateNotes", text.NOTES)
    if starts_at <= clock.now():
        raise BadUserInput(
            f"A series must start in the future; {starts_at.isoformat()} has passed."
        )
    await schedulable_client(db, coach, client_id)
    async with db.transaction() as session:
        service = await coach_service(session, coach.id, service_id)
        if service.archived_at is not None:
            raise BadUserInput(f"The service {service.name!r} is archived and takes no bookings.")
        await lock_schedule(session, coach.id)
        starts = occurrences(starts_at, await _zone(session, coach.id), recurrence)
        schedule = await load_schedule(session, coach.id, starts[0].starts_at, starts[-1].starts_at)
        series = SessionSeries(
            coach_id=coach.id,
            client_id=client_id,
            service_id=service_id,
            frequency=recurrence.frequency.value,
            interval=recurrence.interval,
        )
        session.add(series)
        await session.flush()
        assert series.id is not None
        view = SeriesView(series)
        first_refusal = None
        for occurrence in starts:
            refused = (
                schedule.refusal(occurrence.starts_at, service.duration_minutes)
                if occurrence.exists
                else BadUserInput("That wall time does not exist on the day (the clock skips it).")
            )
            if refused is not None:
                first_refusal = first_refusal or refused
                view.skipped.append(occurrence.starts_at)
                continue
            booked = await place_session(
                session,
                service,
                client_id,
                occurrence.starts_at,
                status=SessionStatus.CONFIRMED,
                customer_notes=customer_notes,
                private_notes=private_notes,
                schedule=schedule,
                series_id=series.id,
            )
            view.sessions.append(booked)
            await notify(
                session,
                client_id,
                MessageKind.SESSION_BOOKED,
                session_message(booked),
                session_id=booked.id,
            )
        if not view.sessions:
            assert first_refusal is not None
            raise Conflict(
                f"None of the {len(starts)} occurrences fits; the first: {first_refusal.message}"
            )
        session.add_all(SeriesSkip(series_id=series.id, starts_at=s) for s in view.skipped)
    return view


async def _following(session: AsyncSession, s: CoachingSession) -> list[CoachingSession]:
    """The later non-final occurrences of the series of `s` (none when it has no series),
    row-locked, earliest first."""
    if s.series_id is None:
        return []
    rows = await session.scalars(
        sa.select(CoachingSession)
        .where(
            col(CoachingSession.series_id) == s.series_id,
            col(CoachingSession.coach_id) == s.coach_id,
            col(CoachingSession.status).in_([v.value for v in LIVE]),
            col(CoachingSession.starts_at) > s.starts_at,
        )
        .order_by(col(CoachingSession.starts_at), col(CoachingSession.id))
        .with_for_update()
    )
    return list(rows.all())


async def reschedule(
    db: Database,
    viewer: Viewer | None,
    session_id: int,
    starts_at: datetime,
    reason: str | None,
    scope: SeriesScope,
) -> CoachingSession:
    """The coach moves a session (THIS) or it and every later non-final occurrence of its
    series by the same wall-clock change in the coach's zone (THIS_AND_FOLLOWING): all or
    nothing, CONFLICT naming every occurrence that does not fit. Each moved occurrence gets its
    own invitation, reminders and event, as a single move does."""
    if scope == SeriesScope.THIS:
        return await reschedule_session(db, viewer, session_id, starts_at, reason)
    coach = require_coach(viewer)
    text.checked_text(reason, "reason", text.REASON)
    async with db.transaction() as session:
        await lock_schedule(session, coach.id)
        s = await own_session(session, coach, session_id)
        if s.status not in LIVE:
            raise Conflict(f"A {s.status} session cannot be rescheduled.")
        tz = await _zone(session, coach.id)
        shift = starts_at.astimezone(tz).replace(tzinfo=None) - s.starts_at.astimezone(tz).replace(
            tzinfo=None
        )
        targets = [(s, Occurrence(starts_at))] + [
            (o, wall_time(o.starts_at.astimezone(tz).replace(tzinfo=None) + shift, tz))
            for o in await _following(session, s)
        ]
        schedule = await load_schedule(
            session, coach.id, min(t.starts_at for _, t in targets),
            max(t.starts_at for _, t in targets),
        )  # fmt: skip
        schedule.release({o.id for o, _ in targets if o.id is not None})
        misfits: list[str] = []
        for occurrence, target in targets:
            assert occurrence.id is not None
            refused = (
                schedule.refusal(target.starts_at, occurrence.duration_minutes)
                if target.exists
                else BadUserInput("that wall time does not exist on the day")
            )
            if refused is None:
                schedule.take(occurrence.id, target.starts_at, target.starts_at + (
                    occurrence.ends_at - occurrence.starts_at
                ))  # fmt: skip
            else:
                when = f"{target.starts_at.astimezone(tz):%a %Y-%m-%d %H:%M}"
                misfits.append(f"session {occurrence.id} to {when}: {refused.message}")
        if misfits:
            raise Conflict(
                f"{len(misfits)} of {len(targets)} occurrences do not fit, so none moved: "
                + "; ".join(misfits)
            )
        for occurrence, target in targets:
            ends_at = target.starts_at + (occurrence.ends_at - occurrence.starts_at)
            await move_occurrence(session, occurrence, target.starts_at, ends_at, reason)
    return s


async def cancel(
    db: Database,
    viewer: Viewer | None,
    session_id: int,
    reason: str | None,
    scope: SeriesScope,
) -> CoachingSession:
    """The coach cancels a session (THIS) or it and every later non-final occurrence of its
    series (THIS_AND_FOLLOWING), in one transaction; each occurrence is cancelled as a single
    cancellation is (invitation CANCEL, reminders dropped, event, the client told)."""
    if scope == SeriesScope.THIS:
        return await update_status(db, viewer, session_id, SessionStatus.CANCELLED, reason)
    coach = require_coach(viewer)
    text.checked_text(reason, "reason", text.REASON)
    async with db.transaction() as session:
        await lock_schedule(session, coach.id)
        s = await own_session(session, coach, session_id)
        refusal = transition_refusal(s, SessionStatus.CANCELLED, clock.now())
        if refusal:
            raise Conflict(refusal)
        for occurrence in [s, *await _following(session, s)]:
            await cancel_occurrence(session, occurrence, reason)
    return s
