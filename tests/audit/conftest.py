"""Helpers of the audit trail's tests: the rows as written, and analysed journal entries."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.audit.models import AuditEvent
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.journals.models import JournalEntry
from tests.graph_data import uid

Row = tuple[int, int, str, datetime]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, the recorder's background flush an hour away: within a test only
    its explicit `flush()` writes, so what is pending is what the test did."""
    return settings.with_(audit_flush_seconds=3600.0)


async def trail_rows(db: Database) -> list[Row]:
    """Every audit event as (actor, client, action, at), oldest first."""
    async with db.session() as session:
        rows = await session.execute(
            sa.select(
                col(AuditEvent.actor_id),
                col(AuditEvent.client_id),
                col(AuditEvent.action),
                col(AuditEvent.at),
            ).order_by(col(AuditEvent.at), col(AuditEvent.id))
        )
        return [(a, c, action, at) for a, c, action, at in rows.all()]


async def analysed_entry(db: Database, client: User, at: datetime, content: str) -> None:
    """A journal entry with its analysis (sentiment and every emotion scored)."""
    scores = dict.fromkeys(
        ("joy", "trust", "fear", "surprise", "sadness", "disgust", "anger", "anticipation"), 0.2
    )
    async with db.transaction() as session:
        session.add(
            JournalEntry(
                client_id=uid(client),
                created_at=at,
                content=content,
                analysis_status="ANALYSED",
                analysed_at=at,
                sentiment="POSITIVE",
                sentiment_score=0.4,
                summary="A good day.",
                themes=["work"],
                **scores,
            )
        )
