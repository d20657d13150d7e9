"""What the alerts domain tells others (coach_graph/events.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AlertRaised:
    """A new open alert for a coach (recorded in the transaction that raised it)."""

    alert_id: int
    coach_id: int
    client_id: int | None
    category: str
    severity: str
