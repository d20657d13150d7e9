"""GraphQL types and operations of webhooks: a coach's endpoints (`webhooks`,
`createWebhook`, `updateWebhook`, `rotateWebhookSecret`, `deleteWebhook`) and their
deliveries (`webhookDeliveries`, `redeliverWebhook`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from coach_graph.gql import After, Connection, Info, PageSize, enum, parse_id
from coach_graph.webhooks import service
from coach_graph.webhooks.models import DeliveryStatus, WebhookEndpoint, WebhookEvent
from coach_graph.webhooks.models import WebhookDelivery as DeliveryRow

enum(
    WebhookEvent,
    "What a webhook tells its endpoint (the payload's `type` is the value's dotted name, e.g. "
    "`session.booked`).",
    {
        WebhookEvent.SESSION_BOOKED: "A session was booked (by the coach or self-booked).",
        WebhookEvent.SESSION_RESCHEDULED: "A session moved to another time.",
        WebhookEvent.SESSION_CANCELLED: "A session was cancelled.",
        WebhookEvent.SESSION_STATUS_CHANGED: "A session moved along its status machine.",
        WebhookEvent.MESSAGE_RECEIVED: "A client sent the coach a message (its id, not its text).",
        WebhookEvent.ALERT_RAISED: "An alert about a client was raised for the coach.",
        WebhookEvent.CONSENT_CHANGED: "A client granted or withdrew consent for the coach.",
    },
)
enum(
    DeliveryStatus,
    "Where a webhook delivery stands.",
    {
        DeliveryStatus.PENDING: "Not delivered yet: sent soon, or retried with backoff.",
        DeliveryStatus.DELIVERED: "The endpoint answered with a 2xx status.",
        DeliveryStatus.FAILED: "Given up: failing for 3 days, or its webhook was turned off.",
    },
    name="WebhookDeliveryStatus",
)


@strawberry.type(description="An HTTPS endpoint a coach registered for their practice's events.")
class Webhook:
    id: strawberry.ID = strawberry.field(description="The webhook's id.")
    url: str = strawberry.field(description="Where deliveries are POSTed (https://).")
    events: list[WebhookEvent] = strawberry.field(description="The events it is told of.")
    active: bool = strawberry.field(
        description="Whether deliveries are sent; false once turned off (by the coach, or after "
        "3 days of failures)."
    )
    created_at: datetime = strawberry.field(description="When it was registered.")
    disabled_reason: str | None = strawberry.field(
        description="Why it was turned off by the service; null otherwise."
    )

    @classmethod
    def of(cls, row: WebhookEndpoint) -> Webhook:
        return cls(
            id=strawberry.ID(str(row.id)),
            url=row.url,
            events=service.events_of(row),
            active=row.active,
            created_at=row.created_at,
            disabled_reason=row.disabled_reason,
        )


@strawberry.type(description="A webhook with its signing secret: the only time it is shown.")
class WebhookWithSecret:
    webhook: Webhook = strawberry.field(description="The webhook.")
    secret: str = strawberry.field(
        description="`whsec_` + base64: the key of the `webhook-signature` HMAC (Standard "
        "Webhooks). Keep it: it is never shown again."
    )

    @classmethod
    def of(cls, registered: service.Registered) -> WebhookWithSecret:
        return cls(webhook=Webhook.of(registered.endpoint), secret=registered.secret)


@strawberry.type(description="One event sent (or to be sent) to one webhook.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(
        description="The delivery's id: its `webhook-id` header, the same on every attempt."
    )
    event: WebhookEvent = strawberry.field(description="What it tells.")
    status: DeliveryStatus = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="How many times it was sent.")
    last_status_code: int | None = strawberry.field(
        description="The HTTP status of the last attempt; null before one, or when it got no "
        "answer (timeout, refused address, network or TLS error)."
    )
    created_at: datetime = strawberry.field(description="When its event happened.")
    delivered_at: datetime | None = strawberry.field(
        description="When the endpoint accepted it; null until then."
    )
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is sent next; null once delivered or given up."
    )

    @classmethod
    def of(cls, row: DeliveryRow) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(row.message_id),
            event=WebhookEvent[row.event],
            status=DeliveryStatus(row.status),
            attempts=row.attempts,
            last_status_code=row.last_status_code,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            next_attempt_at=row.next_attempt_at,
        )


WebhookId = Annotated[strawberry.ID, strawberry.argument(description="The webhook.")]


@strawberry.type
class Query:
    @strawberry.field(description="The coach's webhooks, oldest first (without their secrets).")
    async def webhooks(self, info: Info) -> list[Webhook]:
        rows = await service.webhooks(info.context.db, info.context.viewer)
        return [Webhook.of(r) for r in rows]

    @strawberry.field(description="One of the coach's webhooks' deliveries, newest first.")
    async def webhook_deliveries(
        self, info: Info, webhook_id: WebhookId, first: PageSize = 20, after: After = None
    ) -> Connection[WebhookDelivery]:
        db = info.context.db
        page = await service.deliveries(
            db, info.context.viewer, parse_id(webhook_id, "webhook"), first, after, db.cursors
        )
        return Connection.of(page, WebhookDelivery.of)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Register an HTTPS endpoint (to a public address) for some of the coach's "
        "events; the answer holds its signing secret, shown this once."
    )
    async def create_webhook(
        self,
        info: Info,
        url: Annotated[str, strawberry.argument(description="https://, at most 2,000 chars.")],
        events: Annotated[
            list[WebhookEvent], strawberry.argument(description="At least one event.")
        ],
    ) -> WebhookWithSecret:
        registered = await service.create_webhook(
            info.context.db,
            info.context.viewer,
            url,
            events,
            allow_private=info.context.settings.webhook_allow_private,
        )
        return WebhookWithSecret.of(registered)

    @strawberry.mutation(
        description="Change a webhook's URL or events, or turn it off or back on (turning it "
        "on clears `disabledReason`)."
    )
    async def update_webhook(
        self,
        info: Info,
        id: WebhookId,
        url: Annotated[str | None, strawberry.argument(description="A new https:// URL.")] = None,
        events: Annotated[
            list[WebhookEvent] | None, strawberry.argument(description="The new events.")
        ] = None,
        active: Annotated[
            bool | None, strawberry.argument(description="Send deliveries or not.")
        ] = None,
    ) -> Webhook:
        row = await service.update_webhook(
            info.context.db,
            info.context.viewer,
            parse_id(id, "webhook"),
            url=url,
            events=events,
            active=active,
            allow_private=info.context.settings.webhook_allow_private,
        )
        return Webhook.of(row)

    @strawberry.mutation(
        description="A new signing secret, shown this once; the old one stops at once (pending "
        "deliveries are signed with the new one)."
    )
    async def rotate_webhook_secret(self, info: Info, id: WebhookId) -> WebhookWithSecret:
        registered = await service.rotate_secret(
            info.context.db, info.context.viewer, parse_id(id, "webhook")
        )
        return WebhookWithSecret.of(registered)

    @strawberry.mutation(description="Delete a webhook and its deliveries.")
    async def delete_webhook(self, info: Info, id: WebhookId) -> bool:
        return await service.delete_webhook(
            info.context.db, info.context.viewer, parse_id(id, "webhook")
        )

    @strawberry.mutation(
        description="Send one delivery again (same id), retried for up to 3 days; its webhook "
        "must be on."
    )
    async def redeliver_webhook(
        self,
        info: Info,
        delivery_id: Annotated[
            strawberry.ID, strawberry.argument(description="The delivery (its `id`).")
        ],
    ) -> WebhookDelivery:
        row = await service.redeliver(info.context.db, info.context.viewer, str(delivery_id))
        return WebhookDelivery.of(row)
