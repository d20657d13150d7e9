"""Deleting a client removes this coach's link and homework, and nothing else."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.homework.models import Homework
from coach_graph.journals.models import JournalEntry
from tests.conftest import T0, GraphQLClient, Practice
from tests.graph_data import add_catalogue, add_homework, add_journal, count_rows

DELETE = "mutation($id: ID!) { deleteClient(id: $id) }"
CLIENT = "query($id: ID!) { client(id: $id) { id homework { id } } }"


async def test_deleting_a_client_removes_the_link_and_this_coach_s_homework_only(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach, other = await practice.coach(), await practice.coach()
    client = await practice.client(coach)
    await practice.link(other, client, ConsentStatus.GRANTED)
    db = practice.resources.db
    catalogue = await add_catalogue(db)
    await add_homework(db, coach, client, catalogue.lesson("Breathing"), T0)
    theirs = await add_homework(db, other, client, catalogue.lesson("Reframing"), T0)
    await add_journal(db, client, T0, "still mine")
    token = await practice.token(coach)
    assert await gql.data(DELETE, {"id": str(client.id)}, token=token) == {"deleteClient": True}

    assert (await gql.data(CLIENT, {"id": str(client.id)}, token=token)) == {"client": None}
    other_view = await gql.data(CLIENT, {"id": str(client.id)}, token=await practice.token(other))
    assert other_view["client"]["homework"] == [{"id": str(theirs.id)}]
    async with db.session() as session:
        homework = (await session.scalars(sa.select(Homework))).all()
        links = (await session.scalars(sa.select(CoachClient))).all()
        account = await session.get(User, client.id)
    assert [h.id for h in homework] == [theirs.id]
    assert [(link.coach_id, link.client_id) for link in links] == [(other.id, client.id)]
    assert account is not None
    assert await count_rows(db, JournalEntry) == 1
    # The client keeps their login.
    assert (await gql.data("{ viewer { id } }", token=await practice.token(client)))["viewer"]


async def test_a_linked_client_without_consent_can_be_removed(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach, consent=ConsentStatus.DECLINED)
    token = await practice.token(coach)
    assert await gql.data(DELETE, {"id": str(client.id)}, token=token) == {"deleteClient": True}
    assert (await gql.data("{ consents { clientId } }", token=token))["consents"] == []


async def test_deleting_a_client_not_linked_is_not_found_and_changes_nothing(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach, other = await practice.coach(), await practice.coach()
    foreign = await practice.client(other)
    db = practice.resources.db
    catalogue = await add_catalogue(db)
    await add_homework(db, other, foreign, catalogue.lesson("Breathing"), T0)
    token = await practice.token(coach)
    for client_id in (str(foreign.id), str(coach.id), "999999", "x"):
        error = await gql.error(DELETE, {"id": client_id}, token=token)
        assert error["extensions"]["code"] == "NOT_FOUND"
    assert await count_rows(db, CoachClient) == 1
    assert await count_rows(db, Homework) == 1
    # Twice: the second time there is nothing left to delete.
    await gql.data(DELETE, {"id": str(foreign.id)}, token=await practice.token(other))
    error = await gql.error(DELETE, {"id": str(foreign.id)}, token=await practice.token(other))
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_only_a_coach_deletes_clients(gql: GraphQLClient, practice: Practice) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    error = await gql.error(DELETE, {"id": str(client.id)}, token=await practice.token(client))
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await gql.error(DELETE, {"id": str(client.id)})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    async with practice.resources.db.session() as session:
        count = await session.scalar(
            sa.select(sa.func.count()).where(col(CoachClient.client_id) == client.id)
        )
    assert count == 1
