"""deleteClient keeps the coach's sessions with that client, shown as "Deleted Client"; the
upcoming ones are cancelled."""

from __future__ import annotations

from tests.sessions.conftest import Scene, at

DELETE = "mutation($id: ID!) { deleteClient(id: $id) }"
SESSION = """query($id: ID!) {
  session(id: $id) {
    id client { id } clientName clientEmail privateNotes customerNotes status cancellationReason
  }
}"""


async def test_sessions_of_a_deleted_client_stay_with_their_notes_and_no_profile(
    scene: Scene,
) -> None:
    booked = await scene.book(at(1, 10), cn="Bring your journal", pn="Works on boundaries")
    assert await scene.as_coach(DELETE, id=str(scene.client.id)) == {"deleteClient": True}

    session = (await scene.as_coach(SESSION, id=booked["id"]))["session"]
    assert session == {
        "id": booked["id"],
        "client": None,
        "clientName": "Deleted Client",
        "clientEmail": None,
        "privateNotes": "Works on boundaries",
        "customerNotes": "Bring your journal",
        "status": "CANCELLED",
        "cancellationReason": "Client deleted",
    }
    history = await scene.as_coach("{ sessions { totalCount edges { node { clientName } } } }")
    assert history["sessions"]["totalCount"] == 1
    assert history["sessions"]["edges"][0]["node"]["clientName"] == "Deleted Client"
