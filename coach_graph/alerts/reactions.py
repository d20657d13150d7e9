"""How alerts react to other domains' events (subscribed by coach_graph/reactions.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from coach_graph.alerts.models import AlertCategory
from coach_graph.alerts.store import resolve_for_category
from coach_graph.journals.events import JournalEntryWritten


async def journal_written(session: AsyncSession, event: JournalEntryWritten) -> None:
    """Writing ends every coach's JOURNAL alert about the client."""
    await resolve_for_category(session, event.client_id, AlertCategory.JOURNAL)
