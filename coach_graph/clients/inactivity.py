"""Inactivity, counted in the coach's calendar days: the threshold rule and its SQL condition,
once (the attention cards here, alerts' evaluator and stats through `alerts.rules`).

The coach's threshold is one of their alert settings, which the alerts domain (above this one)
keeps: alerts offers how to read it (`alerts.rules.inactivity_rule_of`) and the composition root
(`reactions.wire()`) plugs it in with `read_rule_with`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.clients.activity import local_date, start_of_local_day
from coach_graph.clients.models import CoachClient


@dataclass(frozen=True, slots=True)
class Rule:
    """One alert rule: whether it raises alerts, and its threshold in whole days."""

    enabled: bool
    days: int


def day_cutoff(days: int, now: datetime, time_zone: str) -> datetime:
    """The first instant of the day `days` days before today (in `time_zone`): a moment before
    it lies more than `days` whole calendar days ago."""
    return start_of_local_day(local_date(now, time_zone) - timedelta(days=days), time_zone)


def activity_since() -> sa.ColumnElement[Any]:
    """Inactivity counts from the last activity, or from the link when never active (rows of
    user_account joined to coach_client)."""
    return sa.func.coalesce(col(User.last_active_at), col(CoachClient.linked_at))


def inactive(rule: Rule, now: datetime, time_zone: str) -> sa.ColumnElement[bool]:
    """INACTIVITY: no activity (or link) for more than `rule.days` calendar days."""
    return activity_since() < day_cutoff(rule.days, now, time_zone)


RuleReader = Callable[[AsyncSession, int], Awaitable[Rule]]
_readers: list[RuleReader] = []


def read_rule_with(reader: RuleReader) -> None:
    """Read coaches' inactivity rules with `reader` (set once by `reactions.wire()`)."""
    _readers[:] = [reader]


async def rule_of(session: AsyncSession, coach_id: int) -> Rule:
    """The coach's inactivity rule, as their alert settings hold it."""
    if not _readers:
        raise RuntimeError("No inactivity rule reader: call coach_graph.reactions.wire() first.")
    return await _readers[0](session, coach_id)
