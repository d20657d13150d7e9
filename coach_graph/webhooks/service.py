"""A coach's webhooks: registering endpoints (`https://` to a public address, a `whsec_`
secret shown once), changing, rotating and deleting them, reading their deliveries and sending
one again. Only the endpoint's coach sees or touches it: anyone else's answers NOT_FOUND."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.auth import Viewer, require_coach
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, Conflict, NotFound
from coach_graph.pagination import Cursors, Keyset, Page, SortKey, page_size
from coach_graph.webhooks.addresses import Resolver, check_url, system_resolver
from coach_graph.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from coach_graph.webhooks.queue import RETRY_FOR, is_message_id, wake_sender_after_commit

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
# Endpoints one coach may register.
ENDPOINT_LIMIT = 20

NEWEST_FIRST = Keyset(
    SortKey(col(WebhookDelivery.created_at), False, datetime),
    SortKey(col(WebhookDelivery.id), False, int),
)


def new_secret() -> str:
    """A signing secret as Standard Webhooks spells it: `whsec_` + base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a `whsec_` secret stands for."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def _events(events: Sequence[WebhookEvent]) -> str:
    if not events:
        raise BadUserInput("Choose at least one event in `events`.", field="events")
    chosen = set(events)
    return ",".join(e.name for e in WebhookEvent if e in chosen)


def events_of(endpoint: WebhookEndpoint) -> list[WebhookEvent]:
    """The events an endpoint is told of, in the enum's order."""
    names = set(endpoint.events.split(","))
    return [e for e in WebhookEvent if e.name in names]


@dataclass(frozen=True)
class Registered:
    """An endpoint with its secret: the only moment the secret is shown."""

    endpoint: WebhookEndpoint
    secret: str


async def create_webhook(
    db: Database,
    viewer: Viewer | None,
    url: str,
    events: Sequence[WebhookEvent],
    *,
    allow_private: bool,
    resolver: Resolver = system_resolver,
) -> Registered:
    """Register an endpoint for the coach's events; its secret is returned this once."""
    coach = require_coach(viewer)
    chosen = _events(events)
    checked = await check_url(url, resolver, allow_private=allow_private)
    secret = new_secret()
    async with db.transaction() as session:
        # The coach's row lock (PostgreSQL; SQLite's writers take turns): registrations at once
        # count one after the other, so the limit holds.
        await session.execute(
            sa.select(col(User.id)).where(col(User.id) == coach.id).with_for_update()
        )
        count = await session.scalar(
            sa.select(sa.func.count()).where(col(WebhookEndpoint.coach_id) == coach.id)
        )
        if (count or 0) >= ENDPOINT_LIMIT:
            raise Conflict(f"A coach has at most {ENDPOINT_LIMIT} webhooks: delete one first.")
        endpoint = WebhookEndpoint(
            coach_id=coach.id, url=checked, events=chosen, secret=secret, created_at=clock.now()
        )
        session.add(endpoint)
        await session.flush()
    return Registered(endpoint, secret)


async def _own(session: AsyncSession, coach: Viewer, webhook_id: int) -> WebhookEndpoint:
    endpoint = await session.scalar(
        sa.select(WebhookEndpoint)
        .where(col(WebhookEndpoint.id) == webhook_id, col(WebhookEndpoint.coach_id) == coach.id)
        .with_for_update()
    )
    if endpoint is None:
        raise NotFound.of("webhook", webhook_id)
    return endpoint


async def update_webhook(
    db: Database,
    viewer: Viewer | None,
    webhook_id: int,
    *,
    url: str | None = None,
    events: Sequence[WebhookEvent] | None = None,
    active: bool | None = None,
    allow_private: bool,
    resolver: Resolver = system_resolver,
) -> WebhookEndpoint:
    """Change an endpoint's URL, events or whether it is active; turning a disabled endpoint
    back on forgets why it was disabled and starts its failure clock afresh."""
    coach = require_coach(viewer)
    chosen = _events(events) if events is not None else None
    checked = await check_url(url, resolver, allow_private=allow_private) if url else None
    if url is not None and not url.strip():
        raise BadUserInput("`url` is empty.", field="url")
    async with db.transaction() as session:
        endpoint = await _own(session, coach, webhook_id)
        if checked is not None:
            endpoint.url = checked
        if chosen is not None:
            endpoint.events = chosen
        if active is not None:
            if active and not endpoint.active:
                endpoint.disabled_reason = None
                endpoint.failing_since = None
            endpoint.active = active
        session.add(endpoint)
    return endpoint


