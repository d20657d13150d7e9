"""How homework reacts to other domains' events (subscribed by coach_graph/reactions.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph.clients.events import ClientRemoved
from coach_graph.homework.models import Homework


async def client_removed(session: AsyncSession, event: ClientRemoved) -> None:
    """The homework the coach assigned to a client they removed goes with the link."""
    await session.execute(
        sa.delete(Homework).where(
            col(Homework.coach_id) == event.coach_id, col(Homework.client_id) == event.client_id
        )
    )
