"""messageReceived and notificationCreated over websockets: live to the other side only,
resumable with the last id seen, each message delivered once under concurrent sends."""

from __future__ import annotations

import asyncio
import re

from starlette.applications import Starlette

from coach_graph.context import Resources
from coach_graph.messages.service import MESSAGES_CHANNEL
from coach_graph.notifications.service import NOTIFICATIONS_CHANNEL
from tests.conftest import GraphQLClient, Practice
from tests.ws import app_socket, until

SEND = """mutation($client: ID, $coach: ID, $body: String!) {
  sendMessage(clientId: $client, coachId: $coach, body: $body) { id }
}"""
MESSAGES = "subscription($after: ID) { messageReceived(afterId: $after) { id body senderRole } }"
NOTIFICATIONS = """subscription($after: ID) {
  notificationCreated(afterId: $after) { id kind title body }
}"""


async def subscribed(resources: Resources, channel: str, count: int = 1) -> None:
    await until(lambda: resources.realtime.subscriber_count(channel) >= count)


async def test_the_other_side_receives_a_message_live_and_the_sender_does_not(
    app: Starlette, gql: GraphQLClient, practice: Practice, resources: Resources
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    coach_token, client_token = await practice.token(coach), await practice.token(client)
    async with app_socket(app) as to_client, app_socket(app) as to_coach:
        await to_client.init(client_token)
        await to_coach.init(coach_token)
        await to_client.subscribe("1", MESSAGES)
        await to_coach.subscribe("1", MESSAGES)
        await subscribed(resources, MESSAGES_CHANNEL, 2)
        sent = await gql.data(SEND, {"client": str(client.id), "body": "hello"}, coach_token)
        got = (await to_client.next_data())["messageReceived"]
        assert got == {"id": sent["sendMessage"]["id"], "body": "hello", "senderRole": "COACH"}
        await to_coach.nothing()


async def test_a_notification_is_pushed_live_to_its_recipient_only(
    app: Starlette, gql: GraphQLClient, practice: Practice, resources: Resources
) -> None:
    coach, other = await practice.coach(), await practice.coach()
    client = await practice.client(coach, "Ana")
    async with app_socket(app) as mine, app_socket(app) as theirs:
        await mine.init(await practice.token(coach))
        await theirs.init(await practice.token(other))
        await mine.subscribe("1", NOTIFICATIONS)
        await theirs.subscribe("1", NOTIFICATIONS)
        await subscribed(resources, NOTIFICATIONS_CHANNEL, 2)
        await gql.data(
            SEND, {"coach": str(coach.id), "body": "can we move?"}, await practice.token(client)
        )
        got = (await mine.next_data())["notificationCreated"]
        assert got["kind"] == "MESSAGE_RECEIVED"
        assert got["body"] == "1 unread message from Ana: can we move?"
        await theirs.nothing()


async def test_reconnecting_with_the_last_id_seen_loses_nothing_and_repeats_nothing(
    app: Starlette, gql: GraphQLClient, practice: Practice, resources: Resources
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    coach_token, client_token = await practice.token(coach), await practice.token(client)

    async def send(body: str) -> str:
        sent = await gql.data(SEND, {"client": str(client.id), "body": body}, coach_token)
        return str(sent["sendMessage"]["id"])

    async with app_socket(app) as ws:
        await ws.init(client_token)
        await ws.subscribe("1", MESSAGES)
        await subscribed(resources, MESSAGES_CHANNEL)
        first = await send("before the cut")
        last_seen = (await ws.next_data())["messageReceived"]["id"]
        assert last_seen == first
    await until(lambda: resources.realtime.subscriber_count(MESSAGES_CHANNEL) == 0)
    missed = [await send(f"while away {i}") for i in range(3)]
    async with app_socket(app) as ws:
        await ws.init(client_token)
        await ws.subscribe("1", MESSAGES, {"after": last_seen})
        got = [(await ws.next_data())["messageReceived"]["id"] for _ in missed]
        assert got == missed
        await subscribed(resources, MESSAGES_CHANNEL)
        live = await send("live again")
        assert (await ws.next_data())["messageReceived"]["id"] == live
        await ws.nothing()


async def test_resuming_after_someone_elses_message_is_not_found(
    app: Starlette, gql: GraphQLClient, practice: Practice
) -> None:
    coach, intruder = await practice.coach(), await practice.coach()
    client = await practice.client(coach)
    sent = await gql.data(
        SEND, {"client": str(client.id), "body": "x"}, await practice.token(coach)
    )
    async with app_socket(app) as ws:
        await ws.init(await practice.token(intruder))
        await ws.subscribe("1", MESSAGES, {"after": sent["sendMessage"]["id"]})
        message = await ws.receive()
        assert message["payload"]["data"] is None, message
        assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_fifty_concurrent_messages_are_each_delivered_once_to_the_other_side(
    app: Starlette, gql: GraphQLClient, practice: Practice, resources: Resources
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    coach_token, client_token = await practice.token(coach), await practice.token(client)
    async with app_socket(app) as to_client, app_socket(app) as to_coach:
        await to_client.init(client_token)
        await to_coach.init(coach_token)
        await to_client.subscribe("1", MESSAGES)
        await to_coach.subscribe("1", MESSAGES)
        await subscribed(resources, MESSAGES_CHANNEL, 2)
        results = await asyncio.gather(
            *(
                gql.data(SEND, {"client": str(client.id), "body": f"c{i}"}, coach_token)
                for i in range(25)
            ),
            *(
                gql.data(SEND, {"coach": str(coach.id), "body": f"k{i}"}, client_token)
                for i in range(25)
            ),
        )
        from_coach = {r["sendMessage"]["id"] for r in results[:25]}
        from_client = {r["sendMessage"]["id"] for r in results[25:]}
        got_client = [(await to_client.next_data())["messageReceived"]["id"] for _ in range(25)]
        got_coach = [(await to_coach.next_data())["messageReceived"]["id"] for _ in range(25)]
        assert sorted(got_client) == sorted(from_coach) and len(set(got_client)) == 25
        assert sorted(got_coach) == sorted(from_client) and len(set(got_coach)) == 25
        await to_client.nothing()
        await to_coach.nothing()


async def test_a_burst_pushes_every_accepted_message_and_one_notification(
    app: Starlette, gql: GraphQLClient, practice: Practice, resources: Resources
) -> None:
    """60 sends at once from one client: the 30 accepted ones all reach the coach live on
    `messageReceived`, the refused ones never; the inbox gathers them in one notification,
    pushed once on `notificationCreated` (its later counts are not pushed again)."""
    coach = await practice.coach()
    client = await practice.client(coach, "Ana")
    coach_token, client_token = await practice.token(coach), await practice.token(client)
    async with app_socket(app) as messages, app_socket(app) as notifications:
        await messages.init(coach_token)
        await notifications.init(coach_token)
        await messages.subscribe("1", MESSAGES)
        await notifications.subscribe("1", NOTIFICATIONS)
        await subscribed(resources, MESSAGES_CHANNEL)
        await subscribed(resources, NOTIFICATIONS_CHANNEL)
        results = await asyncio.gather(
            *(gql(SEND, {"coach": str(coach.id), "body": f"k{i}"}, client_token) for i in range(60))
        )
        accepted = {r["data"]["sendMessage"]["id"] for r in results if not r.get("errors")}
        assert len(accepted) == 30
        got = [(await messages.next_data())["messageReceived"]["id"] for _ in range(30)]
        assert sorted(got) == sorted(accepted)
        await messages.nothing()
        first = (await notifications.next_data())["notificationCreated"]
        assert first["kind"] == "MESSAGE_RECEIVED"
        # Read when its event arrives: it may count more messages by then than its first one.
        assert re.fullmatch(r"(1 unread message|\d+ unread messages) from Ana.*", first["body"])
        await notifications.nothing()


async def test_a_new_notification_is_pushed_once_the_previous_was_read(
    app: Starlette, gql: GraphQLClient, practice: Practice, resources: Resources
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach, "Ana")
    coach_token, client_token = await practice.token(coach), await practice.token(client)

    async def send(body: str) -> None:
        await gql.data(SEND, {"coach": str(coach.id), "body": body}, client_token)

    async with app_socket(app) as ws:
        await ws.init(coach_token)
        await ws.subscribe("1", NOTIFICATIONS)
        await subscribed(resources, NOTIFICATIONS_CHANNEL)
        await send("one")
        first = (await ws.next_data())["notificationCreated"]
        await send("two")
        await ws.nothing()
        await gql.data(
            "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }",
            {"ids": [first["id"]]},
            coach_token,
        )
        await send("three")
        second = (await ws.next_data())["notificationCreated"]
        assert int(second["id"]) > int(first["id"])
        assert second["body"] == "3 unread messages from Ana; the latest: three"
