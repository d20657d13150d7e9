"""How alerts react to other domains' events (subscribed by coach_graph/reactions.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from coach_graph.accounts.models import User
from coach_graph.alerts.models import AlertCategory, AlertSeverity
from coach_graph.alerts.store import (
    raise_alert,
    resolve_for_category,
    resolve_for_client,
    resolve_for_subject,
)
from coach_graph.clients.events import ClientRemoved, ConsentChanged
from coach_graph.homework.events import HomeworkAssigned, HomeworkCompleted
from coach_graph.journals.events import JournalEntryWritten
from coach_graph.notifications.service import local_time_of
from coach_graph.sessions.events import RescheduleRequestChanged


async def journal_written(session: AsyncSession, event: JournalEntryWritten) -> None:
    """Writing ends every coach's JOURNAL alert about the client."""
    await resolve_for_category(session, event.client_id, AlertCategory.JOURNAL)


async def consent_changed(session: AsyncSession, event: ConsentChanged) -> None:
    """Consent withdrawn: the coach no longer sees the client's data, nor alerts about them."""
    if event.withdrawn:
        await resolve_for_client(session, event.coach_id, event.client_id)


async def client_removed(session: AsyncSession, event: ClientRemoved) -> None:
    """A removed client's alerts end for that coach."""
    await resolve_for_client(session, event.coach_id, event.client_id)


async def homework_assigned(session: AsyncSession, event: HomeworkAssigned) -> None:
    """A new assignment replaces the client's latest one: the replaced one's alert ends."""
    if event.replaced_id is not None:
        await resolve_for_subject(session, AlertCategory.HOMEWORK, event.replaced_id)


async def homework_completed(session: AsyncSession, event: HomeworkCompleted) -> None:
    """Completed homework is no longer overdue: its alert ends."""
    await resolve_for_subject(session, AlertCategory.HOMEWORK, event.homework_id)


async def reschedule_request_changed(
    session: AsyncSession, event: RescheduleRequestChanged
) -> None:
    """A PENDING request needs the coach's answer: a RESCHEDULE_REQUEST alert (one per request;
    raise_alert publishes it after commit). Answered or expired, its alert ends."""
    if not event.pending:
        await resolve_for_subject(session, AlertCategory.RESCHEDULE_REQUEST, event.request_id)
        return
    client = await session.get(User, event.client_id) if event.client_id is not None else None
    if client is None:
        return

    async def when(moment: datetime) -> str:
        return await local_time_of(session, event.coach_id, moment)

    await raise_alert(
        session,
        coach_id=event.coach_id,
        client_id=client.id,
        category=AlertCategory.RESCHEDULE_REQUEST,
        cause=f"reschedule-request:{event.request_id}",
        title="Reschedule request",
        message=(
            f"{client.name or client.email} asks to move the session of "
            f"{await when(event.original_starts_at)} to "
            f"{await when(event.proposed_starts_at)}; answer before "
            f"{await when(event.expires_at)}."
        ),
        severity=AlertSeverity.WARNING,
        subject_id=event.request_id,
    )
