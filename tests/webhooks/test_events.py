"""Each product event reaches the webhooks subscribed to it, through the real paths that
cause it: a booking and its cancellation, an alert the evaluator raises."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.alerts.evaluator import evaluate
from coach_graph.webhooks.models import WebhookDelivery
from tests.webhooks.conftest import Hooks

BOOK = """mutation($c: ID!, $s: ID!, $t: DateTime!) {
  bookSession(clientId: $c, serviceId: $s, startsAt: $t, privateNotes: "coach's own notes") {
    id
  }
}"""
CANCEL = 'mutation($id: ID!) { cancelSession(id: $id, reason: "ill") { status } }'


async def _bodies(hooks: Hooks) -> list[dict[str, object]]:
    async with hooks.db.session() as session:
        rows = await session.scalars(sa.select(WebhookDelivery).order_by(col(WebhookDelivery.id)))
        return [json.loads(r.body) for r in rows.all()]


async def test_a_booking_and_its_cancellation_reach_the_session_webhook(
    hooks: Hooks, manual_clock: clock.ManualClock
) -> None:
    await hooks.create("https://127.0.0.1:9/s", ["SESSION_BOOKED", "SESSION_CANCELLED"])
    await hooks.create("https://127.0.0.1:9/m", ["MESSAGE_RECEIVED"])
    services = await hooks.gql.data("{ services { id } }", token=hooks.coach_token)
    # Next week's Tuesday at 10:00 UTC: within the default weekly hours, whatever today is.
    today = manual_clock.now().replace(hour=10, minute=0, second=0)
    starts = today + timedelta(days=7 - today.weekday() + 1)
    booked = await hooks.gql.data(
        BOOK,
        {"c": str(hooks.client.id), "s": services["services"][0]["id"], "t": starts.isoformat()},
        hooks.coach_token,
    )
    session_id = booked["bookSession"]["id"]
    await hooks.gql.data(CANCEL, {"id": session_id}, hooks.coach_token)
    bodies = await _bodies(hooks)
    assert [b["type"] for b in bodies] == ["session.booked", "session.cancelled"]
    assert bodies[0]["data"] == {
        "sessionId": session_id,
        "coachId": str(hooks.coach.id),
        "clientId": str(hooks.client.id),
        "startsAt": starts.isoformat(),
        "endsAt": bodies[0]["data"]["endsAt"],  # type: ignore[index]
        "selfBooked": False,
    }
    assert "notes" not in json.dumps(bodies) and "ill" not in json.dumps(bodies)


async def test_an_alert_the_evaluator_raises_reaches_the_alert_webhook(
    hooks: Hooks, manual_clock: clock.ManualClock
) -> None:
    await hooks.create("https://127.0.0.1:9/a", ["ALERT_RAISED"])
    manual_clock.advance(timedelta(days=30))
    created = await evaluate(hooks.db)
    bodies = await _bodies(hooks)
    assert len(bodies) == len(created) >= 1
    assert {b["type"] for b in bodies} == {"alert.raised"}
    assert {b["data"]["alertId"] for b in bodies} == {str(a) for a, _ in created}  # type: ignore[index]
    assert all(
        set(b["data"]) == {"alertId", "coachId", "clientId", "category", "severity"} for b in bodies
    )  # type: ignore[arg-type]


async def test_every_event_queues_its_type_and_only_ids_and_changed_fields(
    hooks: Hooks, manual_clock: clock.ManualClock
) -> None:
    from coach_graph import events
    from coach_graph.alerts.events import AlertRaised
    from coach_graph.clients.events import ConsentChanged
    from coach_graph.messages.events import MessageSent
    from coach_graph.sessions.events import (
        SessionBooked,
        SessionCancelled,
        SessionRescheduled,
        SessionStatusChanged,
    )

    everything = [
        "SESSION_BOOKED",
        "SESSION_RESCHEDULED",
        "SESSION_CANCELLED",
        "SESSION_STATUS_CHANGED",
        "MESSAGE_RECEIVED",
        "ALERT_RAISED",
        "CONSENT_CHANGED",
    ]
    await hooks.create("https://127.0.0.1:9/all", everything)
    coach, client = hooks.coach.id, hooks.client.id
    assert coach is not None and client is not None
    t1 = manual_clock.now() + timedelta(days=2)
    t2 = t1 + timedelta(hours=1)
    recorded = [
        SessionBooked(7, coach, client, t1, t2, True),
        SessionRescheduled(7, coach, client, t1, t2, t2 + timedelta(hours=1)),
        SessionCancelled(7, coach, client, t2, t2 + timedelta(hours=1)),
        SessionStatusChanged(8, coach, client, "SCHEDULED", "COMPLETED"),
        MessageSent(9, 3, coach, client, client, coach),
        AlertRaised(11, coach, client, "HOMEWORK", "WARNING"),
        ConsentChanged(coach, client, "GRANTED", "DECLINED"),
    ]
    async with hooks.db.transaction() as session:
        for event in recorded:
            events.record(session, event)
    bodies = await _bodies(hooks)
    assert [b["type"] for b in bodies] == [
        "session.booked",
        "session.rescheduled",
        "session.cancelled",
        "session.status_changed",
        "message.received",
        "alert.raised",
        "consent.changed",
    ]
    keys = [set(b["data"]) for b in bodies]  # type: ignore[arg-type]
    assert keys == [
        {"sessionId", "coachId", "clientId", "startsAt", "endsAt", "selfBooked"},
        {"sessionId", "coachId", "clientId", "previousStartsAt", "startsAt", "endsAt"},
        {"sessionId", "coachId", "clientId", "startsAt", "endsAt"},
        {"sessionId", "coachId", "clientId", "previousStatus", "status"},
        {"messageId", "conversationId", "coachId", "clientId"},
        {"alertId", "coachId", "clientId", "category", "severity"},
        {"coachId", "clientId", "previousConsent", "consent"},
    ]
    assert bodies[1]["data"]["previousStartsAt"] == t1.isoformat()  # type: ignore[index]
    assert bodies[3]["data"]["status"] == "COMPLETED"  # type: ignore[index]
    assert all(b["data"]["coachId"] == str(coach) for b in bodies)  # type: ignore[index]
