"""The audit trail's retention sweep: events older than AUDIT_RETENTION_DAYS are deleted."""

from __future__ import annotations

from datetime import timedelta

from coach_graph.audit.store import delete_expired
from coach_graph.context import Resources
from coach_graph.jobs import Job

SWEEP_INTERVAL_SECONDS = 3600.0


async def sweep_expired(resources: Resources) -> int:
    """Delete the events past the retention period; how many went."""
    keep = timedelta(days=resources.settings.audit_retention_days)
    return await delete_expired(resources.db, keep)


RETENTION_JOB = Job("audit.retention", sweep_expired, interval_seconds=SWEEP_INTERVAL_SECONDS)
