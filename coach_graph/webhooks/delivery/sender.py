"""The webhook sender: claims due deliveries (so two senders never send one at once), signs and
POSTs each (Standard Webhooks headers, 10 s, no redirects), then records every outcome of the
batch in one transaction (`outcomes.py`: delivered, retried with backoff, FAILED, endpoints
turned off). A sender stopped mid-batch leaves its claims to expire: those deliveries are sent
again, with the same `webhook-id`."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import math
import ssl
import time
from datetime import datetime, timedelta
from types import TracebackType

import httpx
import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.db import Database
from coach_graph.webhooks.addresses import Resolver, system_resolver
from coach_graph.webhooks.delivery.outcomes import Outcome, SendReport, record_outcomes
from coach_graph.webhooks.delivery.transport import GuardedTransport, trust_store
from coach_graph.webhooks.metrics import WEBHOOK_METRICS
from coach_graph.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from coach_graph.webhooks.service import secret_key

TIMEOUT_SECONDS = 10.0
# Deliveries sent at once by one sender, and to one endpoint (a few keep-alive connections
# each: more only adds TLS handshakes and pool bookkeeping for a receiver that answers fast,
# while slow endpoints still proceed side by side).
CONCURRENCY = 32
PER_ENDPOINT = 4
# A batch's endpoints' secrets are read again at most this often while it is being sent.
SECRETS_FRESH_SECONDS = 1.0


def claim_ttl(limit: int, per_endpoint: int, timeout: float) -> timedelta:
    """How long a sender holds a batch: long enough to send all of it to one endpoint that
    hangs every attempt until the timeout, plus a minute. A stopped sender's batch is sent
    again (by any sender) once it is over."""
    return timedelta(seconds=math.ceil(limit / per_endpoint) * timeout + 60)


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """`webhook-signature`: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`."""
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class WebhookSender:
    """Sends due deliveries; use as `async with WebhookSender(db, ...) as sender`."""

    def __init__(
        self,
        db: Database,
        *,
        allow_private: bool,
        resolver: Resolver = system_resolver,
        timeout: float = TIMEOUT_SECONDS,
        ssl_context: ssl.SSLContext | None = None,
        concurrency: int = CONCURRENCY,
        per_endpoint: int = PER_ENDPOINT,
    ) -> None:
        self.db = db
        self.timeout = timeout
        self._gate = asyncio.Semaphore(concurrency)
        self._per_endpoint = per_endpoint
        self._endpoint_gates: dict[int | None, asyncio.Semaphore] = {}
        self._resolver = resolver
        self._allow_private = allow_private
        self._ssl_context = ssl_context
        self._concurrency = concurrency
        self._client: httpx.AsyncClient | None = None
        self._secrets: dict[int | None, str | None] = {}
        self._secrets_read_at = 0.0
        self._secrets_lock = asyncio.Lock()

    @property
    def _http(self) -> httpx.AsyncClient:
        """The HTTP client, made at the first attempt (a run with nothing due loads no trust
        store and opens no pool)."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=GuardedTransport(
                    self._ssl_context or trust_store(),
                    self._resolver,
                    allow_private=self._allow_private,
                    max_connections=self._concurrency,
                ),
                follow_redirects=False,
                timeout=self.timeout,
            )
        return self._client

    async def __aenter__(self) -> WebhookSender:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def _current_secret(self, endpoint: WebhookEndpoint) -> str | None:
        """The endpoint's secret as of at most SECRETS_FRESH_SECONDS ago (read with the claim,
        then again for the whole batch at most once a second: a rotation or a deletion during
        a long batch reaches it that soon); None once the endpoint is gone or turned off."""
        if time.monotonic() - self._secrets_read_at > SECRETS_FRESH_SECONDS:
            async with self._secrets_lock:
                if time.monotonic() - self._secrets_read_at > SECRETS_FRESH_SECONDS:
                    async with self.db.read() as session:
                        rows = await session.execute(
                            sa.select(col(WebhookEndpoint.id), col(WebhookEndpoint.secret)).where(
                                col(WebhookEndpoint.id).in_(list(self._secrets)),
                                col(WebhookEndpoint.active),
                            )
                        )
                        fresh = {row[0]: row[1] for row in rows}
                    self._secrets = {e: fresh.get(e) for e in self._secrets}
                    self._secrets_read_at = time.monotonic()
        return self._secrets.get(endpoint.id)

    def _headers(self, delivery: WebhookDelivery, secret: str) -> dict[str, str]:
        """Standard Webhooks headers, signed for this moment."""
        timestamp = int(clock.now().timestamp())
        return {
            "content-type": "application/json",
            "user-agent": "coach_graph-webhooks",
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, delivery.message_id, timestamp, delivery.body),
        }

    async def _attempt(self, delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> Outcome:
        endpoint_gate = self._endpoint_gates.setdefault(
            endpoint.id, asyncio.Semaphore(self._per_endpoint)
        )
        async with endpoint_gate, self._gate:
            # Signed once its turn came: a receiver checks the timestamp against its clock.
            secret = await self._current_secret(endpoint)
            if secret is None:
                return Outcome(delivery, None, "the webhook was turned off or deleted")
            headers = self._headers(delivery, secret)
            try:
                async with asyncio.timeout(self.timeout):
                    answer = await self._http.post(
                        endpoint.url, content=delivery.body.encode(), headers=headers
                    )
            except Exception as exc:  # a timeout, a refused address, a network or TLS error
                text = f"{type(exc).__name__}: {exc}"[:500]
                return Outcome(delivery, None, text)
        if 200 <= answer.status_code < 300:
            return Outcome(delivery, answer.status_code, None)
        return Outcome(delivery, answer.status_code, f"HTTP {answer.status_code}")

    async def send_due(self, *, limit: int = 200) -> SendReport:
        """Send one batch of due deliveries and record what became of each."""
        now = clock.now()
        hold = claim_ttl(limit, self._per_endpoint, self.timeout)
        batch = await _claim(self.db, now, limit, hold)
        if not batch:
            return SendReport(0, 0)
        self._secrets = {e.id: e.secret for _, e in batch}
        self._secrets_read_at = time.monotonic()
        outcomes = await asyncio.gather(*(self._attempt(d, e) for d, e in batch))
        report = await record_outcomes(self.db, outcomes)
        WEBHOOK_METRICS.record(
            delivered=report.delivered, failed=report.failed, given_up=report.given_up
        )
        return report

    async def drain(self, *, batch: int = 200) -> SendReport:
        """Send batches until nothing is due (or a batch had failures), then refresh the gauge."""
        delivered = failed = given_up = 0
        while True:
            report = await self.send_due(limit=batch)
            delivered, failed = delivered + report.delivered, failed + report.failed
            given_up += report.given_up
            if report.handled < batch or report.failed:
                break
        WEBHOOK_METRICS.observe(await pending_count(self.db))
        return SendReport(delivered, failed, given_up)


def _unclaimed(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        col(WebhookDelivery.claimed_until).is_(None), col(WebhookDelivery.claimed_until) < now
    )


async def _claim(
    db: Database, now: datetime, limit: int, hold: timedelta
) -> list[tuple[WebhookDelivery, WebhookEndpoint]]:
    pending = col(WebhookDelivery.status) == DeliveryStatus.PENDING.value
    async with db.transaction() as session:
        due = (
            sa.select(col(WebhookDelivery.id))
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
            .where(
                pending,
                col(WebhookDelivery.next_attempt_at) <= now,
                _unclaimed(now),
                col(WebhookEndpoint.active),
            )
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(limit)
        )
        ids = list((await session.scalars(due)).all())
        if not ids:
            return []
        # The same condition again in the UPDATE: a row another sender claimed meanwhile is skipped.
        claimed = await session.scalars(
            sa.update(WebhookDelivery)
            .where(col(WebhookDelivery.id).in_(ids), pending, _unclaimed(now))
            .values(claimed_until=now + hold)
            .returning(col(WebhookDelivery.id))
        )
        claimed_ids = list(claimed.all())
        if not claimed_ids:
            return []
        rows = await session.execute(
            sa.select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
            .where(col(WebhookDelivery.id).in_(claimed_ids))
            .order_by(col(WebhookDelivery.id))
        )
        return [(d, e) for d, e in rows.all()]


async def pending_count(db: Database) -> int:
    """Deliveries not delivered yet and still tried."""
    async with db.read() as session:
        count = await session.scalar(
            sa.select(sa.func.count()).where(
                col(WebhookDelivery.status) == DeliveryStatus.PENDING.value
            )
        )
    return int(count or 0)
