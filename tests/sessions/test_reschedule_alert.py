"""A client's request in the 24-48 hour window needs the coach: it raises a RESCHEDULE_REQUEST
alert, stored with the request and pushed to the coach's alert feed."""

from __future__ import annotations

from coach_graph.alerts.store import ALERT_CHANGES_CHANNEL, ALERTS_CHANNEL
from tests.sessions.conftest import Scene, at, iso

REQUEST = """mutation($id: ID!, $t: DateTime!) {
  requestReschedule(sessionId: $id, startsAt: $t, reason: "Flight moved") { id status }
}"""
ALERTS = (
    "{ alerts { totalCount edges { node { category severity title message client { id } } } } }"
)


async def test_a_pending_request_raises_one_reschedule_alert_for_the_coach(scene: Scene) -> None:
    booked = await scene.book(at(1, 15))  # Tuesday 15:00, 29 hours ahead of Monday 10:00
    realtime = scene.practice.resources.realtime
    async with realtime.subscribe(ALERTS_CHANNEL) as events:
        data = await scene.as_client(REQUEST, id=booked["id"], t=iso(at(3, 10)))
        assert data["requestReschedule"]["status"] == "PENDING"
        event = await anext(events)
    assert event["coachId"] == scene.coach.id and len(event["alertIds"]) == 1

    alerts = (await scene.as_coach(ALERTS))["alerts"]
    assert alerts["totalCount"] == 1
    node = alerts["edges"][0]["node"]
    assert node["category"] == "RESCHEDULE_REQUEST"
    assert node["client"] == {"id": str(scene.client.id)}
    assert "Flight moved" not in node["message"]  # the reason stays on the request
    assert node["title"] == "Reschedule request"


async def test_a_request_applied_at_once_raises_no_alert(scene: Scene) -> None:
    booked = await scene.book(at(3, 15))  # Thursday: more than 48 hours ahead
    data = await scene.as_client(REQUEST, id=booked["id"], t=iso(at(4, 10)))
    assert data["requestReschedule"]["status"] == "APPROVED"
    assert (await scene.as_coach(ALERTS))["alerts"]["totalCount"] == 0


RESPOND = """mutation($id: ID!, $ok: Boolean!) {
  respondToRescheduleRequest(id: $id, approve: $ok) { status }
}"""
EVERY_ALERT = "{ alerts(includeDismissed: true) { edges { node { status resolvedAt } } } }"


async def test_answering_the_request_resolves_its_alert_and_pushes_the_change(
    scene: Scene,
) -> None:
    booked = await scene.book(at(1, 15))
    request = (await scene.as_client(REQUEST, id=booked["id"], t=iso(at(3, 10))))[
        "requestReschedule"
    ]
    realtime = scene.practice.resources.realtime
    async with realtime.subscribe(ALERT_CHANGES_CHANNEL) as changes:
        answered = await scene.as_coach(RESPOND, id=request["id"], ok=False)
        assert answered["respondToRescheduleRequest"]["status"] == "REJECTED"
        event = await anext(changes)
    assert event["coachId"] == scene.coach.id
    assert (await scene.as_coach(ALERTS))["alerts"]["totalCount"] == 0  # OPEN only by default
    every = (await scene.as_coach(EVERY_ALERT))["alerts"]["edges"]
    assert [e["node"]["status"] for e in every] == ["RESOLVED"]
    assert every[0]["node"]["resolvedAt"] is not None
