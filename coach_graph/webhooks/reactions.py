"""How webhooks react to other domains' events (subscribed by coach_graph/reactions.py): each
queues a delivery for the coach's endpoints subscribed to it, in the change's transaction.

The data names resources by id (as the API spells them: strings) and the fields that changed;
never a private note, journal text or a message's body: the receiver reads details through the
API, as its coach.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from coach_graph.alerts.events import AlertRaised
from coach_graph.clients.events import ConsentChanged
from coach_graph.messages.events import MessageSent
from coach_graph.sessions.events import (
    SessionBooked,
    SessionCancelled,
    SessionRescheduled,
    SessionStatusChanged,
)
from coach_graph.webhooks.models import WebhookEvent
from coach_graph.webhooks.queue import queue_event


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


def _at(moment: datetime) -> str:
    return moment.isoformat()


async def session_booked(session: AsyncSession, event: SessionBooked) -> None:
    await queue_event(
        session,
        event.coach_id,
        WebhookEvent.SESSION_BOOKED,
        {
            "sessionId": _id(event.session_id),
            "coachId": _id(event.coach_id),
            "clientId": _id(event.client_id),
            "startsAt": _at(event.starts_at),
            "endsAt": _at(event.ends_at),
            "selfBooked": event.self_booked,
        },
    )


async def session_rescheduled(session: AsyncSession, event: SessionRescheduled) -> None:
    await queue_event(
        session,
        event.coach_id,
        WebhookEvent.SESSION_RESCHEDULED,
        {
            "sessionId": _id(event.session_id),
            "coachId": _id(event.coach_id),
            "clientId": _id(event.client_id),
            "previousStartsAt": _at(event.previous_starts_at),
            "startsAt": _at(event.starts_at),
            "endsAt": _at(event.ends_at),
        },
    )


async def session_cancelled(session: AsyncSession, event: SessionCancelled) -> None:
    await queue_event(
        session,
        event.coach_id,
        WebhookEvent.SESSION_CANCELLED,
        {
            "sessionId": _id(event.session_id),
            "coachId": _id(event.coach_id),
            "clientId": _id(event.client_id),
            "startsAt": _at(event.starts_at),
            "endsAt": _at(event.ends_at),
        },
    )


async def session_status_changed(session: AsyncSession, event: SessionStatusChanged) -> None:
    await queue_event(
        session,
        event.coach_id,
        WebhookEvent.SESSION_STATUS_CHANGED,
        {
            "sessionId": _id(event.session_id),
            "coachId": _id(event.coach_id),
            "clientId": _id(event.client_id),
            "previousStatus": event.previous_status,
            "status": event.status,
        },
    )


async def message_sent(session: AsyncSession, event: MessageSent) -> None:
    """A message the coach received (a client wrote it): the coach's own are not news to them."""
    if event.recipient_id != event.coach_id:
        return
    await queue_event(
        session,
        event.coach_id,
        WebhookEvent.MESSAGE_RECEIVED,
        {
            "messageId": _id(event.message_id),
            "conversationId": _id(event.conversation_id),
            "coachId": _id(event.coach_id),
            "clientId": _id(event.client_id),
        },
    )


async def alert_raised(session: AsyncSession, event: AlertRaised) -> None:
    await queue_event(
        session,
        event.coach_id,
        WebhookEvent.ALERT_RAISED,
        {
            "alertId": _id(event.alert_id),
            "coachId": _id(event.coach_id),
            "clientId": _id(event.client_id),
            "category": event.category,
            "severity": event.severity,
        },
    )


async def consent_changed(session: AsyncSession, event: ConsentChanged) -> None:
    await queue_event(
        session,
        event.coach_id,
        WebhookEvent.CONSENT_CHANGED,
        {
            "coachId": _id(event.coach_id),
            "clientId": _id(event.client_id),
            "previousConsent": event.previous,
            "consent": event.consent,
        },
    )
