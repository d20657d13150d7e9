"""Alert settings, the alert list, dismissing, and the notification stats (reads).

The rules are `alerts.rules`; writing and publishing alerts is `alerts.store`; raising them is
the evaluator's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.alerts.evaluator import evaluate_in
from coach_graph.alerts.models import Alert, AlertSettings, AlertStatus
from coach_graph.alerts.rules import (
    MAX_DAYS,
    MIN_DAYS,
    AlertRules,
    Rule,
    homework_overdue,
    inactive,
    journal_silent,
    last_journal_entries,
    no_activity_within,
    rules_of,
)
from coach_graph.alerts.store import publish_changed
from coach_graph.auth import Viewer, require_coach
from coach_graph.clients.access import ClientView, granted_clients
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, require_row
from coach_graph.homework.models import Homework
from coach_graph.pagination import Keyset, Page, SortKey, page_size

ACTIVE_WEEK = timedelta(days=7)
# Newest first; the cursor is (created_at, id) of the last alert seen.
NEWEST_FIRST = Keyset(
    SortKey(col(Alert.created_at), ascending=False, kind=datetime),
    SortKey(col(Alert.id), ascending=False, kind=int),
)


@dataclass(frozen=True, slots=True)
class AlertView:
    """An alert with its client as the coach may see them now (None: deleted or not visible)."""

    alert: Alert
    client: ClientView | None

    @property
    def id(self) -> int:
        assert self.alert.id is not None
        return self.alert.id


@dataclass(frozen=True, slots=True)
class NotificationStats:
    needs_attention: int
    overdue_homework: int
    inactive_clients: int
    journal_inactive: int
    active_this_week: int


# ---------- settings ----------


async def alert_settings(db: Database, coach_id: int) -> AlertRules:
    """The coach's rules; the defaults of SPEC.md when none were saved."""
    async with db.read() as session:
        return await rules_of(session, coach_id)


def _checked(name: str, rule: Rule | None, current: Rule) -> Rule:
    if rule is None:
        return current
    if isinstance(rule.days, bool) or not MIN_DAYS <= rule.days <= MAX_DAYS:
        raise BadUserInput(
            f"The {name} threshold must be a whole number of days from {MIN_DAYS} to "
            f"{MAX_DAYS}; got {rule.days}.",
            field=name,
        )
    return rule


async def update_alert_settings(
    db: Database,
    viewer: Viewer | None,
    *,
    inactivity: Rule | None = None,
    homework: Rule | None = None,
    journal: Rule | None = None,
) -> AlertRules:
    """Save the rules given (the others keep their value) and re-evaluate the coach's clients at
    once, in the same transaction; the alerts that raises are published after the commit."""
    coach = require_coach(viewer)
    current = await alert_settings(db, coach.id)
    rules = AlertRules(
        inactivity=_checked("inactivity", inactivity, current.inactivity),
        homework=_checked("homework", homework, current.homework),
        journal=_checked("journal", journal, current.journal),
    )
    async with db.transaction() as session:
        row = await session.get(AlertSettings, coach.id)
        if row is None:
            row = AlertSettings(coach_id=coach.id)
            session.add(row)
        row.inactivity_enabled, row.inactivity_days = (
            rules.inactivity.enabled,
            rules.inactivity.days,
        )
        row.homework_enabled, row.homework_days = rules.homework.enabled, rules.homework.days
        row.journal_enabled, row.journal_days = rules.journal.enabled, rules.journal.days
        row.updated_at = clock.now()
        await session.flush()
        await evaluate_in(session, coach_id=coach.id)
    return rules


# ---------- reading ----------


def _views(coach: Viewer) -> sa.Select[Alert, User]:
    """The coach's alerts, each with its client when the coach may still see them."""
    visible = sa.and_(
        col(User.id) == col(Alert.client_id), col(User.id).in_(granted_clients(coach.id))
    )
    return sa.select(Alert, User).outerjoin(User, visible).where(col(Alert.coach_id) == coach.id)


def _view(coach: Viewer, alert: Alert, client: User | None) -> AlertView:
    return AlertView(alert, ClientView(client, coach.id, coach.time_zone) if client else None)


async def list_alerts(
    db: Database,
    viewer: Viewer | None,
    include_dismissed: bool,
    first: int | None,
    after: str | None,
) -> Page[AlertView]:
    """The coach's alerts, newest first: OPEN ones, or every one (dismissed and resolved too)
    when asked for."""
    coach = require_coach(viewer)
    size = page_size(first, 50)
    conditions: list[sa.ColumnElement[bool]] = [col(Alert.coach_id) == coach.id]
    if not include_dismissed:  # OPEN only
        conditions += [col(Alert.dismissed_at).is_(None), col(Alert.resolved_at).is_(None)]
    query = NEWEST_FIRST.select(_views(coach).where(*conditions), after, size, cursors=db.cursors)
    async with db.read() as session:
        rows = (await session.execute(query)).all()

    async def count() -> int:
        async with db.read() as session:
            total = await session.scalar(
                sa.select(sa.func.count()).select_from(Alert).where(*conditions)
            )
        return int(total or 0)

    views = [_view(coach, alert, client) for alert, client in rows]
    return NEWEST_FIRST.page(
        views, size, key=lambda v: (v.alert.created_at, v.id), count=count, cursors=db.cursors
    )


