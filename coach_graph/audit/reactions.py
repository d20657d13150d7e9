"""How the audit trail reacts to other domains' events (subscribed by coach_graph/reactions.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from coach_graph.audit.store import record_consent_change
from coach_graph.clients.events import ConsentChanged


async def consent_changed(session: AsyncSession, event: ConsentChanged) -> None:
    """Every consent change goes on the client's trail, in the change's transaction."""
    record_consent_change(session, event.client_id)
