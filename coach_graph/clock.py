"""The one source of time. Production reads the system clock; tests install a ManualClock and
move it, so no rule with a duration (48 hours, thresholds, expiry) is ever tested by sleeping.

Also the one way a moment is told to a person (`local_time`): in their time zone, named."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)


_current: Clock = SystemClock()


def now() -> datetime:
    """The current time, aware, in UTC."""
    return _current.now()


def install(clock: Clock) -> Clock:
    """Replace the clock; returns the previous one."""
    global _current
    previous, _current = _current, clock
    return previous


@contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """Use `clock` inside the block."""
    previous = install(clock)
    try:
        yield clock
    finally:
        install(previous)


def as_utc(value: datetime) -> datetime:
    """Normalise an aware datetime (or a naive one read back from SQLite, stored as UTC) to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def zone(name: str) -> ZoneInfo:
    """The time zone of that name; UTC when the name is unknown to this system."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(moment: datetime, time_zone: str) -> str:
    """A moment as a person reads it, in their time zone and naming it, e.g. "Monday 02 March
    2026, 11:00 (Europe/Berlin)": every time in a notification, a mail or an alert's text."""
    local = as_utc(moment).astimezone(zone(time_zone))
    return f"{local:%A %d %B %Y, %H:%M} ({local.tzinfo})"
