"""Access matrix of every sessions operation: no token, the wrong role."""

from __future__ import annotations

import pytest

from tests.sessions.conftest import Scene

T = '"2026-03-10T09:00:00Z"'
COACH_ONLY = [
    "query { services { id } }",
    "query { calendars { id } }",
    "query { availability { weekday } }",
    f'query {{ analytics(from: "2026-01-01T00:00:00Z", to: {T}) {{ sessionsCompleted }} }}',
    f'mutation {{ bookSession(clientId: "1", serviceId: "1", startsAt: {T}) {{ id }} }}',
    'mutation { updateSessionStatus(id: "1", status: CONFIRMED) { id } }',
    'mutation { updateSessionNotes(id: "1", privateNotes: "x") { id } }',
    f'mutation {{ rescheduleSession(id: "1", startsAt: {T}) {{ id }} }}',
    'mutation { cancelSession(id: "1") { id } }',
    'mutation { markNoShow(id: "1") { id } }',
    f'mutation {{ bookFollowUp(sessionId: "1", startsAt: {T}) {{ id }} }}',
    'mutation { respondToRescheduleRequest(id: "1", approve: true) { id } }',
    'mutation { requestReview(sessionId: "1") }',
    'mutation { createService(input: {name: "x", durationMinutes: 30, '
    'priceMinor: 1, currency: "EUR"}) { id } }',
    'mutation { updateService(id: "1", input: {name: "x", durationMinutes: 30, '
    'priceMinor: 1, currency: "EUR"}) { id } }',
    'mutation { archiveService(id: "1") { id } }',
    'mutation { createCalendar(name: "x") { id } }',
    "mutation { setAvailability(windows: []) { weekday } }",
]
CLIENT_ONLY = [
    f'mutation {{ requestReschedule(sessionId: "1", startsAt: {T}) {{ id }} }}',
    'mutation { rateSession(sessionId: "1", rating: 5) { id } }',
    f'mutation {{ bookMySession(serviceId: "1", startsAt: {T}) {{ id }} }}',
]
ANY_VIEWER = [
    "query { sessions { totalCount } }",
    'query { session(id: "1") { id } }',
    "query { rescheduleRequests { id } }",
]


@pytest.mark.parametrize("document", COACH_ONLY + CLIENT_ONLY + ANY_VIEWER)
async def test_every_sessions_operation_needs_a_token(scene: Scene, document: str) -> None:
    error = await scene.gql.error(document)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("document", COACH_ONLY)
async def test_coach_operations_are_forbidden_to_clients(scene: Scene, document: str) -> None:
    error = await scene.gql.error(document, token=scene.client_token)
    assert error["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("document", CLIENT_ONLY)
async def test_client_operations_are_forbidden_to_coaches(scene: Scene, document: str) -> None:
    error = await scene.gql.error(document, token=scene.coach_token)
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_anyone_reads_the_slots_of_a_bookable_service_but_not_of_an_archived_one(
    scene: Scene,
) -> None:
    query = """query($s: ID!) { availableSlots(serviceId: $s, from: "2026-03-03T00:00:00Z",
                 to: "2026-03-04T00:00:00Z") }"""
    other = await scene.practice.coach()
    other_token = await scene.practice.token(other)
    services = await scene.gql.data("{ services { id } }", None, other_token)
    service = services["services"][0]["id"]
    for token in (None, scene.client_token, scene.coach_token, other_token):
        slots = await scene.gql.data(query, {"s": service}, token)
        assert slots["availableSlots"][0] == "2026-03-03T09:00:00Z"
    await scene.gql.data(
        f'mutation {{ archiveService(id: "{service}") {{ id }} }}', None, other_token
    )
    for token in (None, scene.client_token, scene.coach_token):
        error = await scene.gql.error(query, {"s": service}, token)
        assert error["extensions"]["code"] == "NOT_FOUND"
    own = await scene.gql.data(query, {"s": service}, other_token)  # its coach still plans with it
    assert own["availableSlots"][0] == "2026-03-03T09:00:00Z"
