"""The live alert feed of one coach (`alertCreated`): the shared live feed (coach_graph/feed.py)
over the coach's alerts."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from functools import partial
from typing import Generic, TypeVar

from coach_graph import feed
from coach_graph.alerts.service import (
    AlertView,
    alerts_by_id,
    alerts_since,
    latest_alert_id,
    require_own_alert,
)
from coach_graph.alerts.store import ALERT_CHANGES_CHANNEL, ALERTS_CHANNEL
from coach_graph.auth import Viewer
from coach_graph.db import Database
from coach_graph.observability.metrics import ALERTS_DELIVERED
from coach_graph.realtime import RESYNC, Realtime

T = TypeVar("T")


class _CoachAlerts:
    """Reads of one coach's alerts (bound methods of one small object: a subscriber holds them
    for hours, and closures would cost twice as much)."""

    __slots__ = ("coach", "db")

    def __init__(self, db: Database, coach: Viewer) -> None:
        self.db = db
        self.coach = coach

    async def since(self, after_id: int, also: tuple[int, ...], limit: int) -> list[AlertView]:
        return await alerts_since(self.db, self.coach, after_id, also, limit=limit)

    async def latest(self) -> int:
        return await latest_alert_id(self.db, self.coach.id)


def source(db: Database, coach: Viewer) -> feed.Source[AlertView]:
    """The coach's alerts as a feed source (events: `{"coachId", "alertIds"}`)."""
    alerts = _CoachAlerts(db, coach)
    return feed.Source(
        ALERTS_CHANNEL,
        "coachId",
        "alertIds",
        coach.id,
        (coach.id, coach.time_zone),
        alerts.since,
        alerts.latest,
    )


class _Counted(Generic[T]):
    """`deliver`, counting each delivered alert."""

    __slots__ = ("deliver",)

    def __init__(self, deliver: Callable[[AlertView], T]) -> None:
        self.deliver = deliver

    def __call__(self, view: AlertView) -> T:
        ALERTS_DELIVERED.inc()
        return self.deliver(view)


def follow(
    db: Database,
    realtime: Realtime,
    coach: Viewer,
    after_id: int | None,
    deliver: Callable[[AlertView], T],
) -> AsyncGenerator[T, None]:
    """The coach's alerts after `after_id` (oldest first), then live ones, each passed through
    `deliver`. An `after_id` that is not one of the coach's alerts is NOT_FOUND, before anything
    is sent (checked as the feed starts)."""
    check = None if after_id is None else partial(require_own_alert, db, coach, after_id)
    return feed.follow(db, realtime, source(db, coach), after_id, _Counted(deliver), check)


async def follow_changes(
    db: Database, realtime: Realtime, coach: Viewer, deliver: Callable[[AlertView], T]
) -> AsyncGenerator[T, None]:
    """The coach's alerts as their status changes (dismissed, resolved), each reloaded through
    the coach's own scope, so a client whose consent is gone shows as null. Live only: the
    contract's `alertChanged` takes no `afterId`, so changes made while disconnected are not
    replayed (the alert list shows the current status)."""
    async with realtime.subscribe(ALERT_CHANGES_CHANNEL, owner=("coachId", coach.id)) as events:
        async for event in events:
            if event is RESYNC or event.get("coachId") != coach.id:
                continue
            for view in await alerts_by_id(db, coach, [int(i) for i in event["alertIds"]]):
                yield deliver(view)
