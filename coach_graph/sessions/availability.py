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


# A UTC range [start, end).
Range = tuple[datetime, datetime]


def weekly_ranges(
    windows: Iterable[Window], tz: ZoneInfo, start: datetime, end: datetime
) -> list[Range]:
    """The weekly hours of every local day touching [start, end), as UTC ranges (a window whose
    wall time does not exist that day, in the hour skipped when clocks go forward, is left out)."""
    ranges: list[Range] = []
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    windows = list(windows)
    while day <= last:
        for w in windows:
            if w.weekday != day.weekday():
                continue
            opens = _local(day, w.start_minute, tz)
            closes = _local(day, w.end_minute, tz)
            if opens is not None and closes is not None:
                ranges.append((opens, closes))
        day += timedelta(days=1)
    return ranges


def merged(ranges: Iterable[Range]) -> list[Range]:
    """The union of ranges as sorted, disjoint ranges (touching ones joined)."""
    result: list[Range] = []
    for r_start, r_end in sorted(ranges):
        if result and r_start <= result[-1][1]:
            if r_end > result[-1][1]:
                result[-1] = (result[-1][0], r_end)
        else:
            result.append((r_start, r_end))
    return result


def fits(open_ranges: Iterable[Range], starts_at: datetime, ends_at: datetime) -> bool:
    """Whether [starts_at, ends_at) lies inside one of the (merged) open ranges."""
    return any(o_start <= starts_at and ends_at <= o_end for o_start, o_end in open_ranges)


def candidate_starts(
    open_ranges: Iterable[Range], start: datetime, end: datetime, duration: timedelta
) -> list[datetime]:
    """Every start in [start, end) on the slot grid of each open range (counted from its
    opening) where a session of `duration` fits the range (nothing else is considered here)."""
    result: list[datetime] = []
    for opens, closes in open_ranges:
        slot = opens
        if slot < start:  # jump to the grid's first step at or after `start`
            slot += SLOT_STEP * -((opens - start) // SLOT_STEP)
        while slot + duration <= closes and slot < end:
            result.append(slot)
            slot += SLOT_STEP
    return sorted(result)
