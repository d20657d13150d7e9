"""Homework status and the My Clients badge, computed from an assignment and the current time."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from coach_graph.clients.activity import local_date
from coach_graph.homework.models import Homework


class HomeworkStatus(StrEnum):
    COMPLETED = "COMPLETED"  # the client finished the lesson
    ASSIGNED = "ASSIGNED"  # pending, not past its expiry
    OVERDUE = "OVERDUE"  # expiry passed, not completed


class HomeworkBadge(StrEnum):
    COMPLETED = "COMPLETED"
    ASSIGNED = "ASSIGNED"  # pending, due later than tomorrow or with no expiry
    DUE_TODAY = "DUE_TODAY"
    DUE_TOMORROW = "DUE_TOMORROW"
    OVERDUE = "OVERDUE"
    NONE = "NONE"  # nothing assigned


def homework_status(homework: Homework, now: datetime) -> HomeworkStatus:
    """COMPLETED once completed (even late); OVERDUE from the expiry instant on; else ASSIGNED."""
    if homework.completed_at is not None:
        return HomeworkStatus.COMPLETED
    if homework.expires_at is not None and homework.expires_at <= now:
        return HomeworkStatus.OVERDUE
    return HomeworkStatus.ASSIGNED


def homework_badge(latest: Homework | None, now: datetime, time_zone: str) -> HomeworkBadge:
    """The badge of a client's most recent assignment; due dates are days of the viewer's zone."""
    if latest is None:
        return HomeworkBadge.NONE
    status = homework_status(latest, now)
    if status is HomeworkStatus.COMPLETED:
        return HomeworkBadge.COMPLETED
    if status is HomeworkStatus.OVERDUE:
        return HomeworkBadge.OVERDUE
    if latest.expires_at is None:
        return HomeworkBadge.ASSIGNED
    due = local_date(latest.expires_at, time_zone)
    today = local_date(now, time_zone)
    if due == today:
        return HomeworkBadge.DUE_TODAY
    if due == today + timedelta(days=1):
        return HomeworkBadge.DUE_TOMORROW
    return HomeworkBadge.ASSIGNED
