"""Bursts (SPEC "Messages and notifications"): one person sends at most 30 messages a minute to
one conversation (more: RATE_LIMITED with retryAfter, nothing stored); the recipient's inbox
keeps one unread notification per conversation that counts the unread messages; mails of a
conversation are spaced by MESSAGE_MAIL_INTERVAL_SECONDS."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.clients.models import ConsentStatus
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.messages.models import Message
from coach_graph.notifications.models import Notification
from coach_graph.outbox.models import MessageKind, OutboxMessage
from tests.conftest import GraphQLClient, Practice

SEND = """mutation($client: ID, $coach: ID, $body: String!) {
  sendMessage(clientId: $client, coachId: $coach, body: $body) { id body }
}"""
INBOX = """{ notifications(first: 50) {
  unreadCount edges { node { id kind title body readAt } }
} }"""
MARK = "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }"
CONVERSATION = "query($client: ID) { conversation(clientId: $client) { id unreadCount } }"
READ_CONVERSATION = "mutation($id: ID!) { markConversationRead(id: $id) { id unreadCount } }"


async def stored(db: Database) -> list[Message]:
    async with db.session() as session:
        return list((await session.scalars(sa.select(Message).order_by(col(Message.id)))).all())


async def message_mails(db: Database, recipient: User) -> list[OutboxMessage]:
    async with db.session() as session:
        rows = await session.scalars(
            sa.select(OutboxMessage)
            .where(
                col(OutboxMessage.kind) == MessageKind.MESSAGE_RECEIVED.value,
                col(OutboxMessage.recipient_id) == recipient.id,
            )
            .order_by(col(OutboxMessage.id))
        )
        return list(rows.all())


async def notifications_of(db: Database, person: User) -> list[Notification]:
    async with db.session() as session:
        rows = await session.scalars(
            sa.select(Notification)
            .where(col(Notification.recipient_id) == person.id)
            .order_by(col(Notification.id))
        )
        return list(rows.all())


class Pair:
    """A coach and their client Ana, with tokens, sending through the API."""

    def __init__(self, gql: GraphQLClient, coach: User, client: User, tokens: list[str]) -> None:
        self.gql, self.coach, self.client = gql, coach, client
        self.coach_token, self.client_token = tokens

    async def from_client(self, body: str) -> dict[str, Any]:
        """The whole response of the client's send (data or errors)."""
        return await self.gql(SEND, {"coach": str(self.coach.id), "body": body}, self.client_token)

    async def from_coach(self, body: str) -> dict[str, Any]:
        return await self.gql(SEND, {"client": str(self.client.id), "body": body}, self.coach_token)

    async def coach_inbox(self) -> dict[str, Any]:
        inbox: dict[str, Any] = (await self.gql.data(INBOX, token=self.coach_token))[
            "notifications"
        ]
        return inbox


async def pair(gql: GraphQLClient, practice: Practice) -> Pair:
    coach = await practice.coach("Coach Kim")
    client = await practice.client(coach, "Ana")
    return Pair(gql, coach, client, [await practice.token(coach), await practice.token(client)])


