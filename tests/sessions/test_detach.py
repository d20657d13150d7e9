from __future__ import annotations

from coach_graph import clock
from coach_graph.db import Database
from coach_graph.sessions.changes import detach_client
from tests.sessions.conftest import Scene, at

QUERY = """query($id: ID!) { session(id: $id) {
  clientName client { id } privateNotes customerNotes status pendingRescheduleRequest { id } } }"""


async def test_a_detached_client_s_sessions_stay_with_their_notes_as_deleted_client(
    scene: Scene, db: Database, manual_clock: clock.ManualClock
) -> None:
    kept = (await scene.book(at(2, 9), 60, pn="progress notes", cn="homework"))["id"]
    await scene.as_client(
        """mutation($id: ID!) { requestReschedule(sessionId: $id,
             startsAt: "2026-03-06T10:00:00Z") { status } }""",
        id=kept,
    )
    other = await scene.practice.client(scene.coach)
    async with db.transaction() as session:
        await detach_client(session, scene.coach.id or 0, scene.client.id or 0)
    data = await scene.as_coach(QUERY, id=kept)
    assert data["session"] == {
        "clientName": "Deleted Client",
        "client": None,
        "privateNotes": "progress notes",
        "customerNotes": "homework",
        "status": "CONFIRMED",
        "pendingRescheduleRequest": None,
    }
    history = await scene.as_coach("{ sessions { totalCount edges { node { clientName } } } }")
    assert history["sessions"]["edges"] == [{"node": {"clientName": "Deleted Client"}}]
    # The client no longer sees it; their slot stays taken in the coach's calendar.
    assert (await scene.as_client(QUERY, id=kept)) == {"session": None}
    error = await scene.gql.error(
        """mutation($c: ID!, $s: ID!) { bookSession(clientId: $c, serviceId: $s,
             startsAt: "2026-03-04T09:30:00Z") { id } }""",
        {"c": str(other.id), "s": scene.services[30]},
        scene.coach_token,
    )
    assert error["extensions"]["code"] == "CONFLICT"
    follow = await scene.gql.error(
        "mutation($id: ID!) { bookFollowUp(sessionId: $id, startsAt: "
        '"2026-03-10T09:00:00Z") { id } }',
        {"id": kept},
        scene.coach_token,
    )
    assert follow["extensions"]["code"] == "CONFLICT"
