"""The inbox through the API: messages become a notification for their recipient (one per
conversation), newest first with unread counts, marked read by id or all; someone else's ids
mark nothing. The mail of a notification reaches a real SMTP server."""

from __future__ import annotations

import sqlalchemy as sa

from coach_graph.accounts.models import User
from coach_graph.clients.models import ConsentStatus
from coach_graph.db import Database
from coach_graph.notifications.models import Notification
from coach_graph.outbox.service import drain
from tests.conftest import GraphQLClient, Practice
from tests.mail.conftest import SmtpTestServer, smtp_sender
from tests.mail.conftest import smtp_server as smtp_server

SEND = """mutation($client: ID, $coach: ID, $body: String!) {
  sendMessage(clientId: $client, coachId: $coach, body: $body) { id }
}"""
INBOX = """query($unread: Boolean, $after: String) {
  notifications(unreadOnly: $unread, first: 2, after: $after) {
    totalCount unreadCount
    edges { node { id kind title body readAt session { id } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
MARK = "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }"


async def unread(db: Database) -> int:
    async with db.session() as session:
        return int(
            await session.scalar(
                sa.select(sa.func.count()).where(Notification.read_at.is_(None))  # type: ignore[union-attr]
            )
            or 0
        )


async def _client_of_three_coaches(practice: Practice) -> tuple[User, list[User]]:
    """A client linked to three coaches: three conversations, so three notifications."""
    coaches = [await practice.coach(name=f"Coach {n}") for n in ("Kim", "Lee", "Mo")]
    client = await practice.client(coaches[0])
    for coach in coaches[1:]:
        await practice.link(coach, client, ConsentStatus.GRANTED)
    return client, coaches


async def test_new_messages_land_in_the_recipients_inbox_newest_first(
    gql: GraphQLClient, practice: Practice
) -> None:
    client, coaches = await _client_of_three_coaches(practice)
    client_token = await practice.token(client)
    for coach, body in zip(coaches, ("one", "two", "three"), strict=True):
        await gql.data(SEND, {"client": str(client.id), "body": body}, await practice.token(coach))
    inbox = (await gql.data(INBOX, token=client_token))["notifications"]
    assert inbox["totalCount"] == 3 and inbox["unreadCount"] == 3
    nodes = [e["node"] for e in inbox["edges"]]
    assert [n["body"] for n in nodes] == [
        "1 unread message from Coach Mo: three",
        "1 unread message from Coach Lee: two",
    ]
    assert {n["kind"] for n in nodes} == {"MESSAGE_RECEIVED"}
    assert nodes[0]["title"] == "New message from Coach Mo" and nodes[0]["session"] is None
    rest = await gql.data(INBOX, {"after": inbox["pageInfo"]["endCursor"]}, client_token)
    assert [e["node"]["body"] for e in rest["notifications"]["edges"]] == [
        "1 unread message from Coach Kim: one"
    ]
    # The sender is told nothing of their own message.
    coach_token = await practice.token(coaches[0])
    assert (await gql.data(INBOX, token=coach_token))["notifications"]["totalCount"] == 0


async def test_mark_read_by_id_then_all_counts_what_changed(
    gql: GraphQLClient, practice: Practice
) -> None:
    client, coaches = await _client_of_three_coaches(practice)
    client_token = await practice.token(client)
    for coach, body in zip(coaches, ("a", "b", "c"), strict=True):
        await gql.data(SEND, {"client": str(client.id), "body": body}, await practice.token(coach))
    first = (await gql.data(INBOX, token=client_token))["notifications"]["edges"][0]["node"]
    assert (await gql.data(MARK, {"ids": [first["id"]]}, client_token))[
        "markNotificationsRead"
    ] == 1
    assert (await gql.data(MARK, {"ids": [first["id"]]}, client_token))[
        "markNotificationsRead"
    ] == 0
    left = (await gql.data(INBOX, {"unread": True}, client_token))["notifications"]
    assert left["unreadCount"] == 2 and first["id"] not in {e["node"]["id"] for e in left["edges"]}
    assert (await gql.data(MARK, token=client_token))["markNotificationsRead"] == 2
    assert (await gql.data(INBOX, token=client_token))["notifications"]["unreadCount"] == 0


async def test_marking_someone_elses_notifications_is_not_found_and_marks_nothing(
    gql: GraphQLClient, practice: Practice, db: Database
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    await gql.data(SEND, {"client": str(client.id), "body": "hi"}, await practice.token(coach))
    await gql.data(SEND, {"coach": str(coach.id), "body": "hey"}, await practice.token(client))
    theirs = (await gql.data(INBOX, token=await practice.token(client)))["notifications"]
    their_id = theirs["edges"][0]["node"]["id"]
    coach_token = await practice.token(coach)
    mine = (await gql.data(INBOX, token=coach_token))["notifications"]["edges"][0]["node"]["id"]
    for ids in ([their_id], [mine, their_id], ["12345"], ["x"]):
        error = await gql.error(MARK, {"ids": ids}, coach_token)
        assert error["extensions"]["code"] == "NOT_FOUND", error
    assert await unread(db) == 2
    # Marking all touches only the viewer's own.
    assert (await gql.data(MARK, token=coach_token))["markNotificationsRead"] == 1
    assert await unread(db) == 1


async def test_the_inbox_needs_a_signed_in_viewer(gql: GraphQLClient) -> None:
    error = await gql.error(INBOX)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_notification_is_mailed_to_its_recipient_through_smtp(
    gql: GraphQLClient, practice: Practice, db: Database, smtp_server: SmtpTestServer
) -> None:
    coach = await practice.coach(name="Coach Kim")
    client = await practice.client(coach, name="Ada")
    await gql.data(
        SEND, {"client": str(client.id), "body": "See you <tomorrow>"}, await practice.token(coach)
    )
    report = await drain(db, smtp_sender(db, smtp_server))
    assert report.sent == 1
    [mail] = await smtp_server.mailbox.wait_for(1)
    assert mail["To"].addresses[0].addr_spec == client.email
    assert "New message from Coach Kim" in mail["Subject"]
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and "See you <tomorrow>" in text.get_content()
    assert html is not None and "See you &lt;tomorrow&gt;" in html.get_content()
