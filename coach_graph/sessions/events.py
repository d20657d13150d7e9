"""What the sessions domain tells others (coach_graph/events.py): a session booked, moved,
cancelled or moved along its status machine, time off removed or extra hours added, recorded
in the change's transaction. Each names
the session and its people by id and the times that changed, nothing private."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coach_graph.sessions.models import RescheduleRequestStatus


@dataclass(frozen=True)
class SessionBooked:
    """A new session (the coach's booking, a follow-up, a client's self-booking)."""

    session_id: int
    coach_id: int
    client_id: int | None
    starts_at: datetime
    ends_at: datetime
    self_booked: bool


@dataclass(frozen=True)
class SessionRescheduled:
    """A session moved: by its coach, or by the coach approving the client's request."""

    session_id: int
    coach_id: int
    client_id: int | None
    previous_starts_at: datetime
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class SessionCancelled:
    """A session cancelled (by its coach, or because its client was deleted): its slot is free."""

    session_id: int
    coach_id: int
    client_id: int | None
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class SessionStatusChanged:
    """A session moved along its status machine to anything but CANCELLED (SessionCancelled)."""

    session_id: int
    coach_id: int
    client_id: int | None
    previous_status: str
    status: str


@dataclass(frozen=True)
class RescheduleRequestChanged:
    """A client's reschedule request was made (PENDING, or APPROVED at once) or left PENDING
    (approved, rejected, expired)."""

    request_id: int
    session_id: int
    coach_id: int
    client_id: int | None
    status: str
    original_starts_at: datetime
    proposed_starts_at: datetime
    expires_at: datetime

    @property
    def pending(self) -> bool:
        """The request waits for the coach's answer."""
        return self.status == RescheduleRequestStatus.PENDING


@dataclass(frozen=True)
class TimeOffRemoved:
    """The coach removed time off: starts inside [starts_at, ends_at) may be free again."""

    coach_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class ExtraHoursAdded:
    """The coach opened extra hours (the exception `exception_id`): starts inside [starts_at,
    ends_at) that were outside their open hours may be booked now."""

    exception_id: int
    coach_id: int
    starts_at: datetime
    ends_at: datetime
