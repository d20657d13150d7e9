"""How alerts react to other domains' events (subscribed by coach_graph/reactions.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from coach_graph.alerts.models import AlertCategory
from coach_graph.alerts.store import resolve_for_category, resolve_for_client
from coach_graph.clients.events import ClientRemoved, ConsentChanged
from coach_graph.journals.events import JournalEntryWritten


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
