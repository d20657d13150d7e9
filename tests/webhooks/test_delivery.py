"""Delivering webhooks to a real HTTPS receiver on 127.0.0.1 (certificate from a throwaway CA,
trusted through SSL_CERT_FILE): Standard Webhooks signatures a receiver verifies with the
`standardwebhooks` package, retries through errors, hangs and dropped connections, no
redirects, the SSRF rule at delivery, and nothing lost across a sender's restart."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col
from standardwebhooks import Webhook, WebhookVerificationError

from coach_graph import clock
from coach_graph.context import Resources
from coach_graph.jobs import JobRunner
from coach_graph.webhooks.delivery.job import webhook_job
from coach_graph.webhooks.delivery.sender import PER_ENDPOINT, TIMEOUT_SECONDS, claim_ttl
from coach_graph.webhooks.models import WebhookDelivery
from tests.webhooks.conftest import Hooks
from tests.webhooks.receiver import CLOSE, ERROR, HANG, REDIRECT, Receiver
from tests.webhooks.test_addresses import StubResolver


def headers_of(received: Any) -> dict[str, str]:
    return {
        k: received.headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }


def signed_by(secret: str, received: Any) -> bool:
    """The signature checked with the library's own signing (without its 5-minute window,
    for tests that move the clock by hours)."""
    moment = datetime.fromtimestamp(int(received.headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(received.message_id, moment, received.body)
    return expected in received.headers["webhook-signature"].split(" ")


async def _rows(hooks: Hooks) -> list[WebhookDelivery]:
    async with hooks.db.session() as session:
        query = sa.select(WebhookDelivery).order_by(col(WebhookDelivery.id))
        return list((await session.scalars(query)).all())


async def test_a_delivery_is_signed_as_standard_webhooks_say(
    hooks: Hooks, receiver: Receiver
) -> None:
    created = await hooks.create(receiver.url)
    message_id = await hooks.message("not for the receiver's eyes")
    async with hooks.sender() as sender:
        report = await sender.drain()
    assert report.delivered == 1
    [received] = receiver.received
    payload = Webhook(created["secret"]).verify(received.body, headers_of(received))
    assert payload["type"] == "message.received"
    assert payload["data"]["messageId"] == message_id
    assert "eyes" not in received.body
    assert received.headers["content-type"] == "application/json"
    [listed] = await hooks.deliveries(created["webhook"]["id"])
    assert listed["id"] == received.message_id
    assert (listed["status"], listed["attempts"], listed["lastStatusCode"]) == ("DELIVERED", 1, 200)
    assert listed["deliveredAt"] is not None and listed["nextAttemptAt"] is None


async def test_a_receiver_rejects_a_replayed_or_altered_delivery(
    hooks: Hooks, receiver: Receiver, manual_clock: clock.ManualClock
) -> None:
    created = await hooks.create(receiver.url)
    verifier = Webhook(created["secret"])
    await hooks.message()
    async with hooks.sender() as sender:
        await sender.drain()
    [received] = receiver.received
    headers = headers_of(received)
    verifier.verify(received.body, headers)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(received.body.replace("message.received", "alert.raised"), headers)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(received.body, {**headers, "webhook-id": "msg_someone_else"})
    later = str(int(headers["webhook-timestamp"]) + 60)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(received.body, {**headers, "webhook-timestamp": later})
    # Replayed ten minutes later: its timestamp is ten minutes old.
    manual_clock.set(manual_clock.now() - timedelta(minutes=10))
    await hooks.message()
    async with hooks.sender() as sender:
        await sender.drain()
    replay = receiver.received[-1]
    assert signed_by(created["secret"], replay)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verifier.verify(replay.body, headers_of(replay))


async def test_a_rotated_secret_stops_the_old_one_at_once(hooks: Hooks, receiver: Receiver) -> None:
    created = await hooks.create(receiver.url)
    await hooks.message()  # queued before the rotation, sent after it
    rotated = await hooks.gql.data(
        "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }",
        {"id": created["webhook"]["id"]},
        hooks.coach_token,
    )
    new_secret = rotated["rotateWebhookSecret"]["secret"]
    async with hooks.sender() as sender:
        await sender.drain()
    [received] = receiver.received
    Webhook(new_secret).verify(received.body, headers_of(received))
    with pytest.raises(WebhookVerificationError):
        Webhook(created["secret"]).verify(received.body, headers_of(received))


async def test_every_delivery_arrives_through_errors_hangs_and_dropped_connections(
    hooks: Hooks, receiver: Receiver, manual_clock: clock.ManualClock
) -> None:
    created = await hooks.create(receiver.url)
    for n in range(6):
        await hooks.message(f"m{n}")
    receiver.script.extend([ERROR, ERROR, HANG, CLOSE, ERROR, HANG, CLOSE, ERROR])
    for _ in range(12):
        async with hooks.sender(timeout=0.5) as sender:
            await sender.drain()
        if len({r.message_id for r in receiver.delivered}) == 6:
            break
        manual_clock.advance(timedelta(hours=7))  # past the longest backoff
    rows = await _rows(hooks)
    assert {r.status for r in rows} == {"DELIVERED"}
    assert {r.message_id for r in receiver.delivered} == {r.message_id for r in rows}
    assert sum(r.attempts for r in rows) == len(receiver.received)
    ids_per_event: dict[str, set[str]] = defaultdict(set)
    for received in receiver.received:
        ids_per_event[received.body].add(received.message_id)
        assert signed_by(created["secret"], received)
    assert all(len(ids) == 1 for ids in ids_per_event.values())
    assert len(ids_per_event) == 6


async def test_backoff_then_failed_after_three_days_and_the_endpoint_is_disabled(
    hooks: Hooks, receiver: Receiver, manual_clock: clock.ManualClock
) -> None:
    receiver.default = ERROR
    created = await hooks.create(receiver.url)
    webhook_id = created["webhook"]["id"]
    await hooks.message()
    start = manual_clock.now()
    waits: list[timedelta] = []
    for _ in range(100):
        async with hooks.sender() as sender:
            await sender.drain()
        [row] = await _rows(hooks)
        if row.status != "PENDING":
            break
        assert row.next_attempt_at is not None
        waits.append(clock.as_utc(row.next_attempt_at) - manual_clock.now())
        manual_clock.set(clock.as_utc(row.next_attempt_at))
    assert row.status == "FAILED" and row.last_status_code == 500
    assert manual_clock.now() - start >= timedelta(days=3)
    assert row.attempts == len(receiver.received) == len(waits) + 1
    # Exponential with jitter: each wait within [ceiling / 2, ceiling], ceilings doubling to 6 h.
    for n, wait in enumerate(waits[:8]):
        ceiling = timedelta(seconds=15 * 2**n)
        assert ceiling / 2 <= wait <= ceiling, (n, wait)
    assert max(waits) <= timedelta(hours=6)
    webhook = (
        await hooks.gql.data("{ webhooks { active disabledReason } }", token=hooks.coach_token)
    )["webhooks"][0]
    assert webhook["active"] is False and "3 days" in webhook["disabledReason"]
    inbox = await hooks.gql.data(
        "{ notifications(first: 5) { edges { node { kind title } } } }", token=hooks.coach_token
    )
    kinds = [e["node"]["kind"] for e in inbox["notifications"]["edges"]]
    assert kinds[0] == "WEBHOOK_DISABLED" and kinds.count("WEBHOOK_DISABLED") == 1
    # A disabled endpoint gets nothing new; turned back on, a redelivery arrives, same id.
    await hooks.message()
    assert len(await _rows(hooks)) == 1
    conflict = await hooks.gql.error(
        "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { status } }",
        {"id": row.message_id},
        hooks.coach_token,
    )
    assert conflict["extensions"]["code"] == "CONFLICT"
    on = await hooks.gql.data(
        "mutation($id: ID!) { updateWebhook(id: $id, active: true) { active disabledReason } }",
        {"id": webhook_id},
        hooks.coach_token,
    )
    assert on["updateWebhook"] == {"active": True, "disabledReason": None}
    again = await hooks.gql.data(
        "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status nextAttemptAt } }",
        {"id": row.message_id},
        hooks.coach_token,
    )
    assert again["redeliverWebhook"]["status"] == "PENDING"
    receiver.default = "ok"
    async with hooks.sender() as sender:
        await sender.drain()
    assert receiver.received[-1].message_id == row.message_id
    [listed] = await hooks.deliveries(webhook_id)
    assert listed["status"] == "DELIVERED" and listed["lastStatusCode"] == 200


async def test_a_redirect_is_not_followed(hooks: Hooks, receiver: Receiver) -> None:
    await hooks.create(receiver.url)
    await hooks.message()
    receiver.script.append(REDIRECT)
    async with hooks.sender() as sender:
        report = await sender.drain()
    assert report.failed == 1 and len(receiver.received) == 1
    [row] = await _rows(hooks)
    assert (row.status, row.last_status_code) == ("PENDING", 302)


async def test_a_name_resolving_to_loopback_is_refused_at_delivery(
    hooks: Hooks, receiver: Receiver, manual_clock: clock.ManualClock
) -> None:
    from coach_graph.webhooks import service
    from coach_graph.webhooks.delivery.sender import WebhookSender
    from coach_graph.webhooks.models import WebhookEvent

    resolver = StubResolver({"hooks.test": ["127.0.0.1"]})
    viewer = await _viewer(hooks)
    url = f"https://hooks.test:{receiver.port}/hook"
    registered = await service.create_webhook(
        hooks.db,
        viewer,
        url,
        [WebhookEvent.MESSAGE_RECEIVED],
        allow_private=True,
        resolver=resolver,
    )
    await hooks.message()
    async with WebhookSender(hooks.db, allow_private=False, resolver=resolver) as sender:
        report = await sender.drain()
    assert report.failed == 1 and receiver.received == []
    [row] = await _rows(hooks)
    assert row.last_status_code is None and "loopback" in (row.last_error or "")
    # Allowed, the connection goes to the address the name resolved to, TLS checks the name.
    row_due = row.next_attempt_at
    assert row_due is not None
    manual_clock.set(clock.as_utc(row_due))
    async with WebhookSender(hooks.db, allow_private=True, resolver=resolver) as sender:
        report = await sender.drain()
    assert report.delivered == 1
    Webhook(registered.secret).verify(receiver.received[0].body, headers_of(receiver.received[0]))


async def _viewer(hooks: Hooks) -> Any:
    from coach_graph.accounts.models import Role
    from coach_graph.auth import Viewer

    assert hooks.coach.id is not None
    return Viewer(
        id=hooks.coach.id,
        role=Role.COACH,
        email=hooks.coach.email,
        name=hooks.coach.name,
        time_zone=hooks.coach.time_zone,
        token_id=0,
        token_expires_at=clock.now() + timedelta(days=1),
    )


async def test_nothing_is_lost_across_a_restart_of_the_sender(
    hooks: Hooks, receiver: Receiver, resources: Resources, manual_clock: clock.ManualClock
) -> None:
    await hooks.create(receiver.url)
    for n in range(5):
        await hooks.message(f"m{n}")
    receiver.default = HANG
    job = webhook_job()
    first = JobRunner(resources, [job])
    running = asyncio.create_task(first.run_once(job))
    await receiver.wait_for(5)
    running.cancel()  # the worker stops mid-batch: five deliveries claimed, none recorded
    await asyncio.gather(running, return_exceptions=True)
    await first.stop()
    receiver.default = "ok"
    second = JobRunner(resources, [job])
    assert await second.run_once(job) is False  # the stopped worker's lease still holds
    assert receiver.delivered == []
    # The claims (and the lease) expire.
    manual_clock.advance(claim_ttl(200, PER_ENDPOINT, TIMEOUT_SECONDS) + timedelta(seconds=1))
    assert await second.run_once(job) is True
    rows = await _rows(hooks)
    assert {r.status for r in rows} == {"DELIVERED"}
    assert {r.message_id for r in receiver.delivered} == {r.message_id for r in rows}
    ids_per_event: dict[str, set[str]] = defaultdict(set)
    for received in receiver.received:
        ids_per_event[received.body].add(received.message_id)
    assert len(ids_per_event) == 5 and all(len(ids) == 1 for ids in ids_per_event.values())


async def test_two_senders_at_once_send_each_delivery_once(
    hooks: Hooks, receiver: Receiver
) -> None:
    await hooks.create(receiver.url)
    await hooks.create(receiver.url + "?second")
    await asyncio.gather(*(hooks.message(f"m{n}") for n in range(20)))
    async with hooks.sender() as one, hooks.sender() as two:
        reports = await asyncio.gather(one.drain(), two.drain())
    assert sum(r.delivered for r in reports) == 40
    ids = [r.message_id for r in receiver.received]
    assert len(ids) == len(set(ids)) == 40


async def test_metrics_count_deliveries_by_outcome_and_pending(
    hooks: Hooks, receiver: Receiver, http: Any
) -> None:
    await hooks.create(receiver.url)
    await hooks.message()
    await hooks.message()
    receiver.script.append(ERROR)
    async with hooks.sender() as sender:
        await sender.drain()
    text = (await http.get("/metrics")).text
    lines = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line.startswith("coach_graph_webhook")
    }
    assert lines['coach_graph_webhook_deliveries_total{outcome="delivered"}'] >= 1
    assert lines['coach_graph_webhook_deliveries_total{outcome="failed"}'] >= 1
    assert lines["coach_graph_webhook_deliveries_pending"] == 1
    assert json.loads((await _rows(hooks))[0].body)["type"] == "message.received"


async def test_a_webhook_deleted_while_its_delivery_is_in_flight_is_simply_gone(
    hooks: Hooks, receiver: Receiver
) -> None:
    created = await hooks.create(receiver.url)
    await hooks.message()
    receiver.default = HANG
    async with hooks.sender(timeout=0.5) as sender:
        sending = asyncio.create_task(sender.drain())
        await receiver.wait_for(1)
        await hooks.gql.data(
            "mutation($id: ID!) { deleteWebhook(id: $id) }",
            {"id": created["webhook"]["id"]},
            hooks.coach_token,
        )
        report = await sending
    assert report.failed == 1
    assert await _rows(hooks) == []


async def test_the_apps_sender_job_wakes_on_the_commit_and_delivers(
    settings: Any, receiver: Receiver, manual_clock: clock.ManualClock
) -> None:
    import httpx

    from coach_graph.app import create_app
    from tests.conftest import GraphQLClient, Practice

    app = create_app(settings.with_(run_jobs=True), jobs=[webhook_job(interval_seconds=3600)])
    async with app.router.lifespan_context(app):
        resources: Resources = app.state.resources
        if resources.db.engine.dialect.name == "postgresql":
            from tests.conftest import _truncate

            await _truncate(resources.db)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            practice = Practice(resources)
            coach = await practice.coach()
            client = await practice.client(coach)
            hooks = Hooks(
                GraphQLClient(http),
                resources.db,
                coach,
                client,
                await practice.token(coach),
                await practice.token(client),
            )
            created = await hooks.create(receiver.url)
            await hooks.message()
            # The job's interval is an hour: only the commit's doorbell can have woken it.
            async with asyncio.timeout(30):
                await receiver.wait_for(1)
                # Read the rows, not the API, while the job writes: the suite's execution check
                # runs each query twice and would see the status change in between.
                for _ in range(600):
                    if {r.status for r in await _rows(hooks)} == {"DELIVERED"}:
                        break
                    await asyncio.sleep(0.05)
            [listed] = await hooks.deliveries(created["webhook"]["id"])
            assert listed["status"] == "DELIVERED"
    Webhook(created["secret"]).verify(receiver.received[0].body, headers_of(receiver.received[0]))
