"""The sessions domain's background jobs. Each work function is callable on its own (tests call
them with the clock moved)."""

from __future__ import annotations

from coach_graph.context import Resources
from coach_graph.jobs import Job
from coach_graph.sessions.reminders import queue_reminders
from coach_graph.sessions.reschedule import expire_requests


async def expire_reschedule_requests(resources: Resources) -> int:
    """Expire pending requests past their time and publish each change."""
    return await expire_requests(resources.db)


async def queue_session_reminders(resources: Resources) -> int:
    """Queue the 24-hour and 1-hour reminders that are due."""
    return await queue_reminders(resources.db)


def sessions_jobs() -> list[Job]:
    """Reschedule expiry and reminder queuing (the outbox sender is coach_graph.mail.job's)."""
    return [
        Job("sessions.expire_reschedule_requests", expire_reschedule_requests),
        Job("sessions.queue_reminders", queue_session_reminders, interval_seconds=30),
    ]
