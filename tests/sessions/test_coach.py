"""The client's side: `myCoaches`, `Session.coach`, `Conversation.coach`; a session with a
client whose consent is not GRANTED shows their name and e-mail but not their data."""

from __future__ import annotations

from coach_graph.clients.models import ConsentStatus
from tests.conftest import GraphQLClient, Practice
from tests.sessions.conftest import SERVICES, at, iso

MY_COACHES = """{ myCoaches { consent consentUpdatedAt
  coach { id name timeZone services { name durationMinutes isFree } } } }"""
SESSION = """query($id: ID!) { session(id: $id) {
  clientName clientEmail client { id } coach { id name timeZone } } }"""
SET_CONSENT = (
    "mutation($c: ID!, $s: ConsentStatus!) { setConsent(coachId: $c, status: $s) { status } }"
)


async def test_a_client_lists_their_coaches_whatever_the_consent_with_bookable_services(
    gql: GraphQLClient, practice: Practice
) -> None:
    ana = await practice.coach("Ana", time_zone="Europe/Berlin")
    bo = await practice.coach("Bo")
    await practice.coach("Not linked")
    client = await practice.client(ana, "Cleo", consent=ConsentStatus.DECLINED)
    await practice.link(bo, client, ConsentStatus.PENDING)
    bo_token = await practice.token(bo)
    services = (await gql.data(SERVICES, token=bo_token))["services"]
    archived = next(s["id"] for s in services if s["durationMinutes"] == 45)
    await gql.data(
        "mutation($id: ID!) { archiveService(id: $id) { id } }", {"id": archived}, bo_token
    )

    links = (await gql.data(MY_COACHES, token=await practice.token(client)))["myCoaches"]
    assert [(link["coach"]["name"], link["consent"]) for link in links] == [
        ("Ana", "DECLINED"),
        ("Bo", "PENDING"),
    ]
    assert links[0]["coach"]["id"] == str(ana.id)
    assert links[0]["coach"]["timeZone"] == "Europe/Berlin"
    assert [s["durationMinutes"] for s in links[0]["coach"]["services"]] == [15, 30, 45, 60]
    assert [s["durationMinutes"] for s in links[1]["coach"]["services"]] == [15, 30, 60]
    assert links[0]["coach"]["services"][0]["isFree"] is True

    forbidden = await gql.error("{ myCoaches { consent } }", token=bo_token)
    assert forbidden["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gql.error("{ myCoaches { consent } }")
    assert anonymous["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_prospect_s_intro_call_shows_name_and_email_and_their_data_only_once_granted(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach("Coach Carter")
    prospect = await practice.client(coach, "Pia", consent=ConsentStatus.PENDING)
    coach_token, client_token = await practice.token(coach), await practice.token(prospect)
    services = (await gql.data(SERVICES, token=coach_token))["services"]
    intro = next(s["id"] for s in services if s["isFree"])
    booked = await gql.data(
        "mutation($c: ID!, $s: ID!, $t: DateTime!) {"
        " bookSession(clientId: $c, serviceId: $s, startsAt: $t) { id } }",
        {"c": str(prospect.id), "s": intro, "t": iso(at(1, 9))},
        coach_token,
    )
    sid = booked["bookSession"]["id"]
    coach_view = {"id": str(coach.id), "name": "Coach Carter", "timeZone": "UTC"}

    seen = (await gql.data(SESSION, {"id": sid}, coach_token))["session"]
    assert seen == {
        "clientName": "Pia",
        "clientEmail": prospect.email,
        "client": None,
        "coach": coach_view,
    }
    # The client sees their own session, its coach and their own data.
    own = (await gql.data(SESSION, {"id": sid}, client_token))["session"]
    assert own["coach"] == coach_view and own["client"] == {"id": str(prospect.id)}

    await gql.data(SET_CONSENT, {"c": str(coach.id), "s": "GRANTED"}, client_token)
    granted = (await gql.data(SESSION, {"id": sid}, coach_token))["session"]
    assert granted["client"] == {"id": str(prospect.id)}
    # Withdrawing hides the data at once; the session stays.
    await gql.data(SET_CONSENT, {"c": str(coach.id), "s": "DECLINED"}, client_token)
    assert (await gql.data(SESSION, {"id": sid}, coach_token))["session"] == seen


async def test_a_conversation_names_its_coach(gql: GraphQLClient, practice: Practice) -> None:
    coach = await practice.coach("Coach Carter")
    client = await practice.client(coach, "Cleo", consent=ConsentStatus.DECLINED)
    query = """query($c: ID) { conversation(coachId: $c) {
      clientName coach { id name services { durationMinutes } } } }"""
    data = await gql.data(query, {"c": str(coach.id)}, await practice.token(client))
    assert data["conversation"]["coach"]["id"] == str(coach.id)
    assert data["conversation"]["coach"]["name"] == "Coach Carter"
    assert len(data["conversation"]["coach"]["services"]) == 4
    listed = await gql.data(
        "{ conversations { coach { name } } }", token=await practice.token(coach)
    )
    assert listed == {"conversations": [{"coach": {"name": "Coach Carter"}}]}
