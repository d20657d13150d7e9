"""Alert settings, the alert list, dismissing, notification stats, and raising one alert.

Every new alert is committed first and published second (`publish_alerts`): the event carries
only ids, and each subscriber reloads the alerts through the coach's own scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.alerts.models import Alert, AlertCategory, AlertSettings, AlertSeverity
from coach_graph.auth import Viewer, require_coach
from coach_graph.clients.access import ClientView, granted_clients
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, NotFound
from coach_graph.homework.models import Homework
from coach_graph.journals.models import JournalEntry
from coach_graph.observability.metrics import ALERTS_PUBLISHED
from coach_graph.pagination import Page, decode_cursor, page_size
from coach_graph.realtime import Realtime

# The channel of new alerts. Events: {"coachId": int, "alertIds": [int, ...]}.
ALERTS_CHANNEL = "alerts"
MIN_DAYS, MAX_DAYS = 1, 365
ACTIVE_WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Rule:
    """One alert rule: whether it raises alerts, and its threshold in whole days."""

    enabled: bool
    days: int


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
    async with db.session() as session:
        row = await session.get(AlertSettings, coach_id)
    return DEFAULT_RULES if row is None else AlertRules.of(row)


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
    realtime: Realtime,
    viewer: Viewer | None,
    *,
    inactivity: Rule | None = None,
    homework: Rule | None = None,
    journal: Rule | None = None,
) -> AlertRules:
    """Save the rules given (the others keep their value) and re-evaluate the coach's clients at
    once, in the same transaction; the alerts that raises are published after the commit."""
    from coach_graph.alerts.evaluator import evaluate_in

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
        created = await evaluate_in(session, coach_id=coach.id)
    await publish_alerts(realtime, created)
    return rules


# ---------- raising and publishing ----------


def insert_ignoring_duplicates(session: AsyncSession) -> sa.Insert:
    """INSERT INTO alert ... ON CONFLICT DO NOTHING RETURNING id, coach_id (SQLite and PG)."""
    table = Alert.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing().returning(table.c.id, table.c.coach_id)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing().returning(table.c.id, table.c.coach_id)


def alert_row(
    coach_id: int,
    client_id: int | None,
    category: AlertCategory,
    severity: AlertSeverity,
    cause: str,
    title: str,
    message: str,
    now: datetime,
    subject_id: int | None = None,
) -> dict[str, Any]:
    """The values of a new open alert (for an insert that skips existing open ones)."""
    return {
        "coach_id": coach_id,
        "client_id": client_id,
        "category": category.value,
        "severity": severity.value,
        "cause": cause[:200],
        "subject_id": subject_id,
        "title": title[:200],
        "message": message,
        "created_at": now,
        "dismissed_at": None,
    }


async def raise_alert(
    session: AsyncSession,
    *,
    coach_id: int,
    client_id: int | None,
    category: AlertCategory,
    cause: str,
    title: str,
    message: str,
    severity: AlertSeverity = AlertSeverity.WARNING,
    subject_id: int | None = None,
) -> Alert | None:
    """Insert an alert inside the caller's transaction, unless one with the same (coach, client,
    category, cause) exists (then None). Publish it after the commit with `publish_alerts`.

    For a reschedule request waiting for the coach: category RESCHEDULE_REQUEST, cause
    `reschedule-request:<id>`, subject_id the request's id.
    """
    values = alert_row(
        coach_id, client_id, category, severity, cause, title, message, clock.now(), subject_id
    )
    row = (await session.execute(insert_ignoring_duplicates(session).values(**values))).first()
    if row is None:
        return None
    return Alert(id=row.id, **values)


async def publish_alerts(realtime: Realtime, alerts: Iterable[Alert | tuple[int, int]]) -> None:
    """Tell subscribers about committed alerts: one event per coach, carrying only ids.

    Takes alerts or (alert id, coach id) pairs. Call it after the transaction committed.
    """
    by_coach: dict[int, list[int]] = defaultdict(list)
    for item in alerts:
        if isinstance(item, Alert):
            assert item.id is not None
            by_coach[item.coach_id].append(item.id)
        else:
            alert_id, coach_id = item
            by_coach[coach_id].append(alert_id)
    for coach_id, ids in by_coach.items():
        event = {"coachId": coach_id, "alertIds": sorted(ids)}
        if await realtime.publish(ALERTS_CHANNEL, event):
            ALERTS_PUBLISHED.inc(len(ids))


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
    """The coach's alerts, newest first; dismissed ones only when asked for."""
    coach = require_coach(viewer)
    size = page_size(first, 50)
    key = decode_cursor(after, 2)
    conditions: list[sa.ColumnElement[bool]] = [col(Alert.coach_id) == coach.id]
    if not include_dismissed:
        conditions.append(col(Alert.dismissed_at).is_(None))
    query = _views(coach).where(*conditions)
    if key is not None:
        try:
            at, ident = datetime.fromisoformat(str(key[0])), int(key[1])
        except (TypeError, ValueError) as exc:
            raise BadUserInput("That `after` cursor is not valid here.") from exc
        query = query.where(
            sa.or_(
                col(Alert.created_at) < at,
                sa.and_(col(Alert.created_at) == at, col(Alert.id) < ident),
            )
        )
    query = query.order_by(col(Alert.created_at).desc(), col(Alert.id).desc()).limit(size + 1)
    async with db.session() as session:
        rows = (await session.execute(query)).all()

    async def count() -> int:
        async with db.session() as session:
            total = await session.scalar(
                sa.select(sa.func.count()).select_from(Alert).where(*conditions)
            )
        return int(total or 0)

    views = [_view(coach, alert, client) for alert, client in rows]
    return Page.from_rows(
        views, size, key=lambda v: (v.alert.created_at.isoformat(), v.id), count=count
    )


