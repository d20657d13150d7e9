"""A live feed of one subscriber: catch-up from the database, then live items, with no gap and
no duplicate (alerts, messages, notifications: every "new things for this person" stream).

The feed subscribes to the channel *before* it reads the database, so an item committed during
the hand-over is seen either by the read or by an event (or both: then it is sent once). Events
only say "this owner has new items" (`{owner_field: id, ids_field: [...]}`); the feed then reads
every item of the owner above the highest id it has sent (plus any id an event names that it has
not sent yet, since concurrent transactions can commit ids out of order). After the broadcast
backend reconnects it reads again, so nothing published during the outage is lost.

An event wakes only its owner's subscribers (`Realtime.subscribe(owner=...)`). Many subscribers
of one owner wake up for the same event: they share one read (`_shared`), whose result depends
only on the source's scope and the ids, so fan-out costs one query per owner, not one per socket
(started as the event reaches the first idle subscriber; they wake once it is done: `gate`);
and each item of such a read is delivered as the same object to all of them (`delivering`), so
the GraphQL layer completes and encodes it once per document and viewer, not once per socket.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.db import Database
from coach_graph.realtime import RESYNC, Realtime

T = TypeVar("T")


class Item(Protocol):
    """Anything a feed sends: it has an id (stored rows always do)."""

    @property
    def id(self) -> int | None: ...


def _id(item: Item) -> int:
    assert item.id is not None  # read from the database
    return item.id


V = TypeVar("V", bound=Item)

PAGE = 100
# How many sent ids a feed remembers to refuse duplicates (far more than can be in flight).
REMEMBERED = 10_000

# Results of event-driven reads, kept a few seconds so every subscriber woken by the same event
# gets the one read, however late its turn comes.
SHARED_FOR_SECONDS = 5.0
_reads: dict[tuple[Any, ...], _SharedRead] = {}

# The item a feed is delivering right now in this task, when it came from a read shared by every
# subscriber of the same scope (so they all deliver the very same object); None otherwise. Read by
# the GraphQL layer as it completes the event (coach_graph/patches/graphql_core_events.py).
delivering: contextvars.ContextVar[object | None] = contextvars.ContextVar(
    "feed_delivering", default=None
)

# The owner field of the events of a feed of received items (`of_recipient`).
RECIPIENT = "recipientId"


@dataclass(frozen=True, slots=True)
class Source(Generic[V]):
    """Where one subscriber's items come from.

    `since(after_id, also, limit)` reads the owner's items above `after_id` plus those in `also`,
    oldest first; `latest()` is the id of the owner's newest item (0 when none). `scope` is
    everything besides the ids that a read's result depends on (the owner, their time zone):
    subscribers with the same scope share event-driven reads.
    """

    channel: str
    owner_field: str
    ids_field: str
    owner_id: int
    scope: tuple[Any, ...]
    since: Callable[[int, tuple[int, ...], int], Awaitable[list[V]]]
    latest: Callable[[], Awaitable[int]]


class Addressed(Protocol):
    """A table of items sent to one person (messages, notifications)."""

    id: Any
    recipient_id: Any


A = TypeVar("A", bound=Addressed)


class _Received(Generic[A]):
    """Reads of the items of `table` one person receives (bound methods of one small object: a
    subscriber holds them for hours, and closures would cost twice as much)."""

    __slots__ = ("db", "recipient_id", "table")

    def __init__(self, db: Database, recipient_id: int, table: type[A]) -> None:
        self.db = db
        self.recipient_id = recipient_id
        self.table = table

    async def since(self, after_id: int, also: tuple[int, ...], limit: int) -> list[A]:
        table = self.table
        ident, recipient = col(table.id), col(table.recipient_id)
        condition = ident > after_id
        if also:
            condition = sa.or_(condition, ident.in_(list(also)))
        async with self.db.read() as session:
            rows = await session.scalars(
                sa.select(table).where(recipient == self.recipient_id, condition).order_by(ident)
                .limit(limit)
            )  # fmt: skip
            return list(rows.all())

    async def latest(self) -> int:
        table = self.table
        async with self.db.read() as session:
            newest = await session.scalar(
                sa.select(sa.func.max(col(table.id))).where(
                    col(table.recipient_id) == self.recipient_id
                )
            )
        return int(newest or 0)


def of_recipient(
    channel: str, ids_field: str, db: Database, recipient_id: int, table: type[A]
) -> Source[A]:
    """The source of the items of `table` one person receives, whose events are
    `{"recipientId": id, ids_field: [...]}`."""
    received = _Received(db, recipient_id, table)
    return Source(
        channel, RECIPIENT, ids_field, recipient_id, (recipient_id,), received.since,
        received.latest,
    )  # fmt: skip


class _SharedRead:
    """One event-driven read and the subscribers waiting for it: each waits on a future of its
    own, so one that leaves mid-read cancels only its own wait (cheaper than a shield each)."""

    __slots__ = ("task", "waiters")

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        self.waiters: list[asyncio.Future[Any]] = []
        task.add_done_callback(self._settle)

    def _settle(self, task: asyncio.Task[Any]) -> None:
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            if waiter.done():
                continue
            if task.cancelled():
                waiter.cancel()
            elif (error := task.exception()) is not None:
                waiter.set_exception(error)
            else:
                waiter.set_result(task.result())


def _started(db: Database, source: Source[V], after_id: int, named: tuple[int, ...]) -> _SharedRead:
    """The event-driven read of `source.since(after_id, named)`, started now unless it is
    already under way or done (kept `SHARED_FOR_SECONDS`)."""
    loop = asyncio.get_running_loop()
    # The database and loop themselves (not their ids) are in the key: a read never crosses to
    # another database or event loop, as can happen between test runs in one process.
    key = (db, loop, source.channel, source.scope, after_id, named)
    read = _reads.get(key)
    if read is None:
        for stale in [k for k in _reads if k[1].is_closed()]:
            del _reads[stale]
        read = _reads[key] = _SharedRead(asyncio.ensure_future(source.since(after_id, named, PAGE)))
        loop.call_later(SHARED_FOR_SECONDS, _forget, key, read)
    return read


async def _shared(
    db: Database, source: Source[V], after_id: int, named: tuple[int, ...]
) -> list[V]:
    """`source.since` for an event, done once per process for all subscribers of one scope.

    Safe to share: the key holds the ids the event names, so any read under it began after they
    were committed. It runs in a task of its own, so a subscriber that goes away mid-read does
    not cancel it for the others.
    """
    read = _started(db, source, after_id, named)
    task = read.task
    if task.done():  # the usual case: the read was started as the event arrived (`_Follower`)
        if task.cancelled():
            raise asyncio.CancelledError("the shared read was cancelled")
        done: list[V] = task.result()  # raises the read's error, if it failed
        return done
    waiter: asyncio.Future[list[V]] = asyncio.get_running_loop().create_future()
    read.waiters.append(waiter)
    return await waiter


def _forget(key: tuple[Any, ...], read: _SharedRead) -> None:
    if _reads.get(key) is read:
        del _reads[key]
    task = read.task
    if task.done() and not task.cancelled():
        task.exception()  # retrieved: a failed read was reported to its waiters already


# The ids of the last event read (one event reaches every subscriber of its owner in turn).
_last_ids: tuple[dict[str, Any], str, tuple[int, ...]] | None = None


def _event_ids(event: dict[str, Any], field: str) -> tuple[int, ...]:
    """The ids `event` names in `field`, sorted, each once; read once per event, not once per
    subscriber (the event is one object for all of them)."""
    global _last_ids
    last = _last_ids
    if last is not None and last[0] is event and last[1] == field:
        return last[2]
    ids = tuple(sorted({int(i) for i in event.get(field, ())}))
    _last_ids = (event, field, ids)
    return ids


class _Follower(Generic[V]):
    """One subscriber's state: the ids it has sent (the highest, and a bounded memory of the
    recent ones: a dict keeps them in the order they were sent; one small dict per idle
    subscriber), and the gate its events pass as they arrive (`arrived`)."""

    __slots__ = ("_ids", "db", "source", "watermark")

    def __init__(self, db: Database, source: Source[V], watermark: int) -> None:
        self.db = db
        self.source = source
        self.watermark = watermark
        self._ids: dict[int, None] = {}

    def __contains__(self, item_id: int) -> bool:
        return item_id in self._ids

    def add(self, item_id: int) -> None:
        self._ids[item_id] = None
        if len(self._ids) > REMEMBERED:
            del self._ids[next(iter(self._ids))]
        self.watermark = max(self.watermark, item_id)

    def named(self, event: dict[str, Any]) -> tuple[int, ...]:
        """The ids `event` names that this subscriber has not sent, in order."""
        sent = self._ids
        return tuple([i for i in _event_ids(event, self.source.ids_field) if i not in sent])

    def arrived(self, event: dict[str, Any]) -> asyncio.Future[Any] | None:
        """Called as an event reaches this idle subscriber (`Subscription.gate`): the shared
        read the subscriber will make for it, started now, so the subscriber wakes once it is
        done (one wake-up per event, not one to ask and one to receive: with 10,000 sockets of
        one coach that second pass over every socket delayed them all). None when the event
        needs no shared read (or is malformed: the subscriber finds out itself)."""
        source = self.source
        if event is RESYNC or event.get("__resync__"):
            return None
        if event.get(source.owner_field) != source.owner_id:
            return None
        try:
            named = self.named(event)
        except (TypeError, ValueError):
            return None
        if not named:
            return None
        return _started(self.db, source, self.watermark, named).task


async def follow(
    db: Database,
    realtime: Realtime,
    source: Source[V],
    after_id: int | None,
    deliver: Callable[[V], T],
    before: Callable[[], Awaitable[object]] | None = None,
) -> AsyncGenerator[T, None]:
    """The owner's items after `after_id` (oldest first), then live ones, each passed through
    `deliver` (the subscription's conversion: one generator per subscriber, not two).

    Without `after_id` only items created from now on are sent. `after_id` must be one of the
    owner's items (NOT_FOUND otherwise): the caller checks it beforehand, or passes the check
    as `before`, awaited as the feed starts, before it subscribes (a subscriber then holds this
    one generator, not a second one around it).
    """
    if before is not None:
        await before()
    owner = (source.owner_field, source.owner_id)
    async with realtime.subscribe(source.channel, resync=True, owner=owner) as events:
        start = after_id if after_id is not None else await source.latest()
        sent = _Follower(db, source, start)
        events.gate = sent.arrived
        async for item in _read(db, source, sent, (), shared=False):
            yield deliver(item)
        async for event in events:
            if event is RESYNC or event.get("__resync__"):
                # Back from a backend outage: read everything above what was sent.
                async for item in _read(db, source, sent, (), shared=False):
                    yield deliver(item)
                continue
            if event.get(source.owner_field) != source.owner_id:
                continue
            named = sent.named(event)
            if not named:
                continue
            # Keyed by the ids the event names, a shared read always started after they were
            # committed (the event was published after the commit), so it contains them.
            async for item in _read(db, source, sent, named, shared=True):
                # Every subscriber of this scope delivers this very item: say so while it is
                # delivered, so the GraphQL layer can complete it once for all of them.
                delivering.set(item)
                try:
                    yield deliver(item)
                finally:
                    delivering.set(None)


async def _read(
    db: Database, source: Source[V], sent: _Follower[V], named: tuple[int, ...], *, shared: bool
) -> AsyncIterator[V]:
    """Every item above the watermark (page by page) and those `named`, each once.

    Only event-driven reads are shared: a catch-up or resync read must see everything committed
    before it began, which a read another subscriber started earlier may not."""
    extra = named
    while True:
        if shared:
            items = await _shared(db, source, sent.watermark, extra)
        else:
            items = await source.since(sent.watermark, extra, PAGE)
        extra = ()
        fresh = [v for v in items if _id(v) not in sent]
        for item in fresh:
            sent.add(_id(item))
            yield item
        if len(items) < PAGE or not fresh:
            return
