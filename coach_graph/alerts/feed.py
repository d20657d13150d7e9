"""The live alert feed of one subscriber: catch-up from the database, then live alerts, with no
gap and no duplicate.

The feed subscribes to the channel *before* it reads the database, so an alert committed during
the hand-over is seen either by the read or by an event (or both: then it is sent once). Events
only say "the coach has new alerts"; the feed then reads every alert of the coach above the
highest id it has sent (plus any id an event names that it has not sent yet, since concurrent
transactions can commit ids out of order). After the broadcast backend reconnects it reads again,
so nothing published during the outage is lost.

Many subscribers of one coach wake up for the same event: they share one read (`_shared`), whose
result depends only on the coach and the ids, so fan-out costs one query per coach, not one per
socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable, KeysView
from typing import Any, TypeVar

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

PAGE = 100
# How many sent ids a feed remembers to refuse duplicates (far more than can be in flight).
REMEMBERED = 10_000

# Results of event-driven reads, kept a few seconds so every subscriber woken by the same event
# gets the one read, however late its turn comes.
SHARED_FOR_SECONDS = 5.0
_reads: dict[tuple[Any, ...], asyncio.Task[list[AlertView]]] = {}


async def _shared(
    db: Database, coach: Viewer, after_id: int, named: tuple[int, ...]
) -> list[AlertView]:
    """`alerts_since` for an event, done once per process for all the coach's subscribers.

    Safe to share: the key holds the ids the event names, so any read under it began after they
    were committed. It runs in a task of its own, so a subscriber that goes away mid-read does
    not cancel it for the others.
    """
    loop = asyncio.get_running_loop()
    # The database and loop themselves (not their ids) are in the key: a read never crosses to
    # another database or event loop, as can happen between test runs in one process.
    key = (db, loop, coach.id, coach.time_zone, after_id, named)
    task = _reads.get(key)
    if task is None:
        for stale in [k for k in _reads if k[1].is_closed()]:
            del _reads[stale]
        task = asyncio.ensure_future(alerts_since(db, coach, after_id, named, limit=PAGE))
        _reads[key] = task
        loop.call_later(SHARED_FOR_SECONDS, _forget, key, task)
    return await asyncio.shield(task)


def _forget(key: tuple[Any, ...], task: asyncio.Task[list[AlertView]]) -> None:
    if _reads.get(key) is task:
        del _reads[key]
    if task.done() and not task.cancelled():
        task.exception()  # retrieved: a failed read was reported to its waiters already


class _Sent:
    """The ids a feed has sent: the highest, and a bounded memory of the recent ones (a dict
    keeps them in the order they were sent; one small dict per idle subscriber)."""

    __slots__ = ("_ids", "watermark")

    def __init__(self, watermark: int) -> None:
        self.watermark = watermark
        self._ids: dict[int, None] = {}

    def __contains__(self, alert_id: int) -> bool:
        return alert_id in self._ids

    def ids(self) -> KeysView[int]:
        return self._ids.keys()

    def add(self, alert_id: int) -> None:
        self._ids[alert_id] = None
        if len(self._ids) > REMEMBERED:
            del self._ids[next(iter(self._ids))]
        self.watermark = max(self.watermark, alert_id)


def _counted(deliver: Callable[[AlertView], T]) -> Callable[[AlertView], T]:
    def counted(view: AlertView) -> T:
        ALERTS_DELIVERED.inc()
        return deliver(view)

    return counted


async def follow(
    db: Database,
    realtime: Realtime,
    coach: Viewer,
    after_id: int | None,
    deliver: Callable[[AlertView], T],
) -> AsyncGenerator[T, None]:
    """The coach's alerts after `after_id` (oldest first), then live ones, each passed through
    `deliver` (the subscription's conversion: one generator per subscriber, not two).

    Without `after_id` only alerts created from now on are sent. An `after_id` that is not one
    of the coach's alerts is NOT_FOUND, before anything is sent.
    """
    if after_id is not None:
        await require_own_alert(db, coach, after_id)
    deliver = _counted(deliver)
    async with realtime.subscribe(ALERTS_CHANNEL, resync=True) as events:
        start = after_id if after_id is not None else await latest_alert_id(db, coach.id)
        sent = _Sent(start)
        async for view in _read(db, coach, sent, (), shared=False):
            yield deliver(view)
        async for event in events:
            if event is RESYNC or event.get("__resync__"):
                # Back from a backend outage: read everything above what was sent.
                async for view in _read(db, coach, sent, (), shared=False):
                    yield deliver(view)
                continue
            if event.get("coachId") != coach.id:
                continue
            named = tuple(sorted({int(i) for i in event.get("alertIds", ())} - sent.ids()))
            if not named:
                continue
            # Keyed by the ids the event names, a shared read always started after they were
            # committed (the event was published after the commit), so it contains them.
            async for view in _read(db, coach, sent, named, shared=True):
                yield deliver(view)


async def _read(
    db: Database, coach: Viewer, sent: _Sent, named: tuple[int, ...], *, shared: bool
) -> AsyncIterator[AlertView]:
    """Every alert above the watermark (page by page) and those `named`, each once.

    Only event-driven reads are shared: a catch-up or resync read must see everything committed
    before it began, which a read another subscriber started earlier may not."""
    extra = named
    while True:
        if shared:
            views = await _shared(db, coach, sent.watermark, extra)
        else:
            views = await alerts_since(db, coach, sent.watermark, extra, limit=PAGE)
        extra = ()
        fresh = [v for v in views if v.id not in sent]
        for view in fresh:
            sent.add(view.id)
            yield view
        if len(views) < PAGE or not fresh:
            return


async def follow_changes(
    db: Database, realtime: Realtime, coach: Viewer, deliver: Callable[[AlertView], T]
) -> AsyncGenerator[T, None]:
    """The coach's alerts as their status changes (dismissed, resolved), each reloaded through
    the coach's own scope, so a client whose consent is gone shows as null. Live only: the
    contract's `alertChanged` takes no `afterId`, so changes made while disconnected are not
    replayed (the alert list shows the current status)."""
    async with realtime.subscribe(ALERT_CHANGES_CHANNEL) as events:
        async for event in events:
            if event is RESYNC or event.get("coachId") != coach.id:
                continue
            for view in await alerts_by_id(db, coach, [int(i) for i in event["alertIds"]]):
                yield deliver(view)
