"""Assigning homework to a client the coach removes at the same moment: the access check is
inside the write (the link locked), so either the assignment comes first (and the removal then
deletes it with the coach's other homework for them) or the removal does (NOT_FOUND); never
homework left for a removed client, never an internal error."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.clients.models import ConsentStatus
from coach_graph.homework.models import Homework
from tests.conftest import GraphQLClient, Practice
from tests.graph_data import add_catalogue

ASSIGN = """mutation($c: ID!, $l: ID!) {
  assignHomework(clientId: $c, lessonId: $l) { id status } }"""
DELETE = "mutation($id: ID!) { deleteClient(id: $id) }"
ROUNDS = 12


async def _homework_of(practice: Practice, client_id: int) -> int:
    async with practice.resources.db.read() as session:
        count = await session.scalar(
            sa.select(sa.func.count()).where(col(Homework.client_id) == client_id)
        )
    return int(count or 0)


async def test_an_assignment_racing_the_client_s_removal_is_not_found_or_removed_with_it(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    token = await practice.token(coach)
    lesson = str((await add_catalogue(practice.resources.db)).lesson("Breathing").id)
    outcomes: set[str] = set()
    for n in range(ROUNDS):
        client = await practice.client(coach, f"Racer {n}")
        assert client.id is not None
        assigned, removed = await asyncio.gather(
            gql(ASSIGN, {"c": str(client.id), "l": lesson}, token),
            gql(DELETE, {"id": str(client.id)}, token),
        )
        assert removed.get("data") == {"deleteClient": True}, removed
        if assigned.get("errors"):
            assert [e["extensions"]["code"] for e in assigned["errors"]] == ["NOT_FOUND"]
            outcomes.add("not found")
        else:
            assert assigned["data"]["assignHomework"]["status"] == "ASSIGNED"
            outcomes.add("assigned, then removed")
        assert await _homework_of(practice, client.id) == 0
    assert outcomes


async def test_assigning_to_a_client_who_withdrew_consent_is_not_found_and_writes_nothing(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach, consent=ConsentStatus.DECLINED)
    assert client.id is not None
    lesson = str((await add_catalogue(practice.resources.db)).lesson("Breathing").id)
    error = await gql.error(
        ASSIGN, {"c": str(client.id), "l": lesson}, token=await practice.token(coach)
    )
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert await _homework_of(practice, client.id) == 0
