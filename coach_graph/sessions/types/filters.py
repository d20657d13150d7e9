"""The statuses, filters and orders of a session history, as GraphQL enums and an input."""

from __future__ import annotations

from datetime import datetime

import strawberry

from coach_graph.gql import enum
from coach_graph.sessions.history import SessionQuery, Sort, When
from coach_graph.sessions.models import SessionStatus

enum(
    SessionStatus,
    "Where a session stands. Allowed moves: PENDING to CONFIRMED or CANCELLED; CONFIRMED to "
    "COMPLETED, CANCELLED or NO_SHOW; a coach may correct COMPLETED and NO_SHOW into each other.",
    {
        SessionStatus.PENDING: "Booked, waiting for the coach to confirm it.",
        SessionStatus.CONFIRMED: "Will take place.",
        SessionStatus.COMPLETED: "Took place (set after the start).",
        SessionStatus.CANCELLED: "Called off; final.",
        SessionStatus.NO_SHOW: "The client did not come (set 10 minutes after the start or later).",
    },
)
enum(
    When,
    "Which sessions of a history, by their start.",
    {
        When.ALL: "Every session.",
        When.UPCOMING: "Sessions starting now or later.",
        When.PAST: "Sessions that started before now.",
    },
    name="SessionWhen",
)
enum(
    Sort,
    "The order of a session history.",
    {
        Sort.NEWEST_FIRST: "Latest start first (the default).",
        Sort.OLDEST_FIRST: "Earliest start first.",
        Sort.STATUS: "By status (PENDING, CONFIRMED, COMPLETED, CANCELLED, NO_SHOW), then start.",
    },
    name="SessionSort",
)


@strawberry.input(description="Filters of a session history; all optional.")
class SessionFilter:
    when: When | None = strawberry.field(default=When.ALL, description="Upcoming, past or all.")
    statuses: list[SessionStatus] | None = strawberry.field(
        default=None, description="Only these statuses."
    )
    service_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these services."
    )
    from_: datetime | None = strawberry.field(
        name="from", default=None, description="Sessions starting at or after this."
    )
    to: datetime | None = strawberry.field(default=None, description="Starting before this.")
    client_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this client's sessions."
    )

    def query(self) -> SessionQuery:
        return SessionQuery(
            when=When(self.when or When.ALL),
            statuses=tuple(SessionStatus(s) for s in self.statuses)
            if self.statuses is not None
            else None,
            service_ids=tuple(_filter_id(i) for i in self.service_ids)
            if self.service_ids is not None
            else None,
            starts_from=self.from_,
            starts_to=self.to,
            client_id=_filter_id(self.client_id) if self.client_id is not None else None,
        )


def _filter_id(value: strawberry.ID) -> int:
    """An id in a filter that cannot be ours matches nothing (0 is never an id)."""
    try:
        ident = int(str(value))
    except ValueError:
        return 0
    return ident if 0 < ident < 2**63 else 0
