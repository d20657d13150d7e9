"""Fixtures of the webhook tests: settings that let webhooks reach 127.0.0.1, a clock at the
real time (receivers check `webhook-timestamp` against their own clock), a throwaway CA trusted
through SSL_CERT_FILE, a running HTTPS receiver, and a coach with a client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import trustme

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.webhooks.delivery.sender import WebhookSender
from tests.conftest import GraphQLClient, Practice
from tests.webhooks.receiver import Receiver

CREATE = """mutation($url: String!, $events: [WebhookEvent!]!) {
  createWebhook(url: $url, events: $events) { secret webhook { id url events active } }
}"""
DELIVERIES = """query($id: ID!, $first: Int, $after: String) {
  webhookDeliveries(webhookId: $id, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id event status attempts lastStatusCode createdAt deliveredAt nextAttemptAt } }
  }
}"""
SEND = (
    """mutation($coach: ID, $body: String!) { sendMessage(coachId: $coach, body: $body) { id } }"""
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(webhook_allow_private=True)


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    now = datetime.now(UTC).replace(microsecond=0)
    with clock.using(clock.ManualClock(now)) as c:
        assert isinstance(c, clock.ManualClock)
        yield c


@pytest.fixture
def ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    """A CA made now, trusted by the sender through SSL_CERT_FILE."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return authority


@pytest.fixture
async def receiver(ca: trustme.CA) -> AsyncIterator[Receiver]:
    server = Receiver(ca)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@dataclass
class Hooks:
    """A coach with one client, their tokens, and helpers."""

    gql: GraphQLClient
    db: Database
    coach: User
    client: User
    coach_token: str
    client_token: str

    async def create(self, url: str, events: list[str] | None = None) -> dict[str, Any]:
        data = await self.gql.data(
            CREATE, {"url": url, "events": events or ["MESSAGE_RECEIVED"]}, self.coach_token
        )
        result: dict[str, Any] = data["createWebhook"]
        return result

    async def message(self, body: str = "hello") -> str:
        data = await self.gql.data(
            SEND, {"coach": str(self.coach.id), "body": body}, self.client_token
        )
        return str(data["sendMessage"]["id"])

    async def deliveries(self, webhook_id: str, first: int = 20) -> list[dict[str, Any]]:
        data = await self.gql.data(DELIVERIES, {"id": webhook_id, "first": first}, self.coach_token)
        return [e["node"] for e in data["webhookDeliveries"]["edges"]]

    def sender(self, **kw: Any) -> WebhookSender:
        kw.setdefault("timeout", 1.0)
        return WebhookSender(self.db, allow_private=True, **kw)


@pytest.fixture
async def hooks(gql: GraphQLClient, practice: Practice, db: Database) -> Hooks:
    coach = await practice.coach("Coach Webb")
    client = await practice.client(coach, "Client Hook")
    return Hooks(gql, db, coach, client, await practice.token(coach), await practice.token(client))
