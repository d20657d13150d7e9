"""What the homework domain tells others (coach_graph/events.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HomeworkAssigned:
    """A coach assigned a lesson; it replaces the client's latest assignment by that coach, if
    there was one (`replaced_id`)."""

    homework_id: int
    coach_id: int
    client_id: int
    replaced_id: int | None


@dataclass(frozen=True)
class HomeworkCompleted:
    """The client marked the homework done (recorded once, at the first completion)."""

    homework_id: int
    coach_id: int
    client_id: int
