"""Demo data for webhooks: the demo coach's endpoint at https://hooks.example.com/coach, turned
off after three days of failures (the example host answers nothing useful), with the deliveries
that went through before and the ones that failed after. Nothing is ever sent to it: it is off,
and WEBHOOK_ALLOW_PRIVATE aside, the sender only sends to endpoints that are on."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.practice import DemoPractice
from coach_graph.sessions.models import CoachingSession
from coach_graph.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from coach_graph.webhooks.queue import DISABLED_REASON, RETRY_FOR

DEMO_URL = "https://hooks.example.com/coach"


def _body(event: WebhookEvent, at: datetime, data: dict[str, Any]) -> str:
    return json.dumps(
        {"type": event.value, "timestamp": at.isoformat(), "data": data},
        separators=(",", ":"),
        sort_keys=True,
    )


async def seed_webhook(db: Database, settings: Settings, practice: DemoPractice) -> None:
    """One disabled endpoint of the demo coach with five deliveries: three delivered, two
    FAILED once the endpoint had failed for three days."""
    now, rng, coach = practice.now, practice.rng, practice.demo_coach_id
    clients = practice.clients_of(coach)
    client_id = str(clients[0].id) if clients else None
    async with db.transaction() as session:
        session_ids = list(
            (
                await session.scalars(
                    sa.select(col(CoachingSession.id))
                    .where(col(CoachingSession.coach_id) == coach)
                    .order_by(col(CoachingSession.starts_at).desc())
                    .limit(2)
                )
            ).all()
        )
        booked = str(session_ids[0]) if session_ids else None
        endpoint = WebhookEndpoint(
            coach_id=coach,
            url=DEMO_URL,
            events=",".join(e.name for e in WebhookEvent),
            secret="whsec_" + base64.b64encode(rng.randbytes(24)).decode(),
            active=False,
            disabled_reason=DISABLED_REASON,
            failing_since=now - timedelta(days=4),
            created_at=now - timedelta(days=12),
        )
        session.add(endpoint)
        await session.flush()
        assert endpoint.id is not None
        coach_id = str(coach)
        seen: list[tuple[WebhookEvent, timedelta, dict[str, str | None], bool]] = [
            (WebhookEvent.SESSION_BOOKED, timedelta(days=11), {"sessionId": booked}, True),
            (WebhookEvent.MESSAGE_RECEIVED, timedelta(days=9), {"messageId": None}, True),
            (WebhookEvent.ALERT_RAISED, timedelta(days=6), {"category": "INACTIVITY"}, True),
            (WebhookEvent.SESSION_CANCELLED, timedelta(days=4), {"sessionId": booked}, False),
            (
                WebhookEvent.CONSENT_CHANGED,
                timedelta(days=3, hours=2),
                {"consent": "GRANTED"},
                False,
            ),
        ]
        for event, ago, extra, delivered in seen:
            at = now - ago
            data = {"coachId": coach_id, "clientId": client_id, **extra}
            session.add(
                WebhookDelivery(
                    message_id=f"msg_{rng.getrandbits(128):032x}",
                    endpoint_id=endpoint.id,
                    event=event.name,
                    body=_body(event, at, data),
                    status=(DeliveryStatus.DELIVERED if delivered else DeliveryStatus.FAILED).value,
                    attempts=1 if delivered else 14,
                    last_status_code=200 if delivered else 503,
                    last_error=None if delivered else "HTTP 503",
                    created_at=at,
                    retry_until=at + RETRY_FOR,
                    next_attempt_at=None,
                    delivered_at=at + timedelta(seconds=1) if delivered else None,
                )
            )
