"""No N+1 in the conversations list: `conversations { messages(first: N) }` with their total
counts and the coach runs as many SQL statements for 10 conversations as for 2, and each
conversation still gets its own messages, newest first, and its own page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col

from coach_graph.accounts.models import Role, User
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.messages.models import Message
from tests.conftest import T0, GraphQLClient, Practice, count_statements

CONVERSATIONS = """query($first: Int, $after: String) { conversations { id clientName
  coach { id name }
  messages(first: $first, after: $after) {
    totalCount edges { node { id body senderRole } } pageInfo { hasNextPage endCursor }
  }
} }"""


async def _coach_with_conversations(practice: Practice, name: str, n: int) -> User:
    """A coach with `n` linked clients; the i-th conversation holds i + 1 messages, sent one
    minute apart, alternating coach and client."""
    coach = await practice.coach(name)
    clients = [
        await practice.client(coach, f"{name} client {i}", consent=ConsentStatus.PENDING)
        for i in range(n)
    ]
    async with practice.resources.db.transaction() as session:
        for i, client in enumerate(clients):
            link = await session.scalar(
                sa.select(CoachClient).where(
                    col(CoachClient.coach_id) == coach.id, col(CoachClient.client_id) == client.id
                )
            )
            assert link is not None and link.id is not None
            for j in range(i + 1):
                sender, recipient = (coach, client) if j % 2 == 0 else (client, coach)
                session.add(
                    Message(
                        conversation_id=link.id,
                        sender_id=sender.id or 0,
                        recipient_id=recipient.id or 0,
                        sender_role=(Role.COACH if j % 2 == 0 else Role.CLIENT).value,
                        body=f"{client.name} #{j}",
                        sent_at=T0 + timedelta(minutes=j),
                    )
                )
    return coach


@pytest.mark.parametrize("first", [2, 5])
async def test_conversations_with_their_messages_run_the_same_statements_for_2_and_10(
    gql: GraphQLClient, practice: Practice, first: int
) -> None:
    async def statements(n: int) -> int:
        coach = await _coach_with_conversations(practice, f"Coach {n}", n)
        token = await practice.token(coach)
        with count_statements(practice.resources.db) as seen:
            data = await gql.data(CONVERSATIONS, {"first": first}, token)
        conversations = data["conversations"]
        assert len(conversations) == n
        for conversation in conversations:
            i = int(conversation["clientName"].rsplit(" ", 1)[1])
            page = conversation["messages"]
            bodies = [e["node"]["body"] for e in page["edges"]]
            name = conversation["clientName"]
            assert bodies == [f"{name} #{j}" for j in range(i, -1, -1)][:first]
            assert page["totalCount"] == i + 1
            assert page["pageInfo"]["hasNextPage"] == (i + 1 > first)
            assert conversation["coach"]["name"] == f"Coach {n}"
        return len(seen)

    assert await statements(2) == await statements(10)


async def test_a_second_page_of_every_conversation_comes_in_one_batch_too(
    gql: GraphQLClient, practice: Practice
) -> None:
    """Asked with the same cursor, each conversation resumes from it on its own side."""
    coach = await _coach_with_conversations(practice, "Coach Page", 4)
    token = await practice.token(coach)
    first = await gql.data(CONVERSATIONS, {"first": 2}, token)
    longest = next(c for c in first["conversations"] if c["clientName"].endswith(" 3"))
    cursor = longest["messages"]["pageInfo"]["endCursor"]
    with count_statements(practice.resources.db) as seen:
        rest = await gql.data(CONVERSATIONS, {"first": 2, "after": cursor}, token)
    by_name = {c["clientName"]: c["messages"] for c in rest["conversations"]}
    # The cursor stands at (T0 + 2 min, …): every conversation continues below it.
    assert [e["node"]["body"] for e in by_name["Coach Page client 3"]["edges"]] == [
        "Coach Page client 3 #1",
        "Coach Page client 3 #0",
    ]
    assert [e["node"]["body"] for e in by_name["Coach Page client 0"]["edges"]] == [
        "Coach Page client 0 #0"
    ]
    assert not by_name["Coach Page client 3"]["pageInfo"]["hasNextPage"]
    with count_statements(practice.resources.db) as again:
        await gql.data(CONVERSATIONS, {"first": 2}, token)
    assert len(seen) == len(again)