async def dismiss_alert(db: Database, viewer: Viewer | None, alert_id: int) -> AlertView:
    """Dismiss one of the coach's OPEN alerts (dismissing twice keeps the first time; a resolved
    alert stays RESOLVED)."""
    coach = require_coach(viewer)
    async with db.transaction() as session:
        mine = sa.select(Alert).where(col(Alert.id) == alert_id, col(Alert.coach_id) == coach.id)
        alert = await require_row(session, mine, "alert", alert_id)
        if alert.status is AlertStatus.OPEN:
            alert.dismissed_at = clock.now()
            publish_changed(session, [alert])
    views = await alerts_by_id(db, coach, [alert_id])
    return views[0]


async def alerts_by_id(db: Database, coach: Viewer, ids: Sequence[int]) -> list[AlertView]:
    """The coach's alerts among `ids`, oldest first (others' alerts are simply absent)."""
    async with db.read() as session:
        rows = (
            await session.execute(
                _views(coach).where(col(Alert.id).in_(list(ids))).order_by(col(Alert.id))
            )
        ).all()
    return [_view(coach, alert, client) for alert, client in rows]


async def alerts_since(
    db: Database, coach: Viewer, after_id: int, also: Sequence[int] = (), limit: int = 100
) -> list[AlertView]:
    """The coach's alerts with an id above `after_id` (plus those in `also`), oldest first."""
    condition = col(Alert.id) > after_id
    if also:
        condition = sa.or_(condition, col(Alert.id).in_(list(also)))
    async with db.read() as session:
        rows = (
            await session.execute(
                _views(coach).where(condition).order_by(col(Alert.id)).limit(limit)
            )
        ).all()
    return [_view(coach, alert, client) for alert, client in rows]


async def require_own_alert(db: Database, coach: Viewer, alert_id: int) -> None:
    """NOT_FOUND unless the alert is the coach's (another coach's answers like a missing one)."""
    mine = sa.select(col(Alert.id)).where(
        col(Alert.id) == alert_id, col(Alert.coach_id) == coach.id
    )
    async with db.read() as session:
        await require_row(session, mine, "alert", alert_id)


async def latest_alert_id(db: Database, coach_id: int) -> int:
    """The id of the coach's newest alert (0 when there is none)."""
    async with db.read() as session:
        newest = await session.scalar(
            sa.select(sa.func.max(col(Alert.id))).where(col(Alert.coach_id) == coach_id)
        )
    return int(newest or 0)


# ---------- stats ----------


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


async def notification_stats(db: Database, viewer: Viewer | None) -> NotificationStats:
    """The five counts of the Notifications page, over the coach's GRANTED clients.

    needsAttention: clients inactive for longer than the inactivity threshold, counted from their
    last activity or, never active, from the day they were linked (the Needs Attention cards).
    inactiveClients: clients with no activity at all within the threshold (never active included).
    A disabled rule counts 0.
    """
    coach = require_coach(viewer)
    rules = await alert_settings(db, coach.id)
    now, zone = clock.now(), coach.time_zone
    last = last_journal_entries()
    clients_query = (
        sa.select(
            _count_if(inactive(rules.inactivity, now, zone)),
            _count_if(no_activity_within(rules.inactivity, now, zone)),
            _count_if(journal_silent(rules.journal, last.c.last_at, now, zone)),
            _count_if(col(User.last_active_at) >= now - ACTIVE_WEEK),
        )
        .select_from(CoachClient)
        .join(User, col(User.id) == col(CoachClient.client_id))
        .outerjoin(last, last.c.client_id == col(CoachClient.client_id))
        .where(
            col(CoachClient.coach_id) == coach.id,
            col(CoachClient.consent) == ConsentStatus.GRANTED,
        )
    )
    homework_query = (
        sa.select(sa.func.count())
        .select_from(Homework)
        .where(
            col(Homework.coach_id) == coach.id,
            col(Homework.client_id).in_(granted_clients(coach.id)),
            homework_overdue(rules.homework, now),
        )
    )
    async with db.read() as session:
        flagged, idle, journal, active = (await session.execute(clients_query)).one()
        overdue = int(await session.scalar(homework_query) or 0)
    return NotificationStats(
        needs_attention=int(flagged) if rules.inactivity.enabled else 0,
        overdue_homework=overdue if rules.homework.enabled else 0,
        inactive_clients=int(idle) if rules.inactivity.enabled else 0,
        journal_inactive=int(journal) if rules.journal.enabled else 0,
        active_this_week=int(active),
    )
