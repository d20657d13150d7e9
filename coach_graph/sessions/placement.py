"""The one placement rule: where a session of a coach may start. In the future; for a client's
own booking or move, inside the coach's minimum notice and booking window; inside the coach's
open hours (weekly hours plus extra hours, less time off); and with the coach's buffer free of
every other session (cancelled ones aside). Every booking and move asks it (call after
`setup.lock_schedule`): `check_placement` for one session, a loaded `Schedule` for many."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.errors import AppError, BadUserInput, Conflict
from coach_graph.sessions.availability import (
    Range,
    Window,
    candidate_starts,
    fits,
    merged,
    weekly_ranges,
)
from coach_graph.sessions.models import (
    AvailabilityException,
    AvailabilityWindow,
    CoachingSession,
    SessionStatus,
)
from coach_graph.sessions.rules import Rules, rules_of


@dataclass
class Schedule:
    """What a coach's schedule holds over a span, loaded once: their zone, rules, open ranges,
    time off and the sessions that take time. Placing a session here adds it (`take`)."""

    coach_id: int
    tz: ZoneInfo
    rules: Rules
    open_ranges: list[Range]
    time_off: list[tuple[Range, str | None]]
    busy: list[tuple[int, Range]] = field(default_factory=list)

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.rules.buffer_minutes)

    def refusal(
        self,
        starts_at: datetime,
        duration_minutes: int,
        *,
        by_client: bool = False,
        ignore: frozenset[int] = frozenset(),
    ) -> AppError | None:
        """Why a session of that length may not start then (None: it may). `ignore`: sessions
        that do not count as taking time (the ones being moved)."""
        now = clock.now()
        if starts_at <= now:
            return BadUserInput(
                f"A session must start in the future; {starts_at.isoformat()} has passed."
            )
        if by_client:
            notice = self.rules.minimum_notice_hours
            if starts_at < now + timedelta(hours=notice):
                return BadUserInput(
                    f"Book at least {notice} hours ahead; {starts_at.isoformat()} is too soon."
                )
            window = self.rules.booking_window_days
            if starts_at > now + timedelta(days=window):
                return BadUserInput(
                    f"This coach takes bookings up to {window} days ahead; "
                    f"{starts_at.isoformat()} is too far."
                )
        ends_at = starts_at + timedelta(minutes=duration_minutes)
        if not fits(self.open_ranges, starts_at, ends_at):
            return BadUserInput(
                f"{self._local(starts_at)} for {duration_minutes} minutes is outside the coach's "
                "availability."
            )
        for (off_start, off_end), note in self.time_off:
            if off_start < ends_at and starts_at < off_end:
                return BadUserInput(
                    f"{self._local(starts_at)} is in the coach's time off"
                    + (f" ({note})." if note else ".")
                )
        buffer = self.buffer
        kept_from, kept_until = starts_at - buffer, ends_at + buffer
        for session_id, (b_start, b_end) in self.busy:
            if b_start < kept_until and kept_from < b_end and session_id not in ignore:
                what = "overlaps" if b_start < ends_at and starts_at < b_end else (
                    f"leaves less than the coach's {self.rules.buffer_minutes}-minute buffer "
                    "to"
                )  # fmt: skip
                return Conflict(
                    f"That time {what} another session ({b_start.isoformat()} to "
                    f"{b_end.isoformat()})."
                )
        return None

    def is_open(self, starts_at: datetime, ends_at: datetime) -> bool:
        """Whether [starts_at, ends_at) lies inside the open hours (weekly plus extra hours;
        time off, rules and sessions aside)."""
        return fits(self.open_ranges, starts_at, ends_at)

    def free_starts(
        self, start: datetime, end: datetime, duration_minutes: int, *, by_client: bool = False
    ) -> Iterator[datetime]:
        """The slots: starts in [start, end) on the slot grid of the open hours that the rule
        takes for a session of that length, earliest first (`availableSlots`, the waitlist)."""
        duration = timedelta(minutes=duration_minutes)
        for slot in candidate_starts(self.open_ranges, start, end, duration):
            if self.refusal(slot, duration_minutes, by_client=by_client) is None:
                yield slot

    def _local(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.tz):%A %Y-%m-%d %H:%M} ({self.tz.key})"

    def check(
        self,
        starts_at: datetime,
        duration_minutes: int,
        *,
        by_client: bool = False,
        ignore: frozenset[int] = frozenset(),
    ) -> datetime:
        """Raise the refusal, if any; else the end."""
        refused = self.refusal(starts_at, duration_minutes, by_client=by_client, ignore=ignore)
        if refused is not None:
            raise refused
        return starts_at + timedelta(minutes=duration_minutes)

    def release(self, session_ids: set[int]) -> None:
        """These sessions no longer take time here (they are about to be moved)."""
        self.busy = [b for b in self.busy if b[0] not in session_ids]

    def take(self, session_id: int, starts_at: datetime, ends_at: datetime) -> None:
        """A session placed (or moved) here now takes that time."""
        self.busy = [b for b in self.busy if b[0] != session_id]
        self.busy.append((session_id, (starts_at, ends_at)))


async def load_schedule(
    session: AsyncSession,
    coach_id: int,
    start: datetime,
    end: datetime,
    *,
    without_exception: int | None = None,
) -> Schedule:
    """The coach's schedule for sessions starting in [start, end] (as it was without the
    exception `without_exception`, when given)."""
    row = await session.execute(sa.select(col(User.time_zone)).where(col(User.id) == coach_id))
    tz = clock.zone(row.scalar_one_or_none() or "UTC")
    rules = await rules_of(session, coach_id)
    margin = timedelta(days=1) + timedelta(minutes=rules.buffer_minutes)
    lo, hi = start - margin, end + margin
    windows = [
        Window(*r)
        for r in (
            await session.execute(
                sa.select(
                    col(AvailabilityWindow.weekday),
                    col(AvailabilityWindow.start_minute),
                    col(AvailabilityWindow.end_minute),
                ).where(col(AvailabilityWindow.coach_id) == coach_id)
            )
        ).all()
    ]
    exceptions = (
        await session.scalars(
            sa.select(AvailabilityException).where(
                col(AvailabilityException.coach_id) == coach_id,
                col(AvailabilityException.ends_at) > lo,
                col(AvailabilityException.starts_at) < hi,
                col(AvailabilityException.id) != (without_exception or 0),
            )
        )
    ).all()
    extra = [(e.starts_at, e.ends_at) for e in exceptions if e.available]
    busy = (
        await session.execute(
            sa.select(
                col(CoachingSession.id),
                col(CoachingSession.starts_at),
                col(CoachingSession.ends_at),
            ).where(
                col(CoachingSession.coach_id) == coach_id,
                col(CoachingSession.status) != SessionStatus.CANCELLED,
                col(CoachingSession.starts_at) < hi,
                col(CoachingSession.ends_at) > lo,
            )
        )
    ).all()
    return Schedule(
        coach_id=coach_id,
        tz=tz,
        rules=rules,
        open_ranges=merged(weekly_ranges(windows, tz, lo, hi) + extra),
        time_off=[((e.starts_at, e.ends_at), e.note) for e in exceptions if not e.available],
        busy=[(i, (s, e)) for i, s, e in busy if i is not None],
    )


async def check_placement(
    session: AsyncSession,
    coach_id: int,
    starts_at: datetime,
    duration_minutes: int,
    *,
    exclude_session_id: int | None = None,
    by_client: bool = False,
) -> datetime:
    """Refuse a start that the placement rule refuses (see `Schedule.refusal`); `by_client`: a
    client's own booking or move (notice and window apply). Call after `lock_schedule`.
    Returns the end."""
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    schedule = await load_schedule(session, coach_id, starts_at, ends_at)
    ignore = frozenset({exclude_session_id}) if exclude_session_id is not None else frozenset()
    return schedule.check(starts_at, duration_minutes, by_client=by_client, ignore=ignore)


def move_session(s: CoachingSession, starts_at: datetime, ends_at: datetime) -> None:
    s.starts_at, s.ends_at, s.scheduled_at = starts_at, ends_at, clock.now()
    s.invite_sequence += 1
