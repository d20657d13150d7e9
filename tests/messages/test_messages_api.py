"""Messages through the API: one conversation per coach and linked client, whatever the
consent; newest first, unread counts, mark read; nobody else reads or posts."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from coach_graph.clients.models import ConsentStatus
from coach_graph.db import Database
from coach_graph.messages.models import Message
from coach_graph.notifications.models import Notification
from tests.conftest import GraphQLClient, Practice

SEND = """mutation($client: ID, $coach: ID, $body: String!) {
  sendMessage(clientId: $client, coachId: $coach, body: $body) { id body senderRole readAt }
}"""
CONVERSATION = """query($client: ID, $coach: ID, $after: String) {
  conversation(clientId: $client, coachId: $coach) {
    id clientName clientEmail unreadCount lastMessageAt
    messages(first: 2, after: $after) {
      totalCount edges { node { id body senderRole } } pageInfo { hasNextPage endCursor }
    }
  }
}"""
CONVERSATIONS = "{ conversations { id clientName unreadCount lastMessageAt } }"
MARK_READ = "mutation($id: ID!) { markConversationRead(id: $id) { id unreadCount } }"


async def count(db: Database, table: type) -> int:
    async with db.session() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


async def test_coach_and_pending_client_talk_newest_first_with_unread_counts(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach, name="Ada", consent=ConsentStatus.PENDING)
    coach_token, client_token = await practice.token(coach), await practice.token(client)
    for body in ("Hello Ada", "  Before our call: sleep well.  "):
        sent = await gql.data(SEND, {"client": str(client.id), "body": body}, coach_token)
        assert sent["sendMessage"]["senderRole"] == "COACH"
    await gql.data(SEND, {"coach": str(coach.id), "body": "Thanks!"}, client_token)

    seen = (await gql.data(CONVERSATION, {"coach": str(coach.id)}, client_token))["conversation"]
    assert seen["unreadCount"] == 2 and seen["clientName"] == "Ada"
    page = seen["messages"]
    assert [e["node"]["body"] for e in page["edges"]] == ["Thanks!", "Before our call: sleep well."]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    rest = await gql.data(
        CONVERSATION,
        {"coach": str(coach.id), "after": page["pageInfo"]["endCursor"]},
        client_token,
    )
    assert [e["node"]["body"] for e in rest["conversation"]["messages"]["edges"]] == ["Hello Ada"]

    marked = await gql.data(MARK_READ, {"id": seen["id"]}, client_token)
    assert marked["markConversationRead"] == {"id": seen["id"], "unreadCount": 0}
    coach_side = (await gql.data(CONVERSATIONS, token=coach_token))["conversations"]
    assert coach_side == [
        {
            "id": seen["id"],
            "clientName": "Ada",
            "unreadCount": 1,
            "lastMessageAt": seen["lastMessageAt"],
        }
    ]


async def test_conversations_are_listed_most_recent_first(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    quiet = await practice.client(coach, name="Quiet")
    early = await practice.client(coach, name="Early")
    late = await practice.client(coach, name="Late")
    token = await practice.token(coach)
    for c in (early, late):
        await gql.data(SEND, {"client": str(c.id), "body": "hi"}, token)
    names = [c["clientName"] for c in (await gql.data(CONVERSATIONS, token=token))["conversations"]]
    assert names == ["Late", "Early", "Quiet"]
    assert quiet.id is not None


@pytest.mark.parametrize(
    ("body", "field_limit"),
    [("", None), ("   \n\t ", None), ("x" * 5001, 5000), ("bad\x00byte", None)],
)
async def test_empty_blank_oversized_or_control_messages_are_refused_and_nothing_is_written(
    gql: GraphQLClient, practice: Practice, db: Database, body: str, field_limit: int | None
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    error = await gql.error(
        SEND, {"client": str(client.id), "body": body}, await practice.token(coach)
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"].get("limit") == field_limit
    assert await count(db, Message) == 0 and await count(db, Notification) == 0


async def test_a_message_of_exactly_5000_characters_is_sent(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    sent = await gql.data(
        SEND, {"client": str(client.id), "body": "x" * 5000}, await practice.token(coach)
    )
    assert len(sent["sendMessage"]["body"]) == 5000


async def test_messages_to_unlinked_or_unknown_people_are_not_found_and_write_nothing(
    gql: GraphQLClient, practice: Practice, db: Database
) -> None:
    coach, other_coach = await practice.coach(), await practice.coach()
    stranger = await practice.client(other_coach)
    token = await practice.token(coach)
    for target in (str(stranger.id), "999999", " 3", "3_0"):
        error = await gql.error(SEND, {"client": target, "body": "hi"}, token)
        assert error["extensions"]["code"] == "NOT_FOUND", error
    client_token = await practice.token(stranger)
    error = await gql.error(SEND, {"coach": str(coach.id), "body": "hi"}, client_token)
    assert error["extensions"]["code"] == "NOT_FOUND"
    # Naming the wrong side (a coach passing coachId) is a mistake, not a probe.
    error = await gql.error(SEND, {"coach": str(other_coach.id), "body": "hi"}, token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert await count(db, Message) == 0


async def test_another_users_conversation_answers_like_an_unknown_one(
    gql: GraphQLClient, practice: Practice, db: Database
) -> None:
    coach, intruder = await practice.coach(), await practice.coach()
    client = await practice.client(coach)
    await gql.data(SEND, {"client": str(client.id), "body": "private"}, await practice.token(coach))
    conversation_id = (
        await gql.data(CONVERSATION, {"coach": str(coach.id)}, await practice.token(client))
    )["conversation"]["id"]
    intruder_token = await practice.token(intruder)
    foreign = await gql.error(MARK_READ, {"id": conversation_id}, intruder_token)
    unknown = await gql.error(MARK_READ, {"id": "987654"}, intruder_token)
    assert foreign["extensions"]["code"] == unknown["extensions"]["code"] == "NOT_FOUND"
    assert foreign["message"].replace(conversation_id, "?") == unknown["message"].replace(
        "987654", "?"
    )
    assert (await gql.data(CONVERSATIONS, token=intruder_token))["conversations"] == []
    none = await gql.data(CONVERSATION, {"client": str(client.id)}, intruder_token)
    assert none["conversation"] is None
    async with db.session() as session:
        assert (
            await session.scalar(sa.select(sa.func.count()).where(Message.read_at.is_not(None)))
            == 0
        )  # type: ignore[union-attr]


async def test_fifty_messages_sent_at_once_from_both_sides_are_stored_with_one_notice_each_way(
    gql: GraphQLClient, practice: Practice, db: Database
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    coach_token, client_token = await practice.token(coach), await practice.token(client)
    sends = [
        gql.data(SEND, {"client": str(client.id), "body": f"coach {i}"}, coach_token)
        for i in range(25)
    ] + [
        gql.data(SEND, {"coach": str(coach.id), "body": f"client {i}"}, client_token)
        for i in range(25)
    ]
    results = await asyncio.gather(*sends)
    assert len({r["sendMessage"]["id"] for r in results}) == 50
    # Each side's inbox gathers the other's 25 messages in one notification.
    assert await count(db, Message) == 50 and await count(db, Notification) == 2
    coach_view = await gql.data(CONVERSATION, {"client": str(client.id)}, coach_token)
    client_view = await gql.data(CONVERSATION, {"coach": str(coach.id)}, client_token)
    assert coach_view["conversation"]["unreadCount"] == 25
    assert client_view["conversation"]["unreadCount"] == 25
    assert coach_view["conversation"]["messages"]["totalCount"] == 50
