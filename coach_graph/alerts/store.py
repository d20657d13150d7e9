"""Writing alerts: one insert that skips an alert already raised for the same cause, resolving
the alerts whose cause ended (set-based, one UPDATE), and the events that tell subscribers,
published through the unit of work once the transaction commits.

The event carries only ids; each subscriber reloads the alerts through the coach's own scope
(`alerts.feed`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock
from coach_graph import events as domain_events
from coach_graph.alerts.events import AlertRaised
from coach_graph.alerts.models import Alert, AlertCategory, AlertSeverity
from coach_graph.db import after_commit, publish_after_commit
from coach_graph.observability.metrics import ALERTS_PUBLISHED

# The channel of new alerts. Events: {"coachId": int, "alertIds": [int, ...]}.
ALERTS_CHANNEL = "alerts"
# The channel of alerts whose status changed (dismissed, resolved). Same events.
ALERT_CHANGES_CHANNEL = "alert-changes"


def insert_ignoring_duplicates(session: AsyncSession) -> sa.Insert:
    """INSERT INTO alert ... ON CONFLICT DO NOTHING RETURNING what AlertRaised names (SQLite
    and PG)."""
    table = Alert.__table__  # type: ignore[attr-defined]
    returned = (table.c.id, table.c.coach_id, table.c.client_id, table.c.category, table.c.severity)
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing().returning(*returned)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing().returning(*returned)


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


async def insert_alerts(session: AsyncSession, rows: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Insert `alert_row`s in one statement, skipping causes already alerted, and publish the new
    ones after the commit. Returns (alert id, coach id) of the alerts created."""
    if not rows:
        return []
    result = await session.execute(insert_ignoring_duplicates(session), rows)
    raised = list(result)
    for r in raised:
        domain_events.record(
            session, AlertRaised(r.id, r.coach_id, r.client_id, r.category, r.severity)
        )
    created = [(r.id, r.coach_id) for r in raised]
    publish_raised(session, created)
    return created


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
    category, cause) exists (then None); it is published once the transaction commits.

    For a reschedule request waiting for the coach: category RESCHEDULE_REQUEST, cause
    `reschedule-request:<id>`, subject_id the request's id.
    """
    values = alert_row(
        coach_id, client_id, category, severity, cause, title, message, clock.now(), subject_id
    )
    row = (await session.execute(insert_ignoring_duplicates(session).values(**values))).first()
    if row is None:
        return None
    domain_events.record(
        session, AlertRaised(row.id, coach_id, client_id, category.value, severity.value)
    )
    publish_raised(session, [(row.id, coach_id)])
    return Alert(id=row.id, **values)


def _events(alerts: Iterable[Alert | tuple[int, int]]) -> list[dict[str, Any]]:
    """One event per coach, carrying only ids, from alerts or (alert id, coach id) pairs."""
    by_coach: dict[int, list[int]] = defaultdict(list)
    for item in alerts:
        if isinstance(item, Alert):
            assert item.id is not None
            by_coach[item.coach_id].append(item.id)
        else:
            alert_id, coach_id = item
            by_coach[coach_id].append(alert_id)
    return [{"coachId": coach, "alertIds": sorted(ids)} for coach, ids in by_coach.items()]


def publish_raised(session: AsyncSession, alerts: Iterable[Alert | tuple[int, int]]) -> None:
    """Announce new alerts once the transaction of `session` commits (never after a rollback)."""
    events = _events(alerts)
    for event in events:
        publish_after_commit(session, ALERTS_CHANNEL, event)
    raised = sum(len(event["alertIds"]) for event in events)
    if raised:

        async def count() -> None:
            ALERTS_PUBLISHED.inc(raised)

        after_commit(session, count)


# ---------- resolving ----------


def publish_changed(session: AsyncSession, alerts: Iterable[Alert | tuple[int, int]]) -> None:
    """Announce alerts whose status changed once the transaction of `session` commits."""
    for event in _events(alerts):
        publish_after_commit(session, ALERT_CHANGES_CHANNEL, event)


async def resolve_where(
    session: AsyncSession, *conditions: sa.ColumnElement[bool]
) -> list[tuple[int, int]]:
    """Resolve every unresolved alert matching `conditions` in one UPDATE, inside the caller's
    transaction. Returns (alert id, coach id) of the alerts that left OPEN (published on
    `alertChanged` after the commit); dismissed ones only record when their cause ended."""
    table = Alert.__table__  # type: ignore[attr-defined]
    result = await session.execute(
        sa.update(table)
        .where(table.c.resolved_at.is_(None), *conditions)
        .values(resolved_at=clock.now())
        .returning(table.c.id, table.c.coach_id, table.c.dismissed_at)
    )
    changed = [(r.id, r.coach_id) for r in result if r.dismissed_at is None]
    publish_changed(session, changed)
    return changed


async def resolve_for_cause(
    session: AsyncSession, coach_id: int, client_id: int | None, category: AlertCategory, cause: str
) -> list[tuple[int, int]]:
    """The cause ended (e.g. a reschedule request answered or expired)."""
    return await resolve_where(
        session,
        col(Alert.coach_id) == coach_id,
        col(Alert.client_id).is_(None) if client_id is None else col(Alert.client_id) == client_id,
        col(Alert.category) == category.value,
        col(Alert.cause) == cause[:200],
    )


async def resolve_for_client(
    session: AsyncSession, coach_id: int, client_id: int
) -> list[tuple[int, int]]:
    """Every alert of the coach about the client (consent withdrawn, client deleted)."""
    return await resolve_where(
        session, col(Alert.coach_id) == coach_id, col(Alert.client_id) == client_id
    )


async def resolve_for_subject(
    session: AsyncSession, category: AlertCategory, subject_id: int
) -> list[tuple[int, int]]:
    """The alerts about one homework (completed, replaced) or one request, whoever's coach."""
    return await resolve_where(
        session, col(Alert.category) == category.value, col(Alert.subject_id) == subject_id
    )


async def resolve_for_category(
    session: AsyncSession, client_id: int, category: AlertCategory
) -> list[tuple[int, int]]:
    """A client's alerts of one category with every coach (e.g. JOURNAL once they write)."""
    return await resolve_where(
        session, col(Alert.client_id) == client_id, col(Alert.category) == category.value
    )
