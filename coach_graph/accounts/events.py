"""What the accounts domain tells others (coach_graph/events.py)."""

from __future__ import annotations

from dataclasses import dataclass

from coach_graph.config import Settings


@dataclass(frozen=True)
class UserAdded:
    """A user was added (sign-up, the CLI's users add, the demo), in the transaction that adds
    them: a coach gets what every new coach starts with; a client added with their coach's
    e-mail is linked to that coach."""

    user_id: int
    role: str
    coach_id: int | None  # the coach a new client is linked to, if any
    settings: Settings | None  # the settings the user was added under (a coach's defaults)
