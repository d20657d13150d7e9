"""The evaluator: raises INACTIVITY, HOMEWORK and JOURNAL alerts for every coach's clients.

Set-based: coaches are grouped by their rules and time zone (every coach on the defaults in one
zone forms one group), and each enabled rule of a group is one SELECT over all of the group's
GRANTED clients, followed by one multi-row INSERT. The number of statements grows with the number
of distinct (rules, time zone) pairs, never with the number of clients. The rules themselves are
`alerts.rules`, shared with the attention cards and the stats grid.

At most one alert per (coach, client, category, cause): the cause names the episode (inactive
since a given time, no journal entry since a given time, one overdue homework), the candidate
queries skip episodes that already have an alert, and the unique constraint with ON CONFLICT DO
NOTHING settles races between a settings save and the background job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.alerts.models import Alert, AlertCategory, AlertSettings, AlertSeverity
from coach_graph.alerts.rules import (
    DEFAULT_RULES,
    AlertRules,
    Rule,
    activity_since,
    homework_overdue,
    inactive,
    journal_silent,
    journal_since,
    last_journal_entries,
    last_journal_entry,
    rules_of,
)
from coach_graph.alerts.store import alert_row, insert_alerts, resolve_where
from coach_graph.clients.activity import days_between
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.homework.models import Homework, Lesson
from coach_graph.jobs import Job

log = logging.getLogger("coach_graph.alerts")


@dataclass(frozen=True)
class _Group:
    """Coaches sharing the same rules and time zone (`ids`: a SELECT of their ids)."""

    rules: AlertRules
    time_zone: str
    ids: sa.Select[int | None]

    @property
    def coaches(self) -> sa.ColumnElement[bool]:
        return col(CoachClient.coach_id).in_(self.ids)


def _same_rules(rules: AlertRules) -> sa.ColumnElement[bool]:
    return col(User.id).in_(
        sa.select(col(AlertSettings.coach_id)).where(
            col(AlertSettings.inactivity_enabled) == rules.inactivity.enabled,
            col(AlertSettings.inactivity_days) == rules.inactivity.days,
            col(AlertSettings.homework_enabled) == rules.homework.enabled,
            col(AlertSettings.homework_days) == rules.homework.days,
            col(AlertSettings.journal_enabled) == rules.journal.enabled,
            col(AlertSettings.journal_days) == rules.journal.days,
        )
    )


def _coaches(*conditions: sa.ColumnElement[bool]) -> sa.Select[int | None]:
    return sa.select(col(User.id)).where(*conditions)


async def _groups(session: AsyncSession, coach_id: int | None) -> list[_Group]:
    if coach_id is not None:
        coach = await session.get(User, coach_id)
        zone = coach.time_zone if coach is not None else "UTC"
        rules = await rules_of(session, coach_id)
        return [_Group(rules, zone, _coaches(col(User.id) == coach_id))]
    rows = (await session.scalars(sa.select(AlertSettings))).all()
    distinct = {AlertRules.of(r) for r in rows}
    zones = (
        await session.scalars(
            sa.select(col(User.time_zone))
            .where(col(User.id).in_(sa.select(col(CoachClient.coach_id))))
            .distinct()
        )
    ).all()
    defaults = col(User.id).not_in(sa.select(col(AlertSettings.coach_id)))
    return [
        _Group(rules, zone, _coaches(coaches, col(User.time_zone) == zone))
        for rules, coaches in [(r, _same_rules(r)) for r in distinct] + [(DEFAULT_RULES, defaults)]
        for zone in zones
    ]


def _granted() -> sa.ColumnElement[bool]:
    return col(CoachClient.consent) == ConsentStatus.GRANTED


def _name(name: str | None, email: str) -> str:
    return name or email


def _no_alert_since(
    category: AlertCategory, anchor: sa.ColumnElement[Any]
) -> sa.ColumnElement[bool]:
    """No alert of `category` for this (coach, client) was raised after `anchor`: the episode
    that began at `anchor` has not been alerted yet."""
    return ~sa.exists().where(
        col(Alert.coach_id) == col(CoachClient.coach_id),
        col(Alert.client_id) == col(CoachClient.client_id),
        col(Alert.category) == category.value,
        col(Alert.created_at) > anchor,
        col(Alert.resolved_at).is_(None),
    )


@dataclass(frozen=True)
class _Silence:
    """A rule counting days of silence from an anchor (the last activity or journal entry, else
    the link): the INACTIVITY and JOURNAL passes differ only in these words and the severity."""

    category: AlertCategory
    cause: str  # the episode: "<cause>:<anchor>"
    title: str  # {who}
    message: str  # {who}, {days}: since the last activity or entry
    message_never: str  # {who}, {days}: never active, or never wrote, since being linked
    severity: Callable[[int, Rule], AlertSeverity]


_INACTIVITY = _Silence(
    AlertCategory.INACTIVITY,
    "inactive-since",
    "{who} is inactive",
    "{who} has not been active for {days} days.",
    "{who} has not used the app since being linked {days} days ago.",
    lambda days, rule: AlertSeverity.CRITICAL if days >= 2 * rule.days else AlertSeverity.WARNING,
)
_JOURNAL = _Silence(
    AlertCategory.JOURNAL,
    "no-journal-since",
    "No journal entries from {who}",
    "{who} has not written a journal entry for {days} days.",
    "{who} has not written a journal entry since being linked {days} days ago.",
    lambda days, rule: AlertSeverity.INFO,
)


async def _silent(
    session: AsyncSession,
    group: _Group,
    now: datetime,
    silence: _Silence,
    rule: Rule,
    last: sa.ColumnElement[Any] | Mapped[Any],
    anchor: sa.ColumnElement[Any],
    silent: sa.ColumnElement[bool],
    *outer: tuple[sa.FromClause, sa.ColumnElement[bool]],
) -> list[dict[str, Any]]:
    """The group's GRANTED clients silent past `rule` (`silent`) in an episode not alerted yet,
    as alert rows: `last` is the last activity or entry (null: never), `anchor` what the days
    count from; `outer` joins what `last` needs."""
    query = sa.select(
        col(CoachClient.coach_id),
        col(User.id),
        col(User.name),
        col(User.email),
        last,
        anchor.label("anchor"),
    ).join(User, col(User.id) == col(CoachClient.client_id))
    for table, on in outer:
        query = query.outerjoin(table, on)
    rows = await session.execute(
        query.where(_granted(), group.coaches, silent, _no_alert_since(silence.category, anchor))
    )
    alerts = []
    for coach_id, client_id, name, email, last_at, since in rows:
        assert client_id is not None
        days = days_between(since, now, group.time_zone)
        who = _name(name, email)
        message = silence.message if last_at is not None else silence.message_never
        alerts.append(
            alert_row(
                coach_id,
                client_id,
                silence.category,
                silence.severity(days, rule),
                f"{silence.cause}:{since.isoformat()}",
                silence.title.format(who=who),
                message.format(who=who, days=days),
                now,
            )
        )
    return alerts


async def _inactivity(session: AsyncSession, group: _Group, now: datetime) -> list[dict[str, Any]]:
    rule = group.rules.inactivity
    silent = inactive(rule, now, group.time_zone)
    last = col(User.last_active_at)
    return await _silent(session, group, now, _INACTIVITY, rule, last, activity_since(), silent)


async def _journal(session: AsyncSession, group: _Group, now: datetime) -> list[dict[str, Any]]:
    rule = group.rules.journal
    last = last_journal_entries()
    silent = journal_silent(rule, last.c.last_at, now, group.time_zone)
    anchor = journal_since(last.c.last_at)
    joined = (last, last.c.client_id == col(CoachClient.client_id))
    return await _silent(
        session, group, now, _JOURNAL, rule, last.c.last_at, anchor, silent, joined
    )


async def _homework(session: AsyncSession, group: _Group, now: datetime) -> list[dict[str, Any]]:
    rule = group.rules.homework
    alerted = sa.exists().where(
        col(Alert.coach_id) == col(Homework.coach_id),
        col(Alert.category) == AlertCategory.HOMEWORK.value,
        col(Alert.subject_id) == col(Homework.id),
        col(Alert.resolved_at).is_(None),
    )
    rows = await session.execute(
        sa.select(
            col(Homework.coach_id),
            col(Homework.client_id),
            col(Homework.id),
            col(Homework.expires_at),
            col(Lesson.title),
            col(User.name),
            col(User.email),
        )
        .join(
            CoachClient,
            sa.and_(
                col(CoachClient.coach_id) == col(Homework.coach_id),
                col(CoachClient.client_id) == col(Homework.client_id),
            ),
        )
        .join(User, col(User.id) == col(Homework.client_id))
        .join(Lesson, col(Lesson.id) == col(Homework.lesson_id))
        .where(
            _granted(),
            group.coaches,
            homework_overdue(rule, now),
            ~alerted,
        )
    )
    alerts = []
    for coach_id, client_id, homework_id, expires_at, lesson, name, email in rows:
        assert expires_at is not None
        who = _name(name, email)
        days = days_between(expires_at, now, group.time_zone)
        alerts.append(
            alert_row(
                coach_id,
                client_id,
                AlertCategory.HOMEWORK,
                AlertSeverity.WARNING,
                f"homework:{homework_id}",
                f"Homework overdue for {who}",
                f"{who} has not completed “{lesson}”, due {days} days ago.",
                now,
                subject_id=homework_id,
            )
        )
    return alerts


def _ended(
    group: _Group, category: AlertCategory, still: sa.ColumnElement[bool] | None
) -> list[sa.ColumnElement[bool]]:
    """The group's open alerts of `category` whose cause no longer holds (`still`, correlated
    with the alert row; None: the rule is disabled, every cause ended)."""
    conditions = [col(Alert.coach_id).in_(group.ids), col(Alert.category) == category.value]
    if still is not None:
        conditions.append(~sa.exists().where(still))
    return conditions


def _same_link() -> sa.ColumnElement[bool]:
    return sa.and_(
        col(CoachClient.coach_id) == col(Alert.coach_id),
        col(CoachClient.client_id) == col(Alert.client_id),
        _granted(),
    )


async def _resolve(session: AsyncSession, group: _Group, now: datetime) -> int:
    """Resolve the group's alerts whose cause ended without a write saying so: the client became
    active again (lastActiveAt is written by the background flusher), the threshold now spares
    them, the rule is disabled, consent is gone. One UPDATE per rule, whatever the client count."""
    rules, zone = group.rules, group.time_zone
    last_at = last_journal_entry()
    causes = {
        AlertCategory.INACTIVITY: (
            rules.inactivity,
            sa.and_(
                _same_link(),
                col(User.id) == col(CoachClient.client_id),
                inactive(rules.inactivity, now, zone),
                col(Alert.created_at) > activity_since(),
            ),
        ),
        AlertCategory.JOURNAL: (
            rules.journal,
            sa.and_(
                _same_link(),
                journal_silent(rules.journal, last_at, now, zone),
                col(Alert.created_at) > journal_since(last_at),
            ),
        ),
        AlertCategory.HOMEWORK: (
            rules.homework,
            sa.and_(
                _same_link(),
                col(Homework.id) == col(Alert.subject_id),
                homework_overdue(rules.homework, now),
            ),
        ),
    }
    resolved = 0
    for category, (rule, still) in causes.items():
        conditions = _ended(group, category, still if rule.enabled else None)
        resolved += len(await resolve_where(session, *conditions))
    return resolved


async def evaluate_in(
    session: AsyncSession, *, coach_id: int | None = None
) -> list[tuple[int, int]]:
    """Resolve the alerts whose cause ended and raise the alerts due now, inside the caller's
    transaction, for one coach or all.

    Returns (alert id, coach id) of the alerts created; they are published after the commit.
    """
    now = clock.now()
    rows: list[dict[str, Any]] = []
    for group in await _groups(session, coach_id):
        await _resolve(session, group, now)
        if group.rules.inactivity.enabled:
            rows += await _inactivity(session, group, now)
        if group.rules.journal.enabled:
            rows += await _journal(session, group, now)
        if group.rules.homework.enabled:
            rows += await _homework(session, group, now)
    return await insert_alerts(session, rows)


async def evaluate(db: Database, *, coach_id: int | None = None) -> list[tuple[int, int]]:
    """Evaluate in a transaction of its own (see `evaluate_in`)."""
    async with db.transaction() as session:
        return await evaluate_in(session, coach_id=coach_id)


async def run_evaluation(resources: Resources) -> int:
    """One run of the background job: evaluate every coach (what it raises is published once
    its transaction commits)."""
    created = await evaluate(resources.db)
    if created:
        log.info("alert evaluation raised %d alert(s)", len(created))
    return len(created)


# Runs every `JOB_INTERVAL_SECONDS` (default one minute) in the worker holding its lease.
EVALUATION_JOB = Job(name="alerts.evaluate", run=run_evaluation)
