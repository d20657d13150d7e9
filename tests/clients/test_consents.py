"""The Consent Status page (coach) and setting consent (client)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from coach_graph import clock
from coach_graph.clients.models import CoachClient, ConsentStatus
from tests.conftest import GraphQLClient, Practice

CONSENTS = """query($s: ConsentStatus, $q: String) { consents(status: $s, search: $q) {
  clientId clientName clientEmail status updatedAt } }"""
SET = """mutation($c: ID!, $s: ConsentStatus!) { setConsent(coachId: $c, status: $s) {
  clientId coachId status updatedAt } }"""
CLIENT_IDS = "{ clients { edges { node { id } } } }"


async def test_consents_list_every_linked_client_with_status_and_filters(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach, other = await practice.coach(), await practice.coach()
    ann = await practice.client(coach, "Ann Archer", email="ann@example.test")
    bob = await practice.client(coach, "Bob Baker", ConsentStatus.PENDING, email="bob@x.test")
    cyd = await practice.client(coach, "Cyd Cole", ConsentStatus.DECLINED, email="cyd@x.test")
    await practice.client(other, "Dee Other")
    token = await practice.token(coach)
    rows = (await gql.data(CONSENTS, token=token))["consents"]
    assert [(r["clientId"], r["status"]) for r in rows] == [
        (str(ann.id), "GRANTED"),
        (str(bob.id), "PENDING"),
        (str(cyd.id), "DECLINED"),
    ]
    assert rows[0] == {
        "clientId": str(ann.id),
        "clientName": "Ann Archer",
        "clientEmail": "ann@example.test",
        "status": "GRANTED",
        "updatedAt": "2026-03-02T10:00:00Z",
    }
    pending = (await gql.data(CONSENTS, {"s": "PENDING"}, token=token))["consents"]
    assert [r["clientId"] for r in pending] == [str(bob.id)]
    by_email = (await gql.data(CONSENTS, {"q": "X.TEST"}, token=token))["consents"]
    assert [r["clientId"] for r in by_email] == [str(bob.id), str(cyd.id)]
    by_name = (await gql.data(CONSENTS, {"q": "cole", "s": "DECLINED"}, token=token))["consents"]
    assert [r["clientId"] for r in by_name] == [str(cyd.id)]


async def test_granting_consent_puts_the_client_on_my_clients_and_records_the_time(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach, consent=ConsentStatus.PENDING)
    coach_token = await practice.token(coach)
    assert (await gql.data(CLIENT_IDS, token=coach_token))["clients"]["edges"] == []
    manual_clock.advance(timedelta(hours=5))
    data = await gql.data(
        SET, {"c": str(coach.id), "s": "GRANTED"}, token=await practice.token(client)
    )
    assert data["setConsent"] == {
        "clientId": str(client.id),
        "coachId": str(coach.id),
        "status": "GRANTED",
        "updatedAt": "2026-03-02T15:00:00Z",
    }
    edges = (await gql.data(CLIENT_IDS, token=coach_token))["clients"]["edges"]
    assert edges == [{"node": {"id": str(client.id)}}]
    record = (await gql.data(CONSENTS, token=coach_token))["consents"][0]
    assert (record["status"], record["updatedAt"]) == ("GRANTED", "2026-03-02T15:00:00Z")


async def test_declining_hides_the_client_and_setting_the_same_status_keeps_the_time(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    client_token = await practice.token(client)
    manual_clock.advance(timedelta(hours=1))
    await gql.data(SET, {"c": str(coach.id), "s": "DECLINED"}, token=client_token)
    manual_clock.advance(timedelta(hours=1))
    again = await gql.data(SET, {"c": str(coach.id), "s": "DECLINED"}, token=client_token)
    assert again["setConsent"]["updatedAt"] == "2026-03-02T11:00:00Z"
    data = await gql.data(CLIENT_IDS, token=await practice.token(coach))
    assert data["clients"]["edges"] == []


async def test_consent_for_a_coach_not_linked_is_not_found(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach, stranger = await practice.coach(), await practice.coach()
    client = await practice.client(coach, consent=ConsentStatus.PENDING)
    other_client = await practice.client(coach)
    token = await practice.token(client)
    for coach_id in (str(stranger.id), str(other_client.id), "999999", "nope"):
        error = await gql.error(SET, {"c": coach_id, "s": "GRANTED"}, token=token)
        assert error["extensions"]["code"] == "NOT_FOUND"
    async with practice.resources.db.session() as session:
        links = (await session.scalars(sa.select(CoachClient))).all()
    assert sorted(link.consent for link in links) == ["GRANTED", "PENDING"]


async def test_consent_operations_check_the_role(gql: GraphQLClient, practice: Practice) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    error = await gql.error(
        SET, {"c": str(coach.id), "s": "GRANTED"}, token=await practice.token(coach)
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await gql.error(CONSENTS, token=await practice.token(client))
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await gql.error(CONSENTS)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
