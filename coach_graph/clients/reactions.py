"""How clients react to other domains' events (subscribed by coach_graph/reactions.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from coach_graph.accounts.events import UserAdded
from coach_graph.clients.models import CoachClient, ConsentStatus


async def user_added(session: AsyncSession, event: UserAdded) -> None:
    """A client added with their coach's e-mail is linked to that coach, consent PENDING."""
    if event.coach_id is not None:
        session.add(
            CoachClient(
                coach_id=event.coach_id, client_id=event.user_id, consent=ConsentStatus.PENDING
            )
        )