async def dismiss_alert(db: Database, viewer: Viewer | None, alert_id: int) -> AlertView:
    """Dismiss one of the coach's alerts (dismissing twice keeps the first time)."""
    coach = require_coach(viewer)
    async with db.transaction() as session:
        alert = await session.scalar(
            sa.select(Alert).where(col(Alert.id) == alert_id, col(Alert.coach_id) == coach.id)
        )
        if alert is None:
            raise NotFound.of("alert", alert_id)
        if alert.dismissed_at is None:
            alert.dismissed_at = clock.now()
    views = await alerts_by_id(db, coach, [alert_id])
    return views[0]


async def alerts_by_id(db: Database, coach: Viewer, ids: Sequence[int]) -> list[AlertView]:
    """The coach's alerts among `ids`, oldest first (others' alerts are simply absent)."""
    async with db.session() as session:
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
    async with db.session() as session:
        rows = (
            await session.execute(
                _views(coach).where(condition).order_by(col(Alert.id)).limit(limit)
            )
        ).all()
    return [_view(coach, alert, client) for alert, client in rows]


async def require_own_alert(db: Database, coach: Viewer, alert_id: int) -> None:
    """NOT_FOUND unless the alert is the coach's (another coach's answers like a missing one)."""
    async with db.session() as session:
        found = await session.scalar(
            sa.select(col(Alert.id)).where(
                col(Alert.id) == alert_id, col(Alert.coach_id) == coach.id
            )
        )
    if found is None:
        raise NotFound.of("alert", alert_id)


async def latest_alert_id(db: Database, coach_id: int) -> int:
    """The id of the coach's newest alert (0 when there is none)."""
    async with db.session() as session:
        newest = await session.scalar(
            sa.select(sa.func.max(col(Alert.id))).where(col(Alert.coach_id) == coach_id)
        )
    return int(newest or 0)


# ---------- stats ----------


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
    now = clock.now()
    inactive_cut = now - timedelta(days=rules.inactivity.days)
    journal_cut = now - timedelta(days=rules.journal.days)
    homework_cut = now - timedelta(days=rules.homework.days)
    last = last_journal_entries()
    activity_anchor = sa.func.coalesce(col(User.last_active_at), col(CoachClient.linked_at))
    journal_anchor = sa.func.coalesce(last.c.last_at, col(CoachClient.linked_at))
    clients_query = (
        sa.select(
            _count_if(activity_anchor < inactive_cut),
            _count_if(
                sa.or_(col(User.last_active_at).is_(None), col(User.last_active_at) < inactive_cut)
            ),
            _count_if(journal_anchor < journal_cut),
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
            col(Homework.completed_at).is_(None),
            col(Homework.expires_at).is_not(None),
            col(Homework.expires_at) <= homework_cut,
        )
    )
    async with db.session() as session:
        flagged, inactive, journal, active = (await session.execute(clients_query)).one()
        overdue = int(await session.scalar(homework_query) or 0)
    return NotificationStats(
        needs_attention=int(flagged) if rules.inactivity.enabled else 0,
        overdue_homework=overdue if rules.homework.enabled else 0,
        inactive_clients=int(inactive) if rules.inactivity.enabled else 0,
        journal_inactive=int(journal) if rules.journal.enabled else 0,
        active_this_week=int(active),
    )
