"""The arguments the sessions domain's fields share, each described once (GraphiQL's docs pane
is the API reference)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeAlias

import strawberry

from coach_graph.sessions.analytics import Interval
from coach_graph.sessions.history import Sort
from coach_graph.sessions.models import RescheduleRequestStatus, SessionStatus
from coach_graph.sessions.types.catalog import (
    AvailabilityWindowInput,
    CancellationPolicyInput,
    ServiceInput,
)
from coach_graph.sessions.types.filters import SessionFilter

HistoryFilter: TypeAlias = Annotated[
    SessionFilter | None, strawberry.argument(description="Which sessions; none: all.")
]
HistorySort: TypeAlias = Annotated[
    Sort | None, strawberry.argument(description="The order; newest first by default.")
]
SessionId: TypeAlias = Annotated[strawberry.ID, strawberry.argument(description="The session.")]
ServiceId: TypeAlias = Annotated[strawberry.ID, strawberry.argument(description="The service.")]
StartsAt: TypeAlias = Annotated[
    datetime,
    strawberry.argument(description="The start, with a UTC offset; a free slot in the future."),
]
Reason: TypeAlias = Annotated[
    str | None,
    strawberry.argument(description="Why, up to 1,000 characters; the other side is told."),
]
From: TypeAlias = Annotated[
    datetime, strawberry.argument(name="from", description="The period's start (included).")
]
To: TypeAlias = Annotated[datetime, strawberry.argument(description="The period's end (excluded).")]
SlotsUntil: TypeAlias = Annotated[
    datetime, strawberry.argument(description="Up to (excluded), at most 62 days on.")
]
RequestStatus: TypeAlias = Annotated[
    RescheduleRequestStatus | None, strawberry.argument(description="Only this status; null: all.")
]
RevenueInterval: TypeAlias = Annotated[
    Interval | None, strawberry.argument(description="The length of a revenue period.")
]
ClientId: TypeAlias = Annotated[
    strawberry.ID, strawberry.argument(description="One of your clients (any consent).")
]
CalendarId: TypeAlias = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="One of your calendars; none: your first one."),
]
CustomerNotes: TypeAlias = Annotated[
    str | None,
    strawberry.argument(description="Notes the client sees too, up to 5,000 characters."),
]
PrivateNotes: TypeAlias = Annotated[
    str | None, strawberry.argument(description="The coach's own notes, up to 5,000 characters.")
]
BookingStatus: TypeAlias = Annotated[
    SessionStatus | None, strawberry.argument(description="CONFIRMED (default) or PENDING.")
]
NewStatus: TypeAlias = Annotated[SessionStatus, strawberry.argument(description="The new status.")]
RequestId: TypeAlias = Annotated[
    strawberry.ID, strawberry.argument(description="The pending reschedule request.")
]
Approve: TypeAlias = Annotated[
    bool, strawberry.argument(description="True: the session moves; false: it keeps its time.")
]
ServiceFields: TypeAlias = Annotated[
    ServiceInput, strawberry.argument(description="The service's name, duration and price.")
]
CalendarName: TypeAlias = Annotated[
    str, strawberry.argument(description="Its name, up to 200 characters.")
]
WeeklyHours: TypeAlias = Annotated[
    list[AvailabilityWindowInput],
    strawberry.argument(description="Every weekly window; none: no hours at all."),
]
PolicyFields: TypeAlias = Annotated[
    CancellationPolicyInput, strawberry.argument(description="The notice and the late fee.")
]
Rating: TypeAlias = Annotated[int, strawberry.argument(description="1 (poor) to 5 (excellent).")]
