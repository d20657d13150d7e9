"""The Emotions tab: the last entries' scores, and one point per day over a week or a month.

Days are the viewer's days (the coach's time zone when a coach looks), and a day's point is the
mean of that day's analysed entries, stamped at the start of the day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coach_graph import clock
from coach_graph.errors import BadUserInput
from coach_graph.journals.models import EMOTIONS
from coach_graph.journals.reads import EmotionRow

MAX_RECENT = 100


class EmotionRange(StrEnum):
    WEEK = "WEEK"
    MONTH = "MONTH"


RANGE_DAYS = {EmotionRange.WEEK: 7, EmotionRange.MONTH: 30}


@dataclass(frozen=True, slots=True)
class EmotionPointData:
    """Scores at a moment: one entry's, or a day's means."""

    at: datetime
    day: date  # the viewer's calendar day of `at`
    scores: dict[str, float]
    sentiment_score: float | None


def zone(name: str) -> ZoneInfo:
    """The viewer's time zone; UTC when the stored name is unknown to this system."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def check_last(last: int | None) -> int:
    """`last` of recentEmotions, 1 to 100."""
    value = 15 if last is None else last
    if not 1 <= value <= MAX_RECENT:
        raise BadUserInput(f"`last` must be between 1 and {MAX_RECENT}; got {value}.")
    return value


def range_start(emotion_range: EmotionRange, time_zone: str) -> datetime:
    """The start of the first day of the range: today and the 6 (or 29) days before it."""
    tz = zone(time_zone)
    today = clock.now().astimezone(tz).date()
    first = today - timedelta(days=RANGE_DAYS[emotion_range] - 1)
    return datetime.combine(first, time(), tz).astimezone(UTC)


def entry_points(rows: Sequence[EmotionRow], time_zone: str) -> list[EmotionPointData]:
    """One point per entry."""
    tz = zone(time_zone)
    return [
        EmotionPointData(
            r.created_at, r.created_at.astimezone(tz).date(), dict(r.scores), r.sentiment_score
        )
        for r in rows
    ]


def daily_points(rows: Sequence[EmotionRow], time_zone: str) -> list[EmotionPointData]:
    """One point per day with entries (in `time_zone`), each the mean of that day's entries."""
    tz = zone(time_zone)
    days: dict[date, list[EmotionRow]] = defaultdict(list)
    for row in rows:
        days[row.created_at.astimezone(tz).date()].append(row)
    points = []
    for day in sorted(days):
        group = days[day]
        n = len(group)
        points.append(
            EmotionPointData(
                at=datetime.combine(day, time(), tz).astimezone(UTC),
                day=day,
                scores={e: round(sum(r.scores[e] for r in group) / n, 4) for e in EMOTIONS},
                sentiment_score=round(sum(r.sentiment_score for r in group) / n, 4),
            )
        )
    return points
