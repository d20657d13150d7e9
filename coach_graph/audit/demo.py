"""Demo data for the audit trail: client1's trail shows the demo coach reading their journal,
emotions, surveys and session notes over the last two weeks, an export, and client1's own
consent decision; a few other clients show the coach's reads of yesterday."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from coach_graph.audit.models import AuditEvent
from coach_graph.auditing import AuditAction, hour_of
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.practice import DemoPractice

CLIENT1 = "client1@demo.example"
# (days ago, hour of day UTC, what the demo coach read of client1)
CLIENT1_READS: tuple[tuple[int, int, AuditAction], ...] = (
    (13, 9, AuditAction.READ_JOURNAL),
    (13, 9, AuditAction.READ_EMOTIONS),
    (9, 14, AuditAction.READ_JOURNAL),
    (6, 8, AuditAction.READ_SURVEYS),
    (6, 8, AuditAction.READ_JOURNAL),
    (3, 16, AuditAction.READ_PRIVATE_NOTES),
    (1, 10, AuditAction.EXPORT),
    (1, 10, AuditAction.READ_JOURNAL),
    (1, 10, AuditAction.READ_EMOTIONS),
)
# Other GRANTED clients of the demo coach whose journal the coach read yesterday.
OTHERS_READ_YESTERDAY = 4


async def seed_audit_trail(db: Database, settings: Settings, practice: DemoPractice) -> None:
    """The demo coach's reads as the audit trail records them (one event per hour and kind)."""
    coach = practice.demo_coach_id
    clients = practice.clients_of(coach)
    client1 = next(c for c in clients if c.email == CLIENT1)
    midnight = practice.now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows: list[dict[str, Any]] = [
        {
            "actor_id": client1.id,
            "client_id": client1.id,
            "action": AuditAction.CONSENT_CHANGED.value,
            "at": client1.linked_at + timedelta(hours=2),
            "hour": None,
        }
    ]
    for n, (days, hour, action) in enumerate(CLIENT1_READS):
        at = midnight - timedelta(days=days) + timedelta(hours=hour, minutes=7 + 5 * n)
        rows.append(_read(coach, client1.id, action, at))
    others = [c for c in clients if c.id != client1.id][:OTHERS_READ_YESTERDAY]
    for n, other in enumerate(others):
        at = midnight - timedelta(days=1) + timedelta(hours=11, minutes=3 * n)
        rows.append(_read(coach, other.id, AuditAction.READ_JOURNAL, at))
    async with db.transaction() as session:
        await session.execute(sa.insert(AuditEvent.__table__), rows)  # type: ignore[attr-defined]


def _read(coach_id: int, client_id: int, action: AuditAction, at: Any) -> dict[str, Any]:
    return {
        "actor_id": coach_id,
        "client_id": client_id,
        "action": action.value,
        "at": at,
        "hour": hour_of(at),
    }
