"""The live alert feed of one coach (`alertCreated`): the shared live feed (coach_graph/feed.py)
over the coach's alerts."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from functools import partial
from typing import TypeVar

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


def source(db: Database, coach: Viewer) -> feed.Source[AlertView]:
    """The coach's alerts as a feed source (events: `{"coachId", "alertIds"}`)."""

    async def since(after_id: int, also: tuple[int, ...], limit: int) -> list[AlertView]:
        return await alerts_since(db, coach, after_id, also, limit=limit)

    async def latest() -> int:
        return await latest_alert_id(db, coach.id)

    return feed.Source(
        ALERTS_CHANNEL, "coachId", "alertIds", coach.id, (coach.id, coach.time_zone), since, latest
    )


def _counted(deliver: Callable[[AlertView], T]) -> Callable[[AlertView], T]:
    def counted(view: AlertView) -> T:
        ALERTS_DELIVERED.inc()
        return deliver(view)

    return counted


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
    return feed.follow(db, realtime, source(db, coach), after_id, _counted(deliver), check)


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
