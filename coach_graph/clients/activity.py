"""How recently a client was active, counted in calendar days of the viewer's time zone.

"Today" and "yesterday" are the viewer's (the coach's) days, so a client active at 23:30 in
Auckland was active "today" for an Auckland coach even though it is already tomorrow in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coach_graph.clock import as_utc


class ActivityLevel(StrEnum):
    ACTIVE = "ACTIVE"  # today or yesterday
    RECENT = "RECENT"  # 2 to 5 days ago
    INACTIVE = "INACTIVE"  # more than 5 days ago
    NEVER = "NEVER"  # never used the app


RECENT_UNTIL_DAYS = 5


def zone(name: str) -> ZoneInfo:
    """The viewer's time zone; an unknown name (never stored, but be safe) falls back to UTC."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_date(moment: datetime, time_zone: str) -> date:
    """The calendar day `moment` falls on in `time_zone`."""
    return as_utc(moment).astimezone(zone(time_zone)).date()


def start_of_local_day(day: date, time_zone: str) -> datetime:
    """The first instant of `day` in `time_zone`, as an aware datetime in UTC."""
    return as_utc(datetime.combine(day, time.min, tzinfo=zone(time_zone)))


def days_between(earlier: datetime, now: datetime, time_zone: str) -> int:
    """Whole calendar days from `earlier` to `now` in `time_zone` (0 = the same day)."""
    return max(0, (local_date(now, time_zone) - local_date(earlier, time_zone)).days)


def days_inactive(last_active_at: datetime | None, now: datetime, time_zone: str) -> int | None:
    """Calendar days since the client was last active; None when never active."""
    if last_active_at is None:
        return None
    return days_between(last_active_at, now, time_zone)


def activity_level(last_active_at: datetime | None, now: datetime, time_zone: str) -> ActivityLevel:
    """ACTIVE today or yesterday, RECENT 2 to 5 days ago, INACTIVE longer, NEVER if never."""
    days = days_inactive(last_active_at, now, time_zone)
    if days is None:
        return ActivityLevel.NEVER
    if days <= 1:
        return ActivityLevel.ACTIVE
    if days <= RECENT_UNTIL_DAYS:
        return ActivityLevel.RECENT
    return ActivityLevel.INACTIVE
