"""The three alert rules of SPEC.md (inactivity, homework, journal), once.

Each rule is one SQL condition built from a cut-off instant: the attention cards
(`clients.service.needs_attention`, whose inactivity rule and condition are in
`clients.inactivity`), the stats grid (`alerts.service.notification_stats`) and the evaluator
all use these functions, so they can never disagree. Days are whole calendar days in
the coach's time zone: "inactive for more than 7 days" means the last activity fell on a day
before the day 7 days before today, wherever the coach lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.alerts.models import AlertSettings
from coach_graph.clients.inactivity import Rule as Rule  # alerts.types and tests name it here
from coach_graph.clients.inactivity import activity_since as activity_since  # the evaluator's
from coach_graph.clients.inactivity import day_cutoff
from coach_graph.clients.inactivity import inactive as inactive  # the evaluator's and stats'
from coach_graph.clients.models import CoachClient
from coach_graph.homework.models import Homework
from coach_graph.journals.models import JournalEntry

MIN_DAYS, MAX_DAYS = 1, 365


@dataclass(frozen=True, slots=True)
class AlertRules:
    """A coach's three rules."""

    inactivity: Rule
    homework: Rule
    journal: Rule

    @classmethod
    def of(cls, row: AlertSettings) -> AlertRules:
        return cls(
            inactivity=Rule(row.inactivity_enabled, row.inactivity_days),
            homework=Rule(row.homework_enabled, row.homework_days),
            journal=Rule(row.journal_enabled, row.journal_days),
        )


DEFAULT_RULES = AlertRules(inactivity=Rule(True, 7), homework=Rule(True, 1), journal=Rule(True, 7))


async def rules_of(session: AsyncSession, coach_id: int) -> AlertRules:
    """The coach's rules; the defaults of SPEC.md when none were saved."""
    row = await session.get(AlertSettings, coach_id)
    return DEFAULT_RULES if row is None else AlertRules.of(row)


async def inactivity_rule_of(session: AsyncSession, coach_id: int) -> Rule:
    """The coach's inactivity rule (what `clients.inactivity.rule_of` reads, once wired)."""
    return (await rules_of(session, coach_id)).inactivity


# ---------- the anchors each rule counts from ----------


def last_journal_entries() -> sa.Subquery:
    """Each client's newest journal entry time (one GROUP BY for every client)."""
    return (
        sa.select(
            col(JournalEntry.client_id).label("client_id"),
            sa.func.max(col(JournalEntry.created_at)).label("last_at"),
        )
        .group_by(col(JournalEntry.client_id))
        .subquery("last_journal")
    )


def last_journal_entry() -> sa.ScalarSelect[Any]:
    """The newest entry time of the coach_client row's client (a correlated subquery)."""
    return (
        sa.select(sa.func.max(col(JournalEntry.created_at)))
        .where(col(JournalEntry.client_id) == col(CoachClient.client_id))
        .scalar_subquery()
    )


def journal_since(last_at: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The journal rule counts from the newest entry (`last_at`: from `last_journal_entries` or
    `last_journal_entry`), or from the link when the client never wrote."""
    return sa.func.coalesce(last_at, col(CoachClient.linked_at))


# ---------- the rules, as SQL conditions ----------


def no_activity_within(rule: Rule, now: datetime, time_zone: str) -> sa.ColumnElement[bool]:
    """The stat inactiveClients: never active, or last active more than `rule.days` days ago."""
    last = col(User.last_active_at)
    return sa.or_(last.is_(None), last < day_cutoff(rule.days, now, time_zone))


def journal_silent(
    rule: Rule, last_at: sa.ColumnElement[Any], now: datetime, time_zone: str
) -> sa.ColumnElement[bool]:
    """JOURNAL: no entry (or link) for more than `rule.days` calendar days."""
    return journal_since(last_at) < day_cutoff(rule.days, now, time_zone)


def homework_replaced() -> sa.ColumnElement[bool]:
    """A later assignment of the same coach to the same client exists (by assignment time, then
    id, as the homework badge reads "the latest"): the homework was replaced."""
    later = sa.orm.aliased(Homework)
    return sa.exists().where(
        col(later.coach_id) == col(Homework.coach_id),
        col(later.client_id) == col(Homework.client_id),
        sa.or_(
            col(later.assigned_at) > col(Homework.assigned_at),
            sa.and_(
                col(later.assigned_at) == col(Homework.assigned_at),
                col(later.id) > col(Homework.id),
            ),
        ),
    )


def homework_overdue(rule: Rule, now: datetime) -> sa.ColumnElement[bool]:
    """HOMEWORK: the client's latest assignment from the coach (one replaced by a newer one no
    longer counts), not completed, and past its expiry by at least `rule.days` days. An expiry
    is an instant (due at 18:00), not a day of silence, so its lateness is whole days of 24
    hours."""
    return sa.and_(
        col(Homework.completed_at).is_(None),
        col(Homework.expires_at).is_not(None),
        col(Homework.expires_at) <= now - timedelta(days=rule.days),
        ~homework_replaced(),
    )