def refused(response: dict[str, Any]) -> dict[str, Any]:
    assert response.get("data") is None, response
    [error] = response["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED", error
    extensions: dict[str, Any] = error["extensions"]
    return extensions


async def test_200_concurrent_sends_from_one_client_store_exactly_30_and_notify_once(
    gql: GraphQLClient, practice: Practice, db: Database
) -> None:
    ana = await pair(gql, practice)
    bodies = [f"m{i} " + "x" * 4900 for i in range(200)]
    results = await asyncio.gather(*(ana.from_client(b) for b in bodies))

    accepted = [r["data"]["sendMessage"] for r in results if not r.get("errors")]
    limited = [refused(r) for r in results if r.get("errors")]
    assert len(accepted) == 30 and len(limited) == 170
    # The clock stands still: the 30 counted messages leave the window in exactly a minute.
    assert {e["retryAfter"] for e in limited} == {60}
    rows = await stored(db)
    assert sorted(str(m.id) for m in rows) == sorted(a["id"] for a in accepted)

    inbox = await ana.coach_inbox()
    [notice] = [e["node"] for e in inbox["edges"]]
    assert inbox["unreadCount"] == 1 and notice["kind"] == "MESSAGE_RECEIVED"
    assert notice["title"] == "30 new messages from Ana"
    latest = rows[-1].body  # the last one stored (its notification update came last)
    assert notice["body"] == f"30 unread messages from Ana; the latest: {latest[:279]}…"
    assert len(await message_mails(db, ana.coach)) == 1
    # The refused sends wrote nothing: the client's side heard nothing either.
    assert await notifications_of(db, ana.client) == []


async def test_the_window_slides_and_moving_the_clock_a_minute_lets_the_client_send_again(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock, db: Database
) -> None:
    ana = await pair(gql, practice)
    for i in range(10):
        assert not (await ana.from_client(f"early {i}")).get("errors")
    manual_clock.advance(timedelta(seconds=30))
    for i in range(20):
        assert not (await ana.from_client(f"later {i}")).get("errors")
    manual_clock.advance(timedelta(seconds=10))  # T0 + 40 s
    assert refused(await ana.from_client("one too many"))["retryAfter"] == 20
    manual_clock.advance(timedelta(seconds=19))
    assert refused(await ana.from_client("still too many"))["retryAfter"] == 1
    manual_clock.advance(timedelta(seconds=1))  # the 10 early ones left the window
    for i in range(10):
        assert not (await ana.from_client(f"again {i}")).get("errors")
    assert refused(await ana.from_client("and again too many"))["retryAfter"] == 30
    manual_clock.advance(timedelta(minutes=1))
    assert not (await ana.from_client("a minute later")).get("errors")
    assert len(await stored(db)) == 41


async def test_the_limit_is_per_person_and_conversation(
    gql: GraphQLClient, practice: Practice, db: Database
) -> None:
    ana = await pair(gql, practice)
    for i in range(30):
        assert not (await ana.from_client(f"{i}")).get("errors")
    refused(await ana.from_client("31"))
    # The coach answers in the same conversation, and Ana may still write to another coach.
    assert not (await ana.from_coach("Slow down, Ana")).get("errors")
    other = await practice.coach("Coach Lee")
    await practice.link(other, ana.client, ConsentStatus.GRANTED)
    sent = await gql(SEND, {"coach": str(other.id), "body": "hi"}, ana.client_token)
    assert not sent.get("errors")
    assert len(await stored(db)) == 32


async def test_one_unread_notice_counts_the_messages_and_a_read_one_makes_room_for_a_new_one(
    gql: GraphQLClient, practice: Practice, db: Database
) -> None:
    ana = await pair(gql, practice)
    for body in ("one", "two", "three"):
        await ana.from_client(body)
    [notice] = [e["node"] for e in (await ana.coach_inbox())["edges"]]
    assert notice["body"] == "3 unread messages from Ana; the latest: three"
    assert notice["title"] == "3 new messages from Ana"

    # The coach reads the notification (not the conversation): the next message makes a new
    # one, which still counts every message left unread.
    marked = await gql.data(MARK, {"ids": [notice["id"]]}, ana.coach_token)
    assert marked["markNotificationsRead"] == 1
    await ana.from_client("four")
    inbox = await ana.coach_inbox()
    assert inbox["unreadCount"] == 1
    assert [e["node"]["body"] for e in inbox["edges"]] == [
        "4 unread messages from Ana; the latest: four",
        "3 unread messages from Ana; the latest: three",
    ]

    # Reading the conversation reads its notification too; the next message starts at one.
    conversation = await gql.data(CONVERSATION, {"client": str(ana.client.id)}, ana.coach_token)
    read = await gql.data(
        READ_CONVERSATION, {"id": conversation["conversation"]["id"]}, ana.coach_token
    )
    assert read["markConversationRead"]["unreadCount"] == 0
    assert (await ana.coach_inbox())["unreadCount"] == 0
    await ana.from_client("five")
    inbox = await ana.coach_inbox()
    assert inbox["unreadCount"] == 1
    assert inbox["edges"][0]["node"]["body"] == "1 unread message from Ana: five"
    assert inbox["edges"][0]["node"]["title"] == "New message from Ana"
    assert len(await notifications_of(db, ana.coach)) == 3


async def test_a_conversation_is_mailed_at_most_once_per_interval(
    gql: GraphQLClient,
    practice: Practice,
    db: Database,
    manual_clock: clock.ManualClock,
    settings: Settings,
) -> None:
    assert settings.message_mail_interval == timedelta(seconds=900)
    ana = await pair(gql, practice)
    await ana.from_client("first")
    manual_clock.advance(timedelta(minutes=5))
    await ana.from_client("second")
    mails = await message_mails(db, ana.coach)
    assert [m.payload["body"] for m in mails] == ["1 unread message from Ana: first"]

    # A new notification (the coach read the last one) does not shorten the interval either.
    await gql.data(MARK, token=ana.coach_token)
    manual_clock.advance(timedelta(minutes=9, seconds=59))  # 14:59 after the first mail
    await ana.from_client("third")
    assert len(await message_mails(db, ana.coach)) == 1
    assert (await ana.coach_inbox())["unreadCount"] == 1

    manual_clock.advance(timedelta(seconds=1))  # 15:00 after the first mail
    await ana.from_client("fourth")
    mails = await message_mails(db, ana.coach)
    assert [m.payload["body"] for m in mails] == [
        "1 unread message from Ana: first",
        "4 unread messages from Ana; the latest: fourth",
    ]
    assert mails[1].payload["title"] == "4 new messages from Ana"
    # Each side's mails are spaced on their own: the coach's first reply is mailed at once.
    await ana.from_coach("Got them all")
    assert len(await message_mails(db, ana.client)) == 1


def test_the_mail_interval_is_read_from_the_environment() -> None:
    settings = Settings.from_env({"MESSAGE_MAIL_INTERVAL_SECONDS": "120"})
    assert settings.message_mail_interval == timedelta(minutes=2)
    assert Settings.from_env({}).message_mail_interval == timedelta(minutes=15)
