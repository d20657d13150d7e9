"""The webhook API: registering (secret shown once), listing, changing, rotating, deleting;
who may touch what; bad input writes nothing; deliveries queued with the change (outbox)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import sqlalchemy as sa

from coach_graph import events
from coach_graph.accounts.models import User
from coach_graph.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import Practice
from tests.webhooks.conftest import Hooks

LIST = "{ webhooks { id url events active createdAt disabledReason } }"
UPDATE = """mutation($id: ID!, $url: String, $events: [WebhookEvent!], $active: Boolean) {
  updateWebhook(id: $id, url: $url, events: $events, active: $active) {
    id url events active disabledReason
  }
}"""
ROTATE = "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret webhook { id } } }"
DELETE = "mutation($id: ID!) { deleteWebhook(id: $id) }"
CONSENT = """mutation($c: ID!, $s: ConsentStatus!) { setConsent(coachId: $c, status: $s) {
  status } }"""


async def _rows(hooks: Hooks, table: Any) -> list[Any]:
    async with hooks.db.session() as session:
        return list((await session.scalars(sa.select(table))).all())


async def test_a_coach_registers_a_webhook_and_sees_its_secret_once(hooks: Hooks) -> None:
    created = await hooks.create("https://127.0.0.1:9/hook", ["SESSION_BOOKED", "ALERT_RAISED"])
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30
    assert created["webhook"]["events"] == ["SESSION_BOOKED", "ALERT_RAISED"]
    assert created["webhook"]["active"] is True
    listed = (await hooks.gql.data(LIST, token=hooks.coach_token))["webhooks"]
    assert [w["id"] for w in listed] == [created["webhook"]["id"]]
    assert "secret" not in json.dumps(listed)


async def test_bad_webhooks_are_refused_and_write_nothing(hooks: Hooks) -> None:
    for url, events_ in [
        ("http://127.0.0.1/hook", ["MESSAGE_RECEIVED"]),
        ("https://2130706433/hook", ["MESSAGE_RECEIVED"]),
        ("https://127.0.0.1/hook", []),
        ("https://127.0.0.1/" + "x" * 2001, ["MESSAGE_RECEIVED"]),
    ]:
        error = await hooks.gql.error(
            "mutation($u: String!, $e: [WebhookEvent!]!) { createWebhook(url: $u, events: $e) "
            "{ secret } }",
            {"u": url, "e": events_},
            hooks.coach_token,
        )
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert await _rows(hooks, WebhookEndpoint) == []


async def test_private_addresses_are_refused_unless_allowed(hooks: Hooks, resources: Any) -> None:
    resources.settings = resources.settings.with_(webhook_allow_private=False)
    error = await hooks.gql.error(
        'mutation { createWebhook(url: "https://169.254.169.254/x", events: [ALERT_RAISED]) '
        "{ secret } }",
        token=hooks.coach_token,
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "cloud metadata" in error["message"]
    assert await _rows(hooks, WebhookEndpoint) == []


async def test_only_the_webhooks_coach_sees_or_changes_it(hooks: Hooks, practice: Practice) -> None:
    created = await hooks.create("https://127.0.0.1:9/hook")
    webhook_id = created["webhook"]["id"]
    other = await practice.token(await practice.coach("Other Coach"))
    assert (await hooks.gql.data(LIST, token=other))["webhooks"] == []
    for query, variables in [
        (UPDATE, {"id": webhook_id, "active": False}),
        (ROTATE, {"id": webhook_id}),
        (DELETE, {"id": webhook_id}),
        (
            "query($id: ID!) { webhookDeliveries(webhookId: $id) { totalCount } }",
            {"id": webhook_id},
        ),
    ]:
        error = await hooks.gql.error(query, variables, other)
        assert error["extensions"]["code"] == "NOT_FOUND", error
        client_error = await hooks.gql.error(query, variables, hooks.client_token)
        assert client_error["extensions"]["code"] == "FORBIDDEN"
        anonymous = await hooks.gql.error(query, variables)
        assert anonymous["extensions"]["code"] == "UNAUTHENTICATED"
    for odd in [" 1", "\uff11", "1_0", "x"]:
        error = await hooks.gql.error(DELETE, {"id": odd}, hooks.coach_token)
        assert error["extensions"]["code"] == "NOT_FOUND"
    assert len(await _rows(hooks, WebhookEndpoint)) == 1


async def test_a_delivery_id_not_made_by_us_names_no_delivery(hooks: Hooks) -> None:
    """Delivery ids are exactly `msg_` and 32 hex digits: anything else (a NUL, spaces, upper
    case, another length) is NOT_FOUND before any SQL (PostgreSQL refuses a NUL in text)."""
    redeliver = "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { status } }"
    for odd in ["\x00", "msg_\x00", " msg_" + "0" * 32, "msg_" + "A" * 32, "msg_" + "0" * 31, ""]:
        error = await hooks.gql.error(redeliver, {"id": odd}, hooks.coach_token)
        assert error["extensions"]["code"] == "NOT_FOUND", (odd, error)


async def test_update_rotate_and_delete(hooks: Hooks) -> None:
    created = await hooks.create("https://127.0.0.1:9/hook")
    webhook_id = created["webhook"]["id"]
    updated = await hooks.gql.data(
        UPDATE,
        {"id": webhook_id, "url": "https://127.0.0.1:10/other", "events": ["CONSENT_CHANGED"]},
        hooks.coach_token,
    )
    assert updated["updateWebhook"]["url"] == "https://127.0.0.1:10/other"
    assert updated["updateWebhook"]["events"] == ["CONSENT_CHANGED"]
    rotated = await hooks.gql.data(ROTATE, {"id": webhook_id}, hooks.coach_token)
    assert rotated["rotateWebhookSecret"]["secret"] != created["secret"]
    [row] = await _rows(hooks, WebhookEndpoint)
    assert row.secret == rotated["rotateWebhookSecret"]["secret"]
    bad = await hooks.gql.error(UPDATE, {"id": webhook_id, "url": "http://x"}, hooks.coach_token)
    assert bad["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await hooks.gql.data(DELETE, {"id": webhook_id}, hooks.coach_token))["deleteWebhook"]
    assert await _rows(hooks, WebhookEndpoint) == []


async def test_an_event_queues_one_delivery_per_subscribed_endpoint_without_private_text(
    hooks: Hooks,
) -> None:
    subscribed = await hooks.create("https://127.0.0.1:9/a", ["MESSAGE_RECEIVED"])
    await hooks.create("https://127.0.0.1:9/b", ["SESSION_BOOKED"])
    message_id = await hooks.message("my very private worry")
    [delivery] = await _rows(hooks, WebhookDelivery)
    body = json.loads(delivery.body)
    assert set(body) == {"type", "timestamp", "data"}
    assert body["type"] == "message.received"
    assert body["data"] == {
        "messageId": message_id,
        "conversationId": body["data"]["conversationId"],
        "coachId": str(hooks.coach.id),
        "clientId": str(hooks.client.id),
    }
    assert "worry" not in delivery.body
    [listed] = await hooks.deliveries(subscribed["webhook"]["id"])
    assert listed["id"] == delivery.message_id and listed["status"] == "PENDING"
    assert listed["attempts"] == 0 and listed["nextAttemptAt"] is not None


async def test_a_coachs_own_message_is_not_received_news(hooks: Hooks) -> None:
    await hooks.create("https://127.0.0.1:9/a", ["MESSAGE_RECEIVED"])
    await hooks.gql.data(
        'mutation($c: ID) { sendMessage(clientId: $c, body: "hi") { id } }',
        {"c": str(hooks.client.id)},
        hooks.coach_token,
    )
    assert await _rows(hooks, WebhookDelivery) == []


async def test_consent_changes_are_delivered(hooks: Hooks) -> None:
    await hooks.create("https://127.0.0.1:9/a", ["CONSENT_CHANGED"])
    await hooks.gql.data(CONSENT, {"c": str(hooks.coach.id), "s": "DECLINED"}, hooks.client_token)
    [delivery] = await _rows(hooks, WebhookDelivery)
    body = json.loads(delivery.body)
    assert body["type"] == "consent.changed"
    assert body["data"]["consent"] == "DECLINED" and body["data"]["previousConsent"] == "GRANTED"


async def test_a_rolled_back_change_queues_no_delivery(hooks: Hooks) -> None:
    await hooks.create("https://127.0.0.1:9/a", ["CONSENT_CHANGED"])
    from coach_graph.clients.events import ConsentChanged

    class Refused(Exception):
        pass

    try:
        async with hooks.db.transaction() as session:
            assert hooks.coach.id is not None and hooks.client.id is not None
            events.record(
                session, ConsentChanged(hooks.coach.id, hooks.client.id, "GRANTED", "DECLINED")
            )
            await events.dispatch(session)
            assert (
                await session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery))
            ) == 1
            raise Refused
    except Refused:
        pass
    assert await _rows(hooks, WebhookDelivery) == []


async def test_many_changes_at_once_each_queue_exactly_their_deliveries(
    hooks: Hooks, practice: Practice
) -> None:
    await hooks.create("https://127.0.0.1:9/a", ["MESSAGE_RECEIVED"])
    await hooks.create("https://127.0.0.1:9/b", ["MESSAGE_RECEIVED", "CONSENT_CHANGED"])
    clients: list[tuple[User, str]] = []
    for i in range(10):
        client = await practice.client(hooks.coach, f"Crowd {i}")
        clients.append((client, await practice.token(client)))

    async def send(token: str, n: int) -> str:
        data = await hooks.gql.data(
            "mutation($c: ID, $b: String!) { sendMessage(coachId: $c, body: $b) { id } }",
            {"c": str(hooks.coach.id), "b": f"message {n}"},
            token,
        )
        return str(data["sendMessage"]["id"])

    sent = await asyncio.gather(*(send(t, n) for n, (_, t) in enumerate(clients * 2)))
    rows = await _rows(hooks, WebhookDelivery)
    assert len(rows) == 2 * len(sent)
    per_message: dict[str, int] = {}
    for row in rows:
        message_id = json.loads(row.body)["data"]["messageId"]
        per_message[message_id] = per_message.get(message_id, 0) + 1
    assert per_message == {m: 2 for m in sent}
    assert len({r.message_id for r in rows}) == len(rows)


async def test_registrations_at_once_hold_the_limit_of_twenty(hooks: Hooks) -> None:
    query = "mutation($u: String!) { createWebhook(url: $u, events: [ALERT_RAISED]) { secret } }"
    answers = await asyncio.gather(
        *(hooks.gql(query, {"u": f"https://127.0.0.1:9/{n}"}, hooks.coach_token) for n in range(25))
    )
    made = [a for a in answers if not a.get("errors")]
    refused = [a["errors"][0]["extensions"]["code"] for a in answers if a.get("errors")]
    assert len(made) == 20 and refused == ["CONFLICT"] * 5
    assert len({a["data"]["createWebhook"]["secret"] for a in made}) == 20
    assert len(await _rows(hooks, WebhookEndpoint)) == 20


async def test_deliveries_page_newest_first_every_one_once_at_a_fixed_statement_count(
    hooks: Hooks, manual_clock: Any
) -> None:
    from datetime import timedelta

    from tests.conftest import count_statements

    created = await hooks.create("https://127.0.0.1:9/a", ["CONSENT_CHANGED"])
    webhook_id = created["webhook"]["id"]
    from coach_graph.clients.events import ConsentChanged

    assert hooks.coach.id is not None and hooks.client.id is not None
    for n in range(130):
        async with hooks.db.transaction() as session:
            consent = "DECLINED" if n % 2 else "GRANTED"
            events.record(session, ConsentChanged(hooks.coach.id, hooks.client.id, "X", consent))
        if n % 3 == 0:
            manual_clock.advance(timedelta(seconds=1))  # some share a creation time
    query = """query($id: ID!, $first: Int, $after: String) {
      webhookDeliveries(webhookId: $id, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id createdAt } } } }"""
    seen: list[dict[str, str]] = []
    after = None
    while True:
        data = await hooks.gql.data(
            query, {"id": webhook_id, "first": 50, "after": after}, hooks.coach_token
        )
        page = data["webhookDeliveries"]
        assert page["totalCount"] == 130
        seen += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    rows = await _rows(hooks, WebhookDelivery)
    newest_first = sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)
    assert [s["id"] for s in seen] == [r.message_id for r in newest_first]
    counts = []
    for first in (10, 100):
        with count_statements(hooks.db) as statements:
            await hooks.gql.data(query, {"id": webhook_id, "first": first}, hooks.coach_token)
        counts.append(len(statements))
    assert counts[0] == counts[1]
    bad = await hooks.gql.error(query, {"id": webhook_id, "after": "tampered"}, hooks.coach_token)
    assert bad["extensions"]["code"] == "BAD_USER_INPUT"
