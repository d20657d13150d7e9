"""Weekly availability in the coach's time zone: parsing "HH:MM", whether a session fits, and
the free start times (slots) in a period. Local times are turned into UTC per day with zoneinfo,
so hours stay right across daylight-saving changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from coach_graph.errors import BadUserInput


class Weekday(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


WEEKDAYS = tuple(Weekday)  # index = date.weekday()
# Slots start on this grid inside each window.
SLOT_STEP = timedelta(minutes=15)
# availableSlots answers for at most this long a period, so one call stays bounded.
MAX_SLOT_PERIOD = timedelta(days=62)


@dataclass(frozen=True, slots=True)
class Window:
    """Weekly hours: weekday 0 = Monday; minutes after local midnight, end exclusive."""

    weekday: int
    start_minute: int
    end_minute: int


def parse_hhmm(value: str, *, allow_midnight_end: bool = False) -> int:
    """Minutes after midnight of "HH:MM" (24-hour clock; "24:00" only as an end)."""
    try:
        hours, minutes = value.strip().split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError
        h, m = int(hours), int(minutes)
    except ValueError:
        raise BadUserInput(f"{value!r} is not a time of day; use HH:MM, e.g. 09:00.") from None
    total = h * 60 + m
    if not (0 <= m < 60 and (0 <= h < 24 or (allow_midnight_end and total == 24 * 60))):
        raise BadUserInput(f"{value!r} is not a time of day; use HH:MM, e.g. 09:00.")
    return total


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def validate_windows(windows: Sequence[Window]) -> list[Window]:
    """Windows that start before they end and do not overlap on a weekday, sorted."""
    ordered = sorted(windows, key=lambda w: (w.weekday, w.start_minute))
    for w in ordered:
        if w.start_minute >= w.end_minute:
            raise BadUserInput(
                f"An availability window on {WEEKDAYS[w.weekday].title()} must end after it "
                f"starts ({format_hhmm(w.start_minute)}-{format_hhmm(w.end_minute)})."
            )
    for a, b in pairwise(ordered):
        if a.weekday == b.weekday and b.start_minute < a.end_minute:
            raise BadUserInput(
                f"Availability windows on {WEEKDAYS[a.weekday].title()} overlap "
                f"({format_hhmm(a.start_minute)}-{format_hhmm(a.end_minute)} and "
                f"{format_hhmm(b.start_minute)}-{format_hhmm(b.end_minute)})."
            )
    return ordered


def _local(day: date, minute: int, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall time, or None when that wall time does not exist (the hour
    skipped when clocks go forward)."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    aware = naive.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != naive:
        return None
    return aware.astimezone(UTC)


def fits(windows: Iterable[Window], tz: ZoneInfo, starts_at: datetime, ends_at: datetime) -> bool:
    """Whether [starts_at, ends_at) lies inside one window on the local day of its start."""
    local_start = starts_at.astimezone(tz)
    day = local_start.date()
    for w in windows:
        if w.weekday != day.weekday():
            continue
        opens = _local(day, w.start_minute, tz)
        closes = _local(day, w.end_minute, tz)
        if opens is None or closes is None:
            continue
        if opens <= starts_at and ends_at <= closes:
            return True
    return False


def candidate_starts(
    windows: Sequence[Window], tz: ZoneInfo, start: datetime, end: datetime, duration: timedelta
) -> list[datetime]:
    """Every start on the slot grid in [start, end) where a session of `duration` fits a window
    (busy times are not considered here)."""
    result: list[datetime] = []
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    while day <= last:
        for w in windows:
            if w.weekday != day.weekday():
                continue
            opens = _local(day, w.start_minute, tz)
            closes = _local(day, w.end_minute, tz)
            if opens is None or closes is None:
                continue
            slot = opens
            while slot + duration <= closes:
                if start <= slot < end:
                    result.append(slot)
                slot += SLOT_STEP
        day += timedelta(days=1)
    return sorted(result)


def overlaps(start: datetime, end: datetime, busy: Iterable[tuple[datetime, datetime]]) -> bool:
    return any(b_start < end and start < b_end for b_start, b_end in busy)