async def rotate_secret(db: Database, viewer: Viewer | None, webhook_id: int) -> Registered:
    """A new secret for an endpoint, returned this once: every delivery sent from the commit
    on is signed with it (the old one stops at once, pending deliveries included)."""
    coach = require_coach(viewer)
    secret = new_secret()
    async with db.transaction() as session:
        endpoint = await _own(session, coach, webhook_id)
        endpoint.secret = secret
        session.add(endpoint)
    return Registered(endpoint, secret)


async def delete_webhook(db: Database, viewer: Viewer | None, webhook_id: int) -> bool:
    """Delete an endpoint and its deliveries (nothing more is sent to it)."""
    coach = require_coach(viewer)
    async with db.transaction() as session:
        endpoint = await _own(session, coach, webhook_id)
        await session.execute(
            sa.delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint.id)
        )
        await session.delete(endpoint)
    return True


async def webhooks(db: Database, viewer: Viewer | None) -> list[WebhookEndpoint]:
    """The coach's endpoints, oldest first."""
    coach = require_coach(viewer)
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(WebhookEndpoint)
            .where(col(WebhookEndpoint.coach_id) == coach.id)
            .order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id))
        )
        return list(rows.all())


async def deliveries(
    db: Database,
    viewer: Viewer | None,
    webhook_id: int,
    first: int | None,
    after: str | None,
    cursors: Cursors,
) -> Page[WebhookDelivery]:
    """One of the coach's endpoints' deliveries, newest first."""
    coach = require_coach(viewer)
    size = page_size(first, 20)
    ours = col(WebhookDelivery.endpoint_id) == webhook_id
    async with db.read() as session:
        owner = await session.scalar(
            sa.select(col(WebhookEndpoint.coach_id)).where(col(WebhookEndpoint.id) == webhook_id)
        )
        if owner != coach.id:
            raise NotFound.of("webhook", webhook_id)
        query = NEWEST_FIRST.select(
            sa.select(WebhookDelivery).where(ours), after, size, cursors=cursors
        )
        rows = list((await session.scalars(query)).all())

    async def count() -> int:
        async with db.read() as session:
            return int(await session.scalar(sa.select(sa.func.count()).where(ours)) or 0)

    return Keyset.page(rows, size, key=lambda d: (d.created_at, d.id), count=count, cursors=cursors)


async def redeliver(db: Database, viewer: Viewer | None, message_id: str) -> WebhookDelivery:
    """Send one of the coach's deliveries again (same `webhook-id`, so a receiver that has it
    can tell), retried again for up to three days; its endpoint must be active."""
    coach = require_coach(viewer)
    if not is_message_id(message_id):
        raise NotFound("No webhook delivery with that id.")
    async with db.transaction() as session:
        row = (
            await session.execute(
                sa.select(WebhookDelivery, WebhookEndpoint)
                .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
                .where(
                    col(WebhookDelivery.message_id) == message_id,
                    col(WebhookEndpoint.coach_id) == coach.id,
                )
            )
        ).first()
        if row is None:
            raise NotFound.of("webhook delivery", message_id)
        delivery, endpoint = row
        if not endpoint.active:
            raise Conflict("This webhook is disabled: turn it back on (`updateWebhook`) first.")
        now = clock.now()
        claimed = delivery.claimed_until
        if claimed is not None and clock.as_utc(claimed) > now:
            raise Conflict("This delivery is being sent right now: look again in a moment.")
        delivery.status = DeliveryStatus.PENDING.value
        delivery.next_attempt_at = now
        delivery.retry_until = now + RETRY_FOR
        delivery.claimed_until = None
        session.add(delivery)
        wake_sender_after_commit(session)
    return delivery
