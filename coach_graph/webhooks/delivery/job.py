"""The webhook sender job: every worker runs it, the lease lets one at a time do the work (one
sender across workers), each commit that queued a delivery rings its doorbell, and a short
interval catches deliveries queued by another worker and retries that came due."""

from __future__ import annotations

from coach_graph.context import Resources
from coach_graph.jobs import Job
from coach_graph.webhooks.delivery.outcomes import SendReport
from coach_graph.webhooks.delivery.sender import WebhookSender
from coach_graph.webhooks.queue import WEBHOOK_DOORBELL

INTERVAL_SECONDS = 5.0


async def send_webhooks(resources: Resources) -> SendReport:
    """Deliver every delivery that is due."""
    allow_private = resources.settings.webhook_allow_private
    async with WebhookSender(resources.db, allow_private=allow_private) as sender:
        return await sender.drain()


def webhook_job(interval_seconds: float = INTERVAL_SECONDS) -> Job:
    return Job(
        "webhooks.send", send_webhooks, interval_seconds=interval_seconds, doorbell=WEBHOOK_DOORBELL
    )
